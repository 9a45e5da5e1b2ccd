"""POST /api/v1/contacts/import: every kind of CSV, as a multipart upload
and as a raw text/csv body, and what ends up in the database."""
import contextlib
import os
import random
import time

import pytest
import requests

import csvgen
from conftest import assert_common_headers, assert_error

IMPORT = "/api/v1/contacts/import"
REPORT_KEYS = {"list_id", "imported", "skipped", "errors", "error_count", "do_not_call"}
ERROR_KEYS = {"row", "column", "code", "message"}
PHONE_CODE = ("phone_empty", "phone_not_a_number", "phone_invalid_country_code",
              "phone_too_short", "phone_too_long", "invalid_phone", "phone_not_dialable")

_pool = iter(csvgen.written_numbers(6000, start=30000))


def fresh(n=1):
    """n fictional NANPA numbers no other test uses: [(written, e164)]."""
    return [next(_pool) for _ in range(n)]


def raw(server, body, auth=None, params=None, content_type="text/csv", **kw):
    headers = {"Content-Type": content_type} if content_type else {}
    if auth is None:
        headers["X-API-Key"] = server.api_key
        return requests.post(server.url(IMPORT), data=body, params=params, headers=headers,
                             timeout=120, **kw)
    return auth.post(server.url(IMPORT), data=body, params=params, headers=headers,
                     timeout=120, **kw)


def multipart(server, body, auth=None, filename="contacts.csv", fields=None,
              file_type="text/csv"):
    files = {"file": (filename, body, file_type)}
    if auth is None:
        return requests.post(server.url(IMPORT), files=files, data=fields or {},
                             headers={"X-API-Key": server.api_key}, timeout=120)
    return auth.post(server.url(IMPORT), files=files, data=fields or {}, timeout=120)


def both(server, body, **kw):
    """The same file both ways: [(way, response)]."""
    return [("raw", raw(server, body, params=kw.get("params"))),
            ("multipart", multipart(server, body, fields=kw.get("params")))]


def report(r):
    assert r.status_code == 200, (r.status_code, r.text[:3000])
    assert_common_headers(r)
    rep = r.json()
    assert set(rep) == REPORT_KEYS, rep
    assert isinstance(rep["list_id"], int) and rep["list_id"] > 0
    assert rep["error_count"] >= len(rep["errors"])
    for e in rep["errors"]:
        assert set(e) == ERROR_KEYS, e
        assert isinstance(e["row"], int) and e["row"] >= 2
        assert e["column"] is None or e["column"] in ("name", "company", "phone", "title", "timezone")
        assert e["code"] and e["message"]
    return rep


def errs(rep):
    """{row: (column, code)} of a report's errors."""
    return {e["row"]: (e["column"], e["code"]) for e in rep["errors"]}


def stored(server, list_id):
    with server.db() as c:
        return c.execute(
            "SELECT source_row, name, company, title, phone_e164, phone_raw, phone_national, "
            "region, status FROM contacts WHERE list_id = ? ORDER BY id", (list_id,)).fetchall()


@contextlib.contextmanager
def stores_nothing(server):
    before = server.counts()
    yield
    assert server.counts() == before, "a refused upload stored something"


def csv(header, rows, sep=",", eol="\n"):
    return csvgen.rows_to_csv(header, rows, sep, eol)


# --- the ordinary case ------------------------------------------------------

def test_multipart_import_stores_the_rows(server, admin):
    (w1, e1), (w2, e2), (w3, e3) = fresh(3)
    body = csv(["name", "company", "phone", "title"],
               [["Ada Lovelace", "Analytical Engines", w1, "CTO"],
                ["  Grace Hopper ", "Navy", w2, ""],
                ["Alan Turing", "Bletchley", w3, "Researcher"]])
    r = multipart(server, body, auth=admin, filename="leads-q3.csv")
    assert_common_headers(r)
    rep = report(r)
    assert (rep["imported"], rep["skipped"], rep["error_count"], rep["errors"]) == (3, 0, 0, [])
    rows = stored(server, rep["list_id"])
    assert rows[0] == (2, "Ada Lovelace", "Analytical Engines", "CTO", e1, w1,
                       rows[0][6], "US", "not_called")
    assert rows[1][:5] == (3, "Grace Hopper", "Navy", None, e2)
    assert [r[4] for r in rows] == [e1, e2, e3]
    with server.db() as c:
        name, created_by, count, archived = c.execute(
            "SELECT name, created_by, contact_count, archived_at FROM contact_lists WHERE id = ?",
            (rep["list_id"],)).fetchone()
        admin_id = c.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
    assert name == "leads-q3.csv"  # default: the uploaded file's name
    assert created_by == admin_id
    assert count == 3 and archived is None


