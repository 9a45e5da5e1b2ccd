"""The do-not-call list: GET/POST /api/v1/dnc, DELETE /api/v1/dnc/{phone},
POST /api/v1/dnc/import, GET /api/v1/dnc.csv, and dialerctl dnc-import /
dnc-export. Admin only.

On the shared server: every test takes its numbers from a pool no other
test file uses, and what a test listed is taken off again afterwards, so
no later test finds its numbers refused."""
import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile

import pytest
import requests

import csvgen
from conftest import DIALERCTL, assert_common_headers, assert_error, clean_env, give_back

DNC = "/api/v1/dnc"
DNC_CSV = "/api/v1/dnc.csv"
IMPORT = "/api/v1/dnc/import"
ENTRY_KEYS = {"phone", "phone_display", "reason", "source", "added_by", "added_by_name",
              "call_id", "added_at"}
REPORT_KEYS = {"added", "already_listed", "errors", "error_count"}
HEADER = "phone,reason,source,added_by,added_at"

# Past test_import's pool (30000..36000).
_pool = iter(csvgen.written_numbers(1500, start=36600))


def fresh(n=1):
    """n fictional NANPA numbers no other test uses: [(written, e164)]."""
    return [next(_pool) for _ in range(n)]


@pytest.fixture(autouse=True)
def unlist_afterwards(server):
    with server.db() as c:
        before = {r[0] for r in c.execute("SELECT phone_e164 FROM dnc")}
    yield
    with server.db() as c:
        after = {r[0] for r in c.execute("SELECT phone_e164 FROM dnc")}
    for phone in after - before:
        server.db_write("DELETE FROM dnc WHERE phone_e164 = ?", phone)


def entry(server, phone):
    """The stored row of a number, or None."""
    with server.db() as c:
        return c.execute("SELECT phone_e164, reason, source, added_by, call_id FROM dnc "
                         "WHERE phone_e164 = ?", (phone,)).fetchone()


def add(server, phone, reason=None, expect=201):
    body = {"phone": phone} if reason is None else {"phone": phone, "reason": reason}
    r = server.api("POST", DNC, json=body)
    assert r.status_code == expect, r.text
    return r.json()


def upload(server, body, auth=None, filename="dnc.csv"):
    files = {"file": (filename, body, "text/csv")}
    if auth is None:
        return requests.post(server.url(IMPORT), files=files,
                             headers={"X-API-Key": server.api_key}, timeout=120)
    return auth.post(server.url(IMPORT), files=files, timeout=120)


def report(r):
    assert r.status_code == 200, (r.status_code, r.text[:3000])
    assert_common_headers(r)
    rep = r.json()
    assert set(rep) == REPORT_KEYS, rep
    for e in rep["errors"]:
        assert set(e) == {"row", "column", "code", "message"}, e
        assert e["code"] and e["message"]
    return rep


def parse(body):
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline=""), strict=True))


def ctl(server, *args, stdin=None):
    env = clean_env()
    env["DIALER_DB"] = server.db_path
    try:
        return subprocess.run([DIALERCTL, *args], capture_output=True, env=env, timeout=120,
                              input=stdin)
    finally:
        give_back(server.var)


# --- add, list, remove ------------------------------------------------------

def test_add_and_list(server, admin):
    (w1, e1), (w2, e2) = fresh(2)
    r = admin.post(server.url(DNC), json={"phone": w1, "reason": "Asked on the phone"})
    assert r.status_code == 201, r.text
    assert_common_headers(r)
    body = r.json()
    assert set(body) == {"entry"}
    ent = body["entry"]
    assert set(ent) == ENTRY_KEYS
    admin_id = admin.get(server.url("/api/v1/auth/me")).json()["user"]["id"]
    assert ent["phone"] == e1
    assert ent["phone_display"] == "(%s) %s-%s" % (e1[2:5], e1[5:8], e1[8:])
    assert ent["reason"] == "Asked on the phone" and ent["source"] == "manual"
    assert ent["added_by"] == admin_id and ent["added_by_name"] == "admin"
    assert ent["call_id"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ent["added_at"])
    assert entry(server, e1) == (e1, "Asked on the phone", "manual", admin_id, None)
    # The API key adds for no user; no reason is null.
    ent2 = add(server, w2)["entry"]
    assert ent2["reason"] is None and ent2["added_by"] is None
    assert ent2["added_by_name"] is None
    # Newest first.
    r = admin.get(server.url(DNC), params={"per_page": 2})
    assert r.status_code == 200
    page = r.json()
    assert set(page) == {"items", "page", "per_page", "total"}
    assert [i["phone"] for i in page["items"]] == [e2, e1]
    assert page["items"][1] == ent and page["page"] == 1 and page["per_page"] == 2
    assert page["total"] == server.db_scalar("SELECT COUNT(*) FROM dnc")


