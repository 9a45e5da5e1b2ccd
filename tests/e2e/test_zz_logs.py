"""Runs last (file order): after every import of the session, no full phone
number of an imported contact may appear in the server's logs, every
request id handed out is in requests.log, and every line the whole session
wrote there is strict logfmt with the request line's fields."""
import os
import re

import requests

import csvgen
from test_request_log import FIELDS, read_log

PHONE_LIKE = re.compile(r"\+?\d[\d ().-]{6,}\d")


def digit_forms(e164):
    digits = e164.lstrip("+")
    return {digits, digits[-10:]}


def test_imports_leave_no_phone_numbers_in_the_logs(server, operator):
    s, _, _ = operator
    nums = csvgen.written_numbers(3, start=38000)
    body = csvgen.rows_to_csv(
        ["name", "company", "phone"],
        [["Log A", "Co", nums[0][0]], ["Log B", "Co", nums[1][0]],
         ["Log A again", "Co", nums[0][1]],            # duplicate: E.164 in the message
         ["Log C", "", nums[2][0]], ["Log D", "Co", "+1 202 555 01"]])
    r = s.post(server.url("/api/v1/contacts/import"), files={"file": ("log.csv", body)})
    assert r.status_code == 200, r.text
    assert nums[0][1] in r.text  # the report may name it; the logs may not
    r = s.post(server.url("/api/v1/contacts/import"), data=body,
               headers={"Content-Type": "text/csv"}, params={"list_id": r.json()["list_id"]})
    assert r.status_code == 200 and r.json()["imported"] == 0
    bad = csvgen.rows_to_csv(["name", "company", "phone"], [["X", "", nums[2][0]]])
    r = s.post(server.url("/api/v1/contacts/import"), data=bad, headers={"Content-Type": "text/csv"})
    assert r.status_code == 422
    r = s.get(server.url("/api/v1/contacts"), params={"q": nums[0][1]})
    assert r.status_code == 200 and r.json()["total"] >= 1

    with server.db() as c:
        phones = [row[0] for row in c.execute("SELECT DISTINCT phone_e164 FROM contacts")]
    assert len(phones) > 1000  # the session's imports, including the 10 MB one
    forms = set()
    for p in phones:
        forms |= digit_forms(p)
    leaks = {}
    for name in ("requests.log", "error.log", "access.log"):
        path = os.path.join(server.log_dir, name)
        if not os.path.exists(path):
            continue
        text = server.log_text(name)
        for p in phones[:50] + [n[1] for n in nums]:
            assert p not in text, (name, p)
        for m in PHONE_LIKE.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if digits in forms or digits[-10:] in forms and len(digits) >= 10:
                leaks.setdefault(name, []).append(m.group(0))
    assert not leaks, leaks
    assert os.path.getsize(os.path.join(server.log_dir, "requests.log")) > 0


def test_every_request_id_is_logged(server, admin):
    ids = []
    for path in ("/api/v1/auth/me", "/api/v1/lists", "/api/v1/users", "/api/v1/contacts?per_page=1"):
        r = admin.get(server.url(path))
        assert r.status_code == 200
        ids.append(r.headers["X-Request-Id"])
    r = requests.get(server.url("/api/v1/auth/me"))
    assert r.status_code == 401
    ids.append(r.headers["X-Request-Id"])
    log = server.log_text("requests.log")
    for rid in ids:
        assert "request_id=%s " % rid in log, rid


def test_no_secrets_in_the_logs(server, admin):
    token = admin.cookies.get("session")
    csrf = admin.headers["X-CSRF-Token"]
    assert token and csrf
    # Make sure each secret has been sent at least once.
    assert server.api("GET", "/api/v1/auth/me").status_code == 200
    assert server.get("/api/v1/auth/me", headers={"X-API-Key": server.api_key + "x"}).status_code == 401
    assert server.post("/api/v1/auth/login", json={"username": "admin",
                                                  "password": server.admin_password}).status_code == 200
    for name in ("requests.log", "error.log", "access.log"):
        path = os.path.join(server.log_dir, name)
        if not os.path.exists(path):
            continue
        text = server.log_text(name)
        for secret in (server.api_key, server.admin_password, token, csrf):
            assert secret not in text, (name, "secret found")
    # The settings handed to the FastCGI programs hold secrets: root only.
    # Apache's file only: lighttpd takes them from its environment and
    # writes none (test_servers.py checks that).
    if server.kind == "apache":
        conf = os.path.join(server.var, "run", "fcgid-env.conf")
        st = os.stat(conf)
        assert st.st_uid == 0 and st.st_mode & 0o077 == 0, oct(st.st_mode)


def test_no_program_crashed_or_tripped_a_sanitizer(server):
    """A FastCGI program that crashed, or (with make test SAN=1) that
    AddressSanitizer or UBSan caught, writes to Apache's error log; after
    the whole session that log must hold none of it."""
    with open(os.path.join(server.log_dir, "error.log"), errors="replace") as f:
        text = f.read()
    for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer",
                   "Segmentation fault", "unexpected signal", "core dumped"):
        assert marker not in text, [l for l in text.splitlines() if marker in l][:5]


def test_the_whole_session_log_is_logfmt(server):
    entries = read_log(server)  # every line parses, or this fails naming it
    requests_seen = [e for e in entries if "route" in e]
    assert len(requests_seen) > 100
    for e in requests_seen:
        assert set(e) == FIELDS, e
        assert re.fullmatch(r"(/([a-z._-]*|v\d+|\{[a-z]+\}|\*))+", e["route"]), e
    for e in entries:
        assert "route" in e or "event" in e, e