def test_raw_csv_body_with_list_name(server, admin):
    (w1, e1), = fresh(1)
    body = csv(["name", "company", "phone"], [["Ken Thompson", "Bell Labs", w1]])
    rep = report(raw(server, body, auth=admin, params={"list_name": "Raw leads"}))
    assert rep["imported"] == 1
    assert server.db_scalar("SELECT name FROM contact_lists WHERE id = ?", rep["list_id"]) == "Raw leads"
    assert stored(server, rep["list_id"])[0][4] == e1


def test_list_name_field_overrides_the_file_name(server):
    (w1, _), = fresh(1)
    body = csv(["name", "company", "phone"], [["A", "B", w1]])
    rep = report(multipart(server, body, filename="x.csv", fields={"list_name": "Named list"}))
    assert server.db_scalar("SELECT name FROM contact_lists WHERE id = ?", rep["list_id"]) == "Named list"
    # A browser that sends a whole Windows path: only the file's own name.
    (w2, _), = fresh(1)
    body = csv(["name", "company", "phone"], [["A", "B", w2]])
    rep = report(multipart(server, body, filename="C:\\Users\\me\\Desktop\\crm.csv"))
    assert server.db_scalar("SELECT name FROM contact_lists WHERE id = ?", rep["list_id"]) == "crm.csv"


def test_utf8_file_name_becomes_the_list_name(server):
    (w1, _), = fresh(1)
    body = csv(["name", "company", "phone"], [["A", "B", w1]])
    rep = report(multipart(server, body, filename="Kontakte – Müller (Q3).csv"))
    assert server.db_scalar("SELECT name FROM contact_lists WHERE id = ?",
                            rep["list_id"]) == "Kontakte – Müller (Q3).csv"


def test_raw_body_without_list_name_gets_a_default_name(server):
    (w1, _), = fresh(1)
    rep = report(raw(server, csv(["name", "company", "phone"], [["A", "B", w1]])))
    name = server.db_scalar("SELECT name FROM contact_lists WHERE id = ?", rep["list_id"])
    assert name.startswith("Import ")
    # The API key uploads for no user.
    assert server.db_scalar("SELECT created_by FROM contact_lists WHERE id = ?", rep["list_id"]) is None


def test_chunked_upload_without_content_length(server):
    nums = fresh(3)
    body = csv(["name", "company", "phone"], [["N%d" % i, "C", w] for i, (w, _) in enumerate(nums)])

    def gen():
        for i in range(0, len(body), 7):
            yield body[i:i + 7]

    r = requests.post(server.url(IMPORT), data=gen(), params={"list_name": "chunked"},
                      headers={"X-API-Key": server.api_key, "Content-Type": "text/csv"}, timeout=60)
    rep = report(r)
    assert rep["imported"] == 3


# --- file shapes ----------------------------------------------------------------

@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("way", ["raw", "multipart"])
def test_bom_and_line_endings(server, bom, eol, way):
    nums = fresh(3)
    body = csv(["Name", "Company", "Phone"],
               [["Row%d" % i, "Co", w] for i, (w, _) in enumerate(nums)] + [["", "Co", nums[0][0]]],
               eol=eol)
    if bom:
        body = b"\xef\xbb\xbf" + body
    r = raw(server, body) if way == "raw" else multipart(server, body)
    rep = report(r)
    assert rep["imported"] == 3 and rep["skipped"] == 1
    assert errs(rep) == {5: ("name", "required")}
    rows = stored(server, rep["list_id"])
    assert [r[1] for r in rows] == ["Row0", "Row1", "Row2"]
    assert [r[4] for r in rows] == [e for _, e in nums]
    assert all("\r" not in r[1] and "\ufeff" not in r[1] for r in rows)


def test_file_without_final_newline(server):
    nums = fresh(2)
    body = b"name,company,phone\nA,B," + nums[0][0].encode() + b"\nC,D," + nums[1][0].encode()
    rep = report(raw(server, body))
    assert rep["imported"] == 2
    assert stored(server, rep["list_id"])[1][4] == nums[1][1]