def test_repeat_keeps_the_first_entry(server, admin):
    (w, e), = fresh(1)
    first = add(server, w, "first")["entry"]
    r = admin.post(server.url(DNC), json={"phone": e, "reason": "second"})
    assert r.status_code == 200, r.text
    assert r.json() == {"entry": first, "already_listed": True}
    assert entry(server, e)[1:3] == ("first", "manual")


def test_paging_and_search(server):
    nums = fresh(5)
    for i, (w, _) in enumerate(nums):
        add(server, w, "paging test zq%d" % i)
    newest_first = [e for _, e in reversed(nums)]
    got = []
    for page in (1, 2, 3):
        r = server.api("GET", DNC, params={"q": "paging test zq", "page": page, "per_page": 2})
        assert r.status_code == 200
        body = r.json()
        assert body["total"] == 5 and body["page"] == page
        got += [i["phone"] for i in body["items"]]
    assert got == newest_first
    r = server.api("GET", DNC, params={"q": "paging test zq", "page": 4, "per_page": 2})
    assert r.json()["items"] == [] and r.json()["total"] == 5
    # Digits however written find the number; words find the reason.
    e = nums[2][1]
    written = "(%s) %s-%s" % (e[2:5], e[5:8], e[8:])
    body = server.api("GET", DNC, params={"q": written}).json()
    assert [i["phone"] for i in body["items"]] == [e] and body["total"] == 1
    body = server.api("GET", DNC, params={"q": "ZQ3"}).json()
    assert [i["phone"] for i in body["items"]] == [nums[3][1]]
    # LIKE's wildcards are literal.
    assert server.api("GET", DNC, params={"q": "paging_test"}).json()["total"] == 0


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "x"}, {"per_page": "0"},
                                    {"per_page": "201"}, {"q": "x" * 201}])
def test_bad_query_is_400(server, params):
    assert_error(server.api("GET", DNC, params=params), 400, "invalid_parameter")


@pytest.mark.parametrize("phone,reason", [
    ("not a number", "phone_not_a_number"),
    ("555", "phone_too_short"),
    ("+1 900 555 0100", None),
    ("", None),
])
def test_bad_phone_is_422(server, phone, reason):
    r = server.api("POST", DNC, json={"phone": phone})
    if phone == "":
        err = assert_error(r, 422, "validation_failed")
        assert err["details"]["field"] == "phone"
        return
    err = assert_error(r, 422, "invalid_phone")
    assert err["details"]["field"] == "phone"
    if reason is not None:
        assert err["details"]["reason"] == reason
    assert server.db_scalar("SELECT COUNT(*) FROM dnc WHERE phone_e164 LIKE '+1900%'") == 0


def test_reason_limit_is_200_characters(server):
    (w1, e1), (w2, e2) = fresh(2)
    err = assert_error(server.api("POST", DNC, json={"phone": w1, "reason": "é" * 201}), 422,
                       "validation_failed")
    assert err["details"] == {"field": "reason", "reason": "length"}
    assert "200" in err["message"]
    assert entry(server, e1) is None
    assert add(server, w2, "é" * 200)["entry"]["reason"] == "é" * 200
    for body in ({"phone": 5}, {"phone": w1, "reason": 5}, {}):
        assert_error(server.api("POST", DNC, json=body), 422, "validation_failed")
    assert_error(server.api("POST", DNC, data="{", headers={"Content-Type": "application/json"}),
                 400)