def test_quoted_fields_and_row_numbers_after_them(server):
    nums = fresh(4)
    body = (
        'name,company,phone,title\n'
        '"Lovelace, Ada","Engines ""Analytical"" Ltd","%s","Line one\nLine two"\n'
        'Bad Phone,Co,"not a phone",\n'
        '"Multi\r\nline\r\nname","Co, Inc.",%s,"x"\n'
        ',Empty Name Co,%s,\n'
        'Plain,Co,%s,"He said ""hi"", then\nleft"\n'
        'Last Bad,,%s,\n' % (nums[0][0], nums[1][0], nums[2][0], nums[3][0], fresh()[0][0])
    ).encode()
    for way, r in both(server, body):
        rep = report(r)
        # Rows are records: the header is 1, and quoted newlines do not count.
        assert errs(rep) == {3: ("phone", "phone_not_a_number"),
                             5: ("name", "required"),
                             7: ("company", "required")}, (way, rep)
        assert rep["imported"] == 3 and rep["skipped"] == 3 and rep["error_count"] == 3
        rows = stored(server, rep["list_id"])
        assert rows[0][:4] == (2, "Lovelace, Ada", 'Engines "Analytical" Ltd', "Line one\nLine two")
        assert rows[1][0] == 4 and rows[1][1] in ("Multi\r\nline\r\nname", "Multi\nline\nname")
        assert rows[1][2] == "Co, Inc."
        assert rows[2][:4] == (6, "Plain", "Co", 'He said "hi", then\nleft')
        assert [r[4] for r in rows] == [nums[0][1], nums[1][1], nums[3][1]]


def test_blank_lines_count_as_spreadsheet_rows(server):
    (w1, _), (w2, _) = fresh(2)
    body = ("name,company,phone\nA,B,%s\n\nC,,%s\n" % (w1, w2)).encode()
    rep = report(raw(server, body))
    # Header 1, A 2, the empty row 3, C 4 - as a spreadsheet shows it.
    assert errs(rep) == {4: ("company", "required")}
    assert rep["imported"] == 1 and rep["error_count"] == 1


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_files(server, sep):
    nums = fresh(3)
    rows = [["Müller, Jürgen", "Straße; GmbH", nums[0][0], "Geschäftsführer"],
            ["Zoë", "Café", nums[1][0], ""],
            ["Bad", "Co", "12", ""],
            ["Ann", "Org", nums[2][0], "x"]]
    body = csv(["Name", "Company", "Phone", "Title"], rows, sep=sep)
    for way, r in both(server, body):
        rep = report(r)
        assert rep["imported"] == 3, (way, rep)
        assert errs(rep) == {4: ("phone", "phone_too_short")}
        got = stored(server, rep["list_id"])
        assert got[0][1:4] == ("Müller, Jürgen", "Straße; GmbH", "Geschäftsführer")
        assert got[1][1:4] == ("Zoë", "Café", None)
        assert [g[4] for g in got] == [nums[0][1], nums[1][1], nums[2][1]]


@pytest.mark.parametrize("header,order", [
    (["Full Name", "Company Name", "Phone Number", "Job Title"], "ncpt"),
    (["name", "company", "phone_number", "title"], "ncpt"),
    (["Mobile", " COMPANY NAME ", "full_name", "job_title"], "pcnt"),
    (["Phone", "name", "company"], "pnc"),
    (["Company", "Job Title", "Mobile", "Full Name"], "ctpn"),
    (["Email", "Name", "Notes", "Company", "Phone Number", "City"], "xnxcpx"),
])
def test_header_aliases(server, header, order):
    (w1, e1), = fresh(1)
    values = {"n": "Edsger Dijkstra", "c": "Eindhoven", "p": w1, "t": "Professor", "x": "ignored"}
    body = csv(header, [[values[k] for k in order]])
    rep = report(raw(server, body))
    assert rep["imported"] == 1, rep
    row = stored(server, rep["list_id"])[0]
    assert row[1:3] == ("Edsger Dijkstra", "Eindhoven")
    assert row[3] == ("Professor" if "t" in order else None)
    assert row[4] == e1


@pytest.mark.parametrize("header", [
    ["First Name", "Last Name", "Company", "Phone"],
    ["first_name", "last_name", "company name", "mobile"],
    ["Company", "LAST NAME", "Phone Number", "First Name"],
])
def test_first_and_last_name_are_joined(server, header):
    nums = fresh(3)
    by = {"first name": ["Barbara", "", "Grace"], "last name": ["Liskov", "Cher", ""]}
    rows = []
    for i in range(3):
        row = []
        for h in header:
            k = h.lower().replace("_", " ")
            if k in by:
                row.append(by[k][i])
            elif "phone" in k or "mobile" in k:
                row.append(nums[i][0])
            else:
                row.append("MIT")
        rows.append(row)
    rep = report(raw(server, csv(header, rows)))
    assert rep["imported"] == 3, rep
    assert [r[1] for r in stored(server, rep["list_id"])] == ["Barbara Liskov", "Cher", "Grace"]


def test_excel_export_with_quoted_header_bom_and_crlf(server):
    (w1, e1), (w2, e2) = fresh(2)
    body = ('\ufeff"Full Name","Company Name","Phone Number","Job Title","Email"\r\n'
            '"Smith, Jane","Acme ""Global""","%s","VP, Sales","j@example.com"\r\n'
            '"Doe, John","Initech","%s","","john@example.com"\r\n' % (w1, w2)).encode("utf-8")
    for way, r in both(server, body):
        rep = report(r)
        assert rep["imported"] == 2, (way, rep)
        rows = stored(server, rep["list_id"])
        assert rows[0][1:5] == ("Smith, Jane", 'Acme "Global"', "VP, Sales", e1)
        assert rows[1][1:5] == ("Doe, John", "Initech", None, e2)


def test_name_column_wins_over_first_and_last(server):
    (w1, _), = fresh(1)
    body = csv(["First Name", "Last Name", "Name", "Company", "Phone"],
               [["Ignored", "Too", "Real Name", "Co", w1]])
    rep = report(raw(server, body))
    assert stored(server, rep["list_id"])[0][1] == "Real Name"


# --- bad rows -------------------------------------------------------------------

def test_invalid_rows_are_skipped_and_reported(server, admin):
    nums = fresh(4)
    body = (
        b"name,company,phone,title\n"
        + b"Good One,Co," + nums[0][0].encode() + b",\n"                 # 2
        + b",Co," + nums[1][0].encode() + b",\n"                        # 3 name empty
        + b"   ,Co," + nums[1][0].encode() + b",\n"                     # 4 name blank
        + b"No Company,," + nums[1][0].encode() + b",\n"                # 5 company empty
        + b"Bad Phone,Co,call me maybe,\n"                              # 6
        + b"Short,Co,555-0143,\n"                                       # 7
        + b"Empty Phone,Co,,\n"                                         # 8
        + b"Unknown CC,Co,+999 555 0143,\n"                             # 9
        + b"Premium,Co,+1 900 555 0143,\n"                              # 10
        + b"Bad \xff\xfe UTF8,Co," + nums[2][0].encode() + b",\n"       # 11
        + b"Bad,Co \xc3\x28 x," + nums[2][0].encode() + b",\n"          # 12
        + b"Too,Few\n"                                                  # 13
        + b"Too,Many,Fields,Here,And,More\n"                            # 14
        + b"Title bad \xed\xa0\x80,Co," + nums[2][0].encode() + b",t\xe9\n"  # 15 (surrogate / latin-1)
        + b"Good Two,Co," + nums[3][0].encode() + b",Boss\n"            # 16
    )
    before_lists, before_contacts = server.counts()
    for way, r in both(server, body):
        rep = report(r)
        e = errs(rep)
        assert e[3] == ("name", "required") and e[4] == ("name", "required")
        assert e[5] == ("company", "required")
        for row in (6, 7, 8, 9, 10):
            assert e[row][0] == "phone" and e[row][1] in PHONE_CODE, (row, e[row])
        assert e[6][1] == "phone_not_a_number"
        assert e[7][1] == "phone_too_short"
        assert e[8][1] == "phone_empty"
        assert e[9][1] == "phone_invalid_country_code"
        assert e[10][1] == "phone_not_dialable"
        assert e[11] == ("name", "invalid_utf8")
        assert e[12] == ("company", "invalid_utf8")
        assert e[13] == (None, "field_count") and e[14] == (None, "field_count")
        assert e[15][1] == "invalid_utf8"
        assert set(e) == set(range(3, 16)), e
        assert rep["imported"] == 2 and rep["skipped"] == 13 and rep["error_count"] == 13
        rows = stored(server, rep["list_id"])
        assert [(r[0], r[1]) for r in rows] == [(2, "Good One"), (16, "Good Two")]
    assert server.counts() == (before_lists + 2, before_contacts + 4)