def test_delete(server, admin):
    (w1, e1), (w2, e2), (w3, e3) = fresh(3)
    for w in (w1, w2, w3):
        add(server, w)
    # '+' as it is, and %2B-encoded.
    r = admin.delete(server.url(DNC + "/" + e1))
    assert r.status_code == 204 and r.content == b""
    assert entry(server, e1) is None
    r = server.api("DELETE", DNC + "/%2B" + e2[1:])
    assert r.status_code == 204
    assert entry(server, e2) is None
    r = server.api("DELETE", DNC + "/%2b" + e3[1:])
    assert r.status_code == 204
    # Gone already, or never listed.
    assert_error(server.api("DELETE", DNC + "/" + e1), 404, "dnc_not_found")
    assert_error(server.api("DELETE", DNC + "/%2B" + e2[1:]), 404, "dnc_not_found")
    assert_error(server.api("DELETE", DNC + "/not-a-number"), 422, "invalid_phone")
    assert_error(server.api("DELETE", DNC + "/" + e1[:5] + "/" + e1[5:]), 404, "dnc_not_found")


def test_methods_and_paths(server):
    for method, path, allow in (("PUT", DNC, "GET, POST"), ("DELETE", DNC, "GET, POST"),
                                ("POST", DNC_CSV, "GET, HEAD"), ("GET", IMPORT, "POST"),
                                ("GET", DNC + "/+12025550143", "DELETE"),
                                ("PATCH", DNC + "/+12025550143", "DELETE")):
        r = server.api(method, path)
        assert_error(r, 405)
        assert r.headers["Allow"] == allow, (method, path)
    assert_error(server.api("GET", DNC + "/"), 404, "not_found")


# --- who may ------------------------------------------------------------------

def test_authorization(server, admin, operator):
    op, _user, _pw = operator
    (w, e), = fresh(1)
    requests_ = [("GET", DNC, {}), ("POST", DNC, {"json": {"phone": w}}),
                 ("DELETE", DNC + "/" + e, {}), ("GET", DNC_CSV, {}),
                 ("POST", IMPORT, {"files": {"file": ("d.csv", b"phone\n" + w.encode() + b"\n")}})]
    for method, path, kw in requests_:
        assert_error(requests.request(method, server.url(path), timeout=30, **kw), 401,
                     "unauthenticated")
        assert_error(op.request(method, server.url(path), timeout=30, **kw), 403, "forbidden")
        assert_error(server.request(method, path, headers={"X-API-Key": "wrong"}, **kw), 401)
    assert entry(server, e) is None
    # A session's writes need the CSRF header; reads do not.
    bare = requests.Session()
    bare.cookies.update(admin.cookies)
    assert bare.get(server.url(DNC)).status_code == 200
    for method, path, kw in requests_[1:3] + requests_[4:]:
        assert_error(bare.request(method, server.url(path), timeout=30, **kw), 403, "csrf")
    assert entry(server, e) is None
    # The admin's session with the header, and the API key, may.
    assert admin.post(server.url(DNC), json={"phone": w}).status_code == 201
    assert server.api("DELETE", DNC + "/" + e).status_code == 204


# --- import ---------------------------------------------------------------------

def test_import_reports_bad_rows_by_row_number(server, admin):
    nums = fresh(4)
    add(server, nums[3][0], "listed before")
    body = ("\ufeffPhone;Reason\r\n"
            "%s;asked\r\n"
            "not a number;x\r\n"
            "\"%s\";\"multi\nline\"\r\n"
            "%s;%s\r\n"
            "%s;\r\n"
            "%s;again\r\n"
            ";\r\n"
            % (nums[0][0], nums[1][0], nums[2][0], "r" * 201, nums[3][0], nums[0][1]))
    rep = report(upload(server, body.encode(), auth=admin))
    assert rep["added"] == 2 and rep["already_listed"] == 2
    assert rep["error_count"] == 3 == len(rep["errors"])
    # Row 4 holds a newline; the rows after it are numbered as a spreadsheet shows them.
    assert [(e["row"], e["column"], e["code"]) for e in rep["errors"]] == [
        (3, "phone", "phone_not_a_number"), (5, "reason", "too_long"), (8, "phone", "phone_empty")]
    assert "200" in rep["errors"][1]["message"]
    admin_id = admin.get(server.url("/api/v1/auth/me")).json()["user"]["id"]
    assert entry(server, nums[0][1]) == (nums[0][1], "asked", "import", admin_id, None)
    assert entry(server, nums[1][1])[1] == "multi\nline"
    assert entry(server, nums[2][1]) is None
    assert entry(server, nums[3][1])[1:3] == ("listed before", "manual")