def test_overlong_values(server):
    nums = fresh(3)
    body = csv(["name", "company", "phone", "title"],
               [["N" * 201, "Co", nums[0][0], ""],
                ["Ok", "Co", nums[1][0], "T" * 201],
                ["Huge", "C" * 5000, nums[2][0], ""],
                ["Fine", "Co", nums[2][0], "T" * 200]])
    rep = report(raw(server, body))
    e = errs(rep)
    assert e[2] == ("name", "too_long")
    assert e[3] == ("title", "too_long")
    assert e[4] == ("company", "field_too_long")
    assert rep["imported"] == 1
    assert stored(server, rep["list_id"])[0][3] == "T" * 200


def test_duplicates_within_the_file(server):
    (w1, e1), (w2, e2) = fresh(2)
    digits = e1[2:]
    other_spellings = ["(%s) %s-%s" % (digits[:3], digits[3:6], digits[6:]),
                       "+1 %s %s %s" % (digits[:3], digits[3:6], digits[6:]), e1]
    rows = [["First", "Co", w1]] + [["Again%d" % i, "Co", s] for i, s in enumerate(other_spellings)]
    rows.append(["Other", "Co", w2])
    rep = report(raw(server, csv(["name", "company", "phone"], rows)))
    assert rep["imported"] == 2
    assert errs(rep) == {3: ("phone", "duplicate"), 4: ("phone", "duplicate"),
                         5: ("phone", "duplicate")}
    assert all(e1 in x["message"] for x in rep["errors"])
    assert [r[1] for r in stored(server, rep["list_id"])] == ["First", "Other"]


@pytest.mark.parametrize("way", ["raw", "multipart"])
def test_duplicates_against_the_existing_list_on_append(server, admin, way):
    nums = fresh(4)
    first = csv(["name", "company", "phone"], [["A", "Co", nums[0][0]], ["B", "Co", nums[1][0]]])
    rep1 = report(multipart(server, first, auth=admin))
    list_id = rep1["list_id"]
    second = csv(["name", "company", "phone"],
                 [["A again", "Co", nums[0][1]], ["C", "Co", nums[2][0]],
                  ["B again", "Co", nums[1][0]], ["D", "Co", nums[3][0]]])
    if way == "raw":
        r = raw(server, second, auth=admin, params={"list_id": str(list_id)})
    else:
        r = multipart(server, second, auth=admin, fields={"list_id": str(list_id)})
    rep2 = report(r)
    assert rep2["list_id"] == list_id
    assert rep2["imported"] == 2 and rep2["skipped"] == 2
    assert errs(rep2) == {2: ("phone", "duplicate"), 4: ("phone", "duplicate")}
    rows = stored(server, list_id)
    assert [r[1] for r in rows] == ["A", "B", "C", "D"]
    assert server.db_scalar("SELECT contact_count FROM contact_lists WHERE id = ?", list_id) == 4
    # The same numbers in another (new) list are not duplicates.
    rep3 = report(raw(server, first))
    assert rep3["imported"] == 2 and rep3["list_id"] != list_id


def test_errors_are_capped_at_1000_but_counted_exactly(server):
    (w1, _), = fresh(1)
    rows = [["Valid", "Co", w1]] + [["Bad %d" % i, "Co", "nope"] for i in range(1500)]
    rows += [["", "Co", "x"]] * 7
    rep = report(raw(server, csv(["name", "company", "phone"], rows)))
    assert rep["imported"] == 1
    assert rep["error_count"] == 1507 and rep["skipped"] == 1507
    assert len(rep["errors"]) == 1000
    assert [e["row"] for e in rep["errors"]] == list(range(3, 1003))


# --- refused files ---------------------------------------------------------------

@pytest.mark.parametrize("header,missing", [
    (["name", "company"], ["phone"]),
    (["Full Name", "Telephone Number"], ["company"]),
    (["email", "city"], ["name", "company", "phone"]),
    (["First Name", "Company", "Phone"], ["name"]),
])
def test_missing_required_columns(server, header, missing):
    (w1, _), = fresh(1)
    body = csv(header, [[w1 if "phone" in h.lower() else "v" for h in header]])
    for way in ("raw", "multipart"):
        with stores_nothing(server):
            r = raw(server, body) if way == "raw" else multipart(server, body)
            err = assert_error(r, 422, "missing_columns")
        for col in missing:
            assert col in err["message"], err


@pytest.mark.parametrize("body", [b"", b"\xef\xbb\xbf", b"\n\n", b"   \r\n"])
def test_empty_file(server, body):
    for way in ("raw", "multipart"):
        with stores_nothing(server):
            r = raw(server, body) if way == "raw" else multipart(server, body)
            assert_error(r, 422, "empty_file")


@pytest.mark.parametrize("body", [b"name,company,phone", b"name,company,phone\n",
                                  b"\xef\xbb\xbfname;company;phone\r\n", b"name,company,phone\n\n\n"])
def test_header_only(server, body):
    for way in ("raw", "multipart"):
        with stores_nothing(server):
            r = raw(server, body) if way == "raw" else multipart(server, body)
            assert_error(r, 422, "no_rows")


def test_all_rows_invalid_stores_nothing(server, admin):
    (w1, _), = fresh(1)
    body = csv(["name", "company", "phone"], [["", "Co", w1], ["A", "Co", "nope"], ["B", "", w1]])
    for way in ("raw", "multipart"):
        with stores_nothing(server):
            r = raw(server, body, auth=admin) if way == "raw" else multipart(server, body, auth=admin)
            err = assert_error(r, 422, "no_valid_rows")
        d = err["details"]
        assert d["imported"] == 0 and d["skipped"] == 3 and d["error_count"] == 3
        assert {(e["row"], e["column"], e["code"]) for e in d["errors"]} == {
            (2, "name", "required"), (3, "phone", "phone_not_a_number"), (4, "company", "required")}


def test_random_binary_is_refused_and_stores_nothing(server):
    rnd = random.Random(1234)
    for size in (16, 4096, 300000):
        blob = rnd.randbytes(size)
        for way in ("raw", "multipart"):
            with stores_nothing(server):
                r = raw(server, blob) if way == "raw" else multipart(
                    server, blob, filename="noise.bin", file_type="application/octet-stream")
                assert_error(r, 422)


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
       b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def test_png_is_refused_and_stores_nothing(server, admin):
    for way in ("raw", "multipart"):
        with stores_nothing(server):
            r = raw(server, PNG, auth=admin) if way == "raw" else multipart(
                server, PNG, auth=admin, filename="photo.png", file_type="image/png")
            assert_error(r, 422)


def test_utf16_file_is_refused(server):
    (w1, _), = fresh(1)
    body = ("name,company,phone\nA,B,%s\n" % w1).encode("utf-16")
    with stores_nothing(server):
        assert_error(raw(server, body), 422)


@pytest.mark.parametrize("ctype", ["application/json", "application/x-www-form-urlencoded",
                                   "image/png", None])
def test_wrong_content_type_is_415(server, admin, ctype):
    (w1, _), = fresh(1)
    body = csv(["name", "company", "phone"], [["A", "B", w1]])
    with stores_nothing(server):
        assert_error(raw(server, body, content_type=ctype), 415, "unsupported_media_type")
        assert_error(raw(server, body, auth=admin, content_type=ctype), 415, "unsupported_media_type")


def test_multipart_without_file_field(server):
    with stores_nothing(server):
        r = requests.post(server.url(IMPORT), files={"upload": ("a.csv", b"name,company,phone\n")},
                          data={"list_name": "x"}, headers={"X-API-Key": server.api_key})
        assert_error(r, 422, "missing_file")


def test_malformed_multipart(server):
    (w1, _), = fresh(1)
    body = ("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
            "name,company,phone\r\nA,B,%s\r\n" % w1).encode()  # no closing boundary
    with stores_nothing(server):
        r = raw(server, body, content_type="multipart/form-data; boundary=XYZ")
        assert_error(r, 400, "malformed_multipart")
        r = raw(server, body, content_type="multipart/form-data")
        assert_error(r, 400, "malformed_multipart")


def test_multipart_list_id_after_the_file_is_refused(server):
    (w1, _), = fresh(1)
    b = "----b0undary"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\nname,company,phone\r\nA,B,%s\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"list_id\"\r\n\r\n1\r\n--%s--\r\n"
            % (b, w1, b, b)).encode()
    with stores_nothing(server):
        r = raw(server, body, content_type="multipart/form-data; boundary=" + b)
        assert_error(r, 400, "field_order")


def test_multipart_list_name_after_the_file_renames(server):
    (w1, _), = fresh(1)
    b = "b0undary-2"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\nname,company,phone\r\nA,B,%s\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"list_name\"\r\n\r\nLate name\r\n--%s--\r\n"
            % (b, w1, b, b)).encode()
    rep = report(raw(server, body, content_type="multipart/form-data; boundary=" + b))
    assert server.db_scalar("SELECT name FROM contact_lists WHERE id = ?", rep["list_id"]) == "Late name"