def test_import_raw_csv_body(server):
    (w, e), = fresh(1)
    r = requests.post(server.url(IMPORT), data=("number\n%s\n" % w).encode(),
                      headers={"X-API-Key": server.api_key, "Content-Type": "text/csv"},
                      timeout=60)
    rep = report(r)
    assert rep == {"added": 1, "already_listed": 0, "errors": [], "error_count": 0}
    assert entry(server, e)[1:4] == (None, "import", None)


@pytest.mark.parametrize("body,code", [
    (b"", "empty_file"),
    (b"name,reason\nAda,x\n", "missing_columns"),
    (b"phone,reason\r\n", "no_rows"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "bad_header"),
])
def test_refused_file_stores_nothing(server, body, code):
    before = server.db_scalar("SELECT COUNT(*) FROM dnc")
    err = assert_error(upload(server, body), 422, code)
    if code == "missing_columns":
        assert "phone" in err["message"]
    assert server.db_scalar("SELECT COUNT(*) FROM dnc") == before


def test_import_upload_errors(server):
    r = requests.post(server.url(IMPORT), files={"other": ("d.csv", b"phone\n")},
                      headers={"X-API-Key": server.api_key}, timeout=60)
    assert_error(r, 422, "missing_file")
    r = server.api("POST", IMPORT, data=b"{}", headers={"Content-Type": "application/json"})
    assert_error(r, 415, "unsupported_media_type")
    r = server.api("POST", IMPORT, data=b"--x\r\nnonsense",
                   headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert_error(r, 400, "malformed_multipart")


def test_import_respects_the_upload_limit(server_factory):
    srv = server_factory({"DIALER_UPLOAD_LIMIT": "1000"})
    (w, e), = fresh(1)
    body = ("phone,reason\n" + "%s,%s\n" % (w, "x" * 100) * 20).encode()
    err = assert_error(upload(srv, body), 413, "payload_too_large")
    assert "1000 bytes" in err["message"]

    def pieces():  # no Content-Length: counted as it arrives
        for i in range(0, len(body), 100):
            yield body[i:i + 100]

    r = requests.post(srv.url(IMPORT), data=pieces(), timeout=60,
                      headers={"X-API-Key": srv.api_key, "Content-Type": "text/csv"})
    assert "1000 bytes" in assert_error(r, 413, "payload_too_large")["message"]
    assert srv.db_scalar("SELECT COUNT(*) FROM dnc") == 0


# --- export -------------------------------------------------------------------

def test_export_defuses_formulas_and_round_trips(server):
    (w1, e1), (w2, e2) = fresh(2)
    add(server, w1, '=HYPERLINK("http://evil.example","x")')
    add(server, w2, 'said "no", then\nhung up')
    r = server.api("GET", DNC_CSV)
    assert r.status_code == 200
    assert_common_headers(r)
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="dnc.csv"'
    assert r.content.startswith((HEADER + "\r\n").encode())
    rows = parse(r.content)
    assert rows[0] == HEADER.split(",")
    assert len(rows) == 1 + server.db_scalar("SELECT COUNT(*) FROM dnc")
    mine = {row[0]: row for row in rows[1:] if row[0] in ("'" + e1, "'" + e2)}
    assert mine["'" + e1][1:4] == ["'" + '=HYPERLINK("http://evil.example","x")', "manual", ""]
    assert mine["'" + e2][1] == 'said "no", then\nhung up'
    # Oldest first.
    assert [row[0] for row in rows[1:]].index("'" + e1) < [row[0] for row in rows[1:]].index(
        "'" + e2)
    # Read back by the import: off the list, then on again, reasons intact.
    server.api("DELETE", DNC + "/" + e2)
    rep = report(upload(server, r.content))
    assert rep["added"] == 1 and rep["error_count"] == 0
    assert rep["already_listed"] == len(rows) - 2
    assert entry(server, e2)[1:3] == ('said "no", then\nhung up', "import")
    # HEAD: the headers without the body.
    h = requests.head(server.url(DNC_CSV), headers={"X-API-Key": server.api_key}, timeout=30)
    assert h.status_code == 200 and h.content == b""


# --- the request log ------------------------------------------------------------

def test_request_log_never_holds_the_number(server):
    (w, e), = fresh(1)
    logs = {}
    for name in ("requests.log", "error.log"):
        path = os.path.join(server.log_dir, name)
        logs[name] = os.path.getsize(path) if os.path.exists(path) else 0
    add(server, w, "log test")
    assert server.api("GET", DNC, params={"q": e}).status_code == 200
    assert server.api("DELETE", DNC + "/" + e).status_code == 204
    add(server, w, "log test")
    assert server.api("DELETE", DNC + "/%2B" + e[1:]).status_code == 204
    assert server.api("DELETE", DNC + "/" + e).status_code == 404
    digits = e[2:]
    for name, offset in logs.items():
        path = os.path.join(server.log_dir, name)
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        assert digits not in text, (name, text)
        if name == "requests.log":
            deletes = [ln for ln in text.splitlines()
                       if "method=DELETE" in ln and "program=dnc" in ln]
            assert len(deletes) == 3, text
            for ln in deletes:
                assert "route=/api/v1/dnc/{phone}" in ln, ln


# --- dialerctl ------------------------------------------------------------------

def test_dialerctl_import_and_export(server):
    nums = fresh(3)
    d = tempfile.mkdtemp(prefix="dnc-e2e-")
    try:
        src = os.path.join(d, "in.csv")
        with open(src, "w") as f:
            f.write("phone,reason\n%s,\n%s,own reason\nbad,x\n" % (nums[0][0], nums[1][0]))
        p = ctl(server, "dnc-import", src, "--reason", "registry 2026")
        assert p.returncode == 0, p.stderr
        rep = json.loads(p.stdout)
        assert rep["added"] == 2 and rep["already_listed"] == 0
        assert [(e["row"], e["column"]) for e in rep["errors"]] == [(4, "phone")]
        assert entry(server, nums[0][1])[1:4] == ("registry 2026", "import", None)
        assert entry(server, nums[1][1])[1] == "own reason"
        # stdin, and the same report the endpoint gives for the same file.
        p = ctl(server, "dnc-import", "-", stdin=("phone\n%s\n" % nums[0][0]).encode())
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout) == {
            "added": 0, "already_listed": 1, "errors": [], "error_count": 0}
        # The export: the bytes of GET /api/v1/dnc.csv, to stdout or a file.
        p = ctl(server, "dnc-export")
        assert p.returncode == 0, p.stderr
        assert p.stdout == server.api("GET", DNC_CSV).content
        out = os.path.join(d, "dnc.csv")
        p = ctl(server, "dnc-export", "--output", out)
        assert p.returncode == 0 and p.stdout == b"", p.stderr
        with open(out, "rb") as f:
            assert f.read() == server.api("GET", DNC_CSV).content
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        assert sorted(os.listdir(d)) == ["dnc.csv", "in.csv"]
        # A refused file stores nothing and says why.
        before = server.db_scalar("SELECT COUNT(*) FROM dnc")
        empty = os.path.join(d, "empty.csv")
        with open(empty, "w") as f:
            f.write("name\n%s\n" % nums[2][0])
        p = ctl(server, "dnc-import", empty)
        assert p.returncode == 1 and b"phone" in p.stderr and b"nothing was stored" in p.stderr
        assert server.db_scalar("SELECT COUNT(*) FROM dnc") == before
        # Errors: no such file, the live database as output, usage.
        p = ctl(server, "dnc-import", os.path.join(d, "missing.csv"))
        assert p.returncode == 1 and b"No such file or directory" in p.stderr
        p = ctl(server, "dnc-export", "--output", server.db_path)
        assert p.returncode == 1 and b"live database" in p.stderr
        p = ctl(server, "dnc-import", src, "--reason", "x" * 201)
        assert p.returncode == 2 and b"200" in p.stderr
        for args in (["dnc-import"], ["dnc-import", src, "--bogus"], ["dnc-export", "x"]):
            p = ctl(server, *args)
            assert p.returncode == 2, (args, p.stderr)
            assert b"usage: dialerctl " + args[0].encode() in p.stderr
        for cmd in ("dnc-import", "dnc-export"):
            p = ctl(server, cmd, "--help")
            assert p.returncode == 0 and b"usage: dialerctl " + cmd.encode() in p.stdout
            assert cmd.encode() in ctl(server, "--help").stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)