def test_bad_list_name_and_list_id_parameters(server):
    (w1, _), = fresh(1)
    body = csv(["name", "company", "phone"], [["A", "B", w1]])
    with stores_nothing(server):
        err = assert_error(raw(server, body, params={"list_name": "n" * 201}), 422, "validation_failed")
        assert err["details"]["field"] == "list_name"
        err = assert_error(raw(server, body, params={"list_id": "abc"}), 422, "validation_failed")
        assert err["details"]["field"] == "list_id"
        err = assert_error(multipart(server, body, fields={"list_id": "0"}), 422, "validation_failed")
        assert err["details"]["field"] == "list_id"


def test_missing_or_archived_list_id_is_404(server, admin):
    (w1, _), = fresh(1)
    body = csv(["name", "company", "phone"], [["A", "B", w1]])
    with stores_nothing(server):
        assert_error(raw(server, body, params={"list_id": "987654321"}), 404, "list_not_found")
        assert_error(multipart(server, body, fields={"list_id": "987654321"}), 404, "list_not_found")
    rep = report(raw(server, body))
    assert admin.delete(server.url("/api/v1/lists/%d" % rep["list_id"])).status_code == 204
    (w2, _), = fresh(1)
    with stores_nothing(server):
        r = raw(server, csv(["name", "company", "phone"], [["C", "D", w2]]),
                params={"list_id": str(rep["list_id"])})
        assert_error(r, 404, "list_not_found")


def test_unauthenticated_import_is_401_and_stores_nothing(server):
    (w1, _), = fresh(1)
    body = csv(["name", "company", "phone"], [["A", "B", w1]])
    with stores_nothing(server):
        r = requests.post(server.url(IMPORT), data=body, headers={"Content-Type": "text/csv"})
        assert_error(r, 401, "unauthenticated")
        r = requests.post(server.url(IMPORT), files={"file": ("a.csv", body)})
        assert_error(r, 401, "unauthenticated")
        r = requests.post(server.url(IMPORT), data=body,
                          headers={"Content-Type": "text/csv", "X-API-Key": "nope"})
        assert_error(r, 401, "unauthenticated")


def test_operator_may_import(server, operator):
    s, user, _ = operator
    (w1, _), = fresh(1)
    rep = report(multipart(server, csv(["name", "company", "phone"], [["A", "B", w1]]), auth=s))
    assert server.db_scalar("SELECT created_by FROM contact_lists WHERE id = ?", rep["list_id"]) == user["id"]


# --- regions ------------------------------------------------------------------------

def test_region_for_national_numbers(server):
    uk = ["020 7946 0%03d" % i for i in (11, 12, 13)]
    body = csv(["name", "company", "phone"], [["Brit %d" % i, "Ltd", n] for i, n in enumerate(uk)])
    rep = report(raw(server, body, params={"region": "GB"}))
    assert rep["imported"] == 3
    rows = stored(server, rep["list_id"])
    assert [r[4] for r in rows] == ["+4420794600%d" % i for i in (11, 12, 13)]
    assert rows[0][6] == "020 7946 0011" and rows[0][7] == "GB"
    au = ["0491 570 %03d" % i for i in (156, 157)]
    body = csv(["name", "company", "phone"], [["Aussie %d" % i, "Pty", n] for i, n in enumerate(au)])
    rep = report(multipart(server, body, fields={"region": "AU"}))
    rows = stored(server, rep["list_id"])
    assert [r[4] for r in rows] == ["+61491570156", "+61491570157"]
    assert rows[0][7] == "AU"
    # International numbers parse whatever the region; national UK ones do not under US.
    body = csv(["name", "company", "phone"], [["A", "B", "+44 20 7946 0014"], ["C", "D", "020 7946 0015"]])
    rep = report(raw(server, body))
    assert rep["imported"] == 1
    assert stored(server, rep["list_id"])[0][4:8] == ("+442079460014", "+44 20 7946 0014",
                                                       "020 7946 0014", "GB")
    assert errs(rep)[3][0] == "phone" and errs(rep)[3][1] in PHONE_CODE


def test_unknown_region_is_422(server):
    (w1, _), = fresh(1)
    body = csv(["name", "company", "phone"], [["A", "B", w1]])
    with stores_nothing(server):
        for region in ("XX", "001", "ZZ"):
            err = assert_error(raw(server, body, params={"region": region}), 422, "validation_failed")
            assert err["details"]["field"] == "region"
        err = assert_error(multipart(server, body, fields={"region": "Q"}), 422, "validation_failed")
        assert err["details"]["field"] == "region"


# --- size ---------------------------------------------------------------------------

def test_upload_over_the_configured_limit(server_factory):
    srv = server_factory({"DIALER_UPLOAD_LIMIT": "1000000"})
    rows = [["Name %d" % i, "Company", w] for i, (w, _) in enumerate(csvgen.written_numbers(3000))]
    small = csv(["name", "company", "phone"], rows[:100])
    body = csv(["name", "company", "phone", "pad"], [r + ["p" * 480] for r in rows])
    assert 1400000 < len(body) < 1700000
    with stores_nothing(srv):
        for r in (raw(srv, body), multipart(srv, body)):
            err = assert_error(r, 413, "payload_too_large")
            assert "1000000" in err["message"], err["message"]
            assert_common_headers(r)
        # Chunked, without a Content-Length up front: the limit still holds.
        r = requests.post(srv.url(IMPORT), data=iter([body[i:i + 65536] for i in range(0, len(body), 65536)]),
                          headers={"X-API-Key": srv.api_key, "Content-Type": "text/csv"}, timeout=60)
        assert_error(r, 413, "payload_too_large")
    # Under the limit the same server imports.
    rep = report(raw(srv, small))
    assert rep["imported"] == 100
    # The limit is inclusive: exactly 1,000,000 bytes is read, one more is not.
    head = b"name,company,phone,notes\n"
    lines = [("N%d,C,%s," % (i, w)).encode() for i, (w, _) in enumerate(csvgen.written_numbers(300, start=3000))]
    per = (1000000 - len(head)) // len(lines)
    exact = head + b"".join(l + b"p" * (per - len(l) - 1) + b"\n" for l in lines)
    exact = exact[:-1] + b"p" * (1000000 - len(exact)) + b"\n"
    assert len(exact) == 1000000
    rep = report(raw(srv, exact))
    assert rep["imported"] == 300 and rep["error_count"] == 0
    with stores_nothing(srv):
        assert_error(raw(srv, exact + b"\n"), 413, "payload_too_large")


def test_default_limit_is_25_mb(server):
    line = b"Someone,Somewhere,+1 202 555 0143,padding padding padding padding\n"
    body = b"name,company,phone,notes\n" + line * (26 * 1024 * 1024 // len(line) + 1)
    assert len(body) > 26 * 1024 * 1024
    with stores_nothing(server):
        r = raw(server, body)
        err = assert_error(r, 413, "payload_too_large")
        assert "26214400" in err["message"] and "25.0 MB" in err["message"], err["message"]


def test_concurrent_uploads_all_land(server, admin):
    """One transaction per upload: simultaneous uploads wait for each
    other, and readers are served meanwhile."""
    import threading
    body, n = csvgen.big_csv(3 * 1024 * 1024, seed=11)
    results = []

    def go(i):
        results.append(multipart(server, body, filename="concurrent-%d.csv" % i))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    reads = [admin.get(server.url("/api/v1/lists")).status_code for _ in range(5)]
    for t in threads:
        t.join()
    assert reads == [200] * 5
    ids = set()
    for r in results:
        rep = report(r)
        assert rep["imported"] == n and rep["error_count"] == 0
        ids.add(rep["list_id"])
    assert len(ids) == 3
    for lid in ids:
        assert server.db_scalar("SELECT COUNT(*) FROM contacts WHERE list_id = ?", lid) == n


def test_ten_megabytes_of_valid_rows(server):
    body, n = csvgen.big_csv(10 * 1024 * 1024)
    assert len(body) >= 10 * 1024 * 1024
    t0 = time.monotonic()
    r = multipart(server, body, filename="ten-megabytes.csv")
    took = time.monotonic() - t0
    rep = report(r)
    assert rep["imported"] == n, {k: rep[k] for k in ("imported", "skipped", "error_count")}
    assert rep["skipped"] == 0 and rep["errors"] == []
    assert took < 30, took
    assert server.db_scalar("SELECT COUNT(*) FROM contacts WHERE list_id = ?", rep["list_id"]) == n
    assert server.db_scalar("SELECT contact_count FROM contact_lists WHERE id = ?", rep["list_id"]) == n
    assert server.db_scalar("SELECT MAX(source_row) FROM contacts WHERE list_id = ?", rep["list_id"]) == n + 1
