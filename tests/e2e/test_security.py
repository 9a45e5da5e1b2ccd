"""Security properties the other files leave out (test_auth.py: login
cookie flags, throttling per name and address, expiry; test_http_basics.py
and test_servers.py: headers on ordinary answers, the plain database and
config names; test_zz_logs.py and test_request_log.py: secrets and numbers
in the logs of ordinary requests; test_authz_matrix.py: who may do what).

Here: the cookie that logout sends, Secure when configured; the headers on
every kind of answer, the server's own refusals of malformed requests
included; TRACE; path tricks towards the database, the settings file and
etc/; secrets and numbers in odd places of a request kept out of every
log; the throttle not dodged by a forwarded-for header; and no input ever
echoed raw into an HTML answer.
"""
import csv
import io
import os
import secrets
import socket
import urllib.parse

import pytest
import requests

from conftest import Server
from test_servers import DIAL_CSP, SECURITY_HEADERS, STRICT_CSP

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"


def raw_request(srv, head, body=b""):
    """Send bytes as they are (no client normalises the path); the status,
    the headers (lower-case names) and the body."""
    c = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        c.sendall(head + body)
        data = b""
        while True:
            part = c.recv(65536)
            if not part:
                break
            data += part
    finally:
        c.close()
    top, _, rest = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        out = b""
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size.split(b";")[0], 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        rest = out
    return status, headers, rest


def get_raw(srv, target, method="GET", extra=b""):
    return raw_request(srv, b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n"
                       % (method.encode(), target.encode("latin-1"), extra))


def assert_headers(where, headers, csp=STRICT_CSP):
    """headers: a requests CaseInsensitiveDict or a dict of lower-case names."""
    h = {k.lower(): v for k, v in headers.items()}
    assert h.get("content-security-policy") == csp, (where, h)
    for name, value in SECURITY_HEADERS.items():
        assert h.get(name.lower()) == value, (where, name, h.get(name.lower()))


def set_cookies(r):
    return [v for k, v in r.raw.headers.items() if k.lower() == "set-cookie"]


# --- cookies ------------------------------------------------------------------

def cookie_attrs(line):
    parts = [p.strip() for p in line.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return name, value, attrs


@pytest.mark.parametrize("secure", ["0", "1"])
def test_login_and_logout_cookies_carry_httponly_samesite_and_secure_when_on(request, secure):
    # The session's server runs with DIALER_COOKIE_SECURE=0 (plain http on
    # loopback), the logs' server below with 1.
    srv = request.getfixturevalue("server") if secure == "0" else request.getfixturevalue("logged")[0]
    r = requests.post(srv.url(LOGIN), json={"username": "admin",
                                            "password": srv.admin_password}, timeout=30)
    assert r.status_code == 200, r.text
    (line,) = set_cookies(r)
    name, token, attrs = cookie_attrs(line)
    assert name == "session" and token
    csrf = r.json()["csrf_token"]
    r = requests.post(srv.url(LOGOUT), cookies={"session": token},
                      headers={"X-CSRF-Token": csrf}, timeout=30)
    assert r.status_code == 204, r.text
    (cleared,) = set_cookies(r)
    name, value, cleared_attrs = cookie_attrs(cleared)
    assert name == "session" and value == ""
    assert cleared_attrs["max-age"] == "0"
    for a in (attrs, cleared_attrs):
        assert "httponly" in a and a["samesite"] == "Strict" and a["path"] == "/", a
        assert ("secure" in a) == (secure == "1"), a


# --- headers on every kind of answer -------------------------------------------

def test_every_kind_of_answer_carries_the_security_headers(server, admin):
    csv_body = "name,company,phone\nAda,Co,+12025550181\n"
    # (what, request, wanted status): one of each status and content type
    # the API gives, and pages.
    cases = [
        ("json 200", lambda: admin.get(server.url("/api/v1/lists")), 200),
        ("json 201", lambda: server.api("POST", "/api/v1/users", json={
            "username": "hdr-" + secrets.token_hex(4), "password": "pw-" + secrets.token_hex(8)}), 201),
        ("204", lambda: server.api("POST", LOGOUT), 204),
        ("HEAD", lambda: server.api("HEAD", "/api/v1/health"), 200),
        ("csv", lambda: server.api("GET", "/api/v1/calls.csv"), 200),
        ("import", lambda: server.api("POST", "/api/v1/contacts/import?list_name=hdr",
                                      data=csv_body, headers={"Content-Type": "text/csv"}), 200),
        ("400 invalid json", lambda: server.post(LOGIN, data="{", headers={
            "Content-Type": "application/json"}), 400),
        ("401", lambda: server.get("/api/v1/calls"), 401),
        ("403 csrf", lambda: requests.post(server.url("/api/v1/calls"), json={},
                                           cookies=admin.cookies, timeout=30), 403),
        ("404 api", lambda: server.api("GET", "/api/v1/calls/999999"), 404),
        ("405", lambda: server.api("OPTIONS", "/api/v1/calls"), 405),
        ("413 json", lambda: server.post(LOGIN, data="{" + " " * 70000 + "}", headers={
            "Content-Type": "application/json"}), 413),
        ("415", lambda: server.post(LOGIN, data="x", headers={"Content-Type": "text/plain"}), 415),
        ("422", lambda: server.api("POST", "/api/v1/calls", json={"to_phone": "12"}), 422),
        ("page", lambda: server.get("/"), 200),
        ("css", lambda: server.get("/css/dial.css"), 200),
        ("stats page", lambda: server.get("/stats"), 200),
        ("404 page", lambda: server.get("/nothing-here.html"), 404),
    ]
    for what, send, status in cases:
        r = send()
        assert r.status_code == status, (what, r.status_code, r.text[:300])
        assert_headers(what, r.headers)
    r = server.get("/dial")
    assert r.status_code == 200
    assert_headers("dial page", r.headers, DIAL_CSP)


# Requests the server itself refuses before any program or file is
# involved: (what, bytes, Apache's status, lighttpd's status). lighttpd
# answers those it cannot parse with its own fixed page before it applies
# any configuration, so without the headers (a limitation of lighttpd 1.4:
# not even a global setenv reaches them); the page holds nothing of the
# request. Apache's carry them (mod_headers "always").
REFUSALS = [
    ("bad Host", b"GET / HTTP/1.1\r\nHost: <x>\r\nConnection: close\r\n\r\n", 400, 400),
    ("URI too long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
     414, 431),
    ("header too large", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000
     + b"\r\nConnection: close\r\n\r\n", 400, 431),
    ("unknown method", b"FROB / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 501, 501),
    ("body over the server's limit", b"POST /index.html HTTP/1.1\r\nHost: x\r\n"
     b"Content-Length: 67108865\r\nConnection: close\r\n\r\n", 413, 413),
]


@pytest.mark.parametrize("what,head,apache,lighttpd", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_the_servers_own_refusals(server, what, head, apache, lighttpd):
    status, headers, body = raw_request(server, head)
    if server.kind == "apache":
        assert status == apache, (what, status)
        assert_headers(what, headers)
    else:
        assert status == lighttpd, (what, status)
        assert headers.get("content-type") == "text/html", headers
        assert b"<h1>%d " % status in body, body[:300]
        for echo in (b"<x>", b"FROB", b"aaaa", b"X-Big"):
            assert echo not in body, (what, echo)


def test_a_dot_dot_path_is_refused_or_resolved_inside_the_site(server):
    status, headers, body = get_raw(server, "/../index.html")
    # Apache refuses the path; lighttpd resolves it to /index.html.
    assert status == (400 if server.kind == "apache" else 200), status
    assert_headers("/../index.html", headers)


def test_trace_is_refused_and_echoes_nothing(server):
    """TRACE would send the request back, its Cookie header too: the one
    way around HttpOnly (cross-site tracing)."""
    token = "trace-" + secrets.token_hex(8)
    for target in ("/", "/index.html", "/api/v1/calls"):
        status, headers, body = get_raw(server, target, "TRACE",
                                        b"Cookie: session=%s\r\n" % token.encode())
        assert status in (403, 405, 501), (target, status, body[:200])
        assert token.encode() not in body
        assert headers.get("content-type", "").split(";")[0] != "message/http"
        assert_headers("TRACE " + target, headers)


# --- the database, its journals, settings and etc/ are never served ---------------

TRICKS = [
    "/%2e%2e/dialer.db", "/%2E%2E/%2E%2E/dialer.db", "/..%2fdialer.db", "/..%2F..%2Fdialer.db",
    "//dialer.db", "///var/dialer.db", "/./dialer.db", "/css/../dialer.db",
    "/css/..%2f..%2fdialer.db", "/errors/%2e%2e/%2e%2e/dialer.db", "/dialer.db%00.html",
    "/dialer.db/", "/dialer.db.", "/dialer.db%20", "/DIALER.DB-WAL", "/dialer.db-shm",
    "/dialer.db;.html", "/dialer%2edb", "/dialer.db?x=1", "/dialer.db%23",
    "/run/fcgid-env.conf", "/%2e%2e/run/fcgid-env.conf", "/../../run/fcgid-env.conf",
    "/..%2f..%2frun%2ffcgid-env.conf", "/etc/dialer.conf", "/etc/dialer.conf.sample",
    "/%2e%2e/etc/dialer.conf.sample", "/..%2f..%2fetc%2fdialer.conf.sample",
    "/etc/", "/%2e%2e/etc/", "/apache.conf", "/lighttpd.conf", "/%2e%2e/apache.conf",
    "/cgi-bin/auth_login", "/auth_login", "/api/v1/..%2f..%2fdialer.db",
    "/api/v1/%2e%2e/%2e%2e/dialer.db", "/api/v1/health/../../../dialer.db",
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/..%5c..%5cdialer.db", "/%252e%252e/dialer.db", "/.git/config", "/.env",
    "/log/requests.log", "/%2e%2e/log/requests.log",
]


def test_database_settings_and_etc_are_not_served_through_path_tricks(server):
    with open(server.db_path, "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"
    never = [b"SQLite format 3", server.api_key.encode(), server.admin_password.encode(),
             b"FcgidInitialEnv", b"DIALER_", b"root:x:0:0", b"[core]", b"LoadModule",
             b"request_id="]
    for target in TRICKS:
        status, headers, body = get_raw(server, target)
        assert status in (400, 403, 404), (target, status, body[:200])
        for n in never:
            assert n not in body, (target, n)
        assert headers.get("content-type", "").split(";")[0] in (
            "application/json", "text/html"), (target, headers)


# --- the logs ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def logged():
    """A server with a provider secret, driven with secrets and full numbers
    where a log could catch them: paths, query strings, headers, bodies of
    refused requests."""
    token = "twtok" + secrets.token_hex(16)
    srv = Server({"TWILIO_ACCOUNT_SID": "AC" + "d4" * 16, "TWILIO_AUTH_TOKEN": token,
                  "TWILIO_API_KEY_SID": "SK" + "e5" * 16,
                  "TWILIO_API_KEY_SECRET": "sks" + secrets.token_hex(12),
                  "TWILIO_TWIML_APP_SID": "AP" + "f6" * 16,
                  "TWILIO_API_BASE": "http://127.0.0.1:9",
                  "DIALER_COOKIE_SECURE": "1"}).start()
    try:
        phones = ["+1202555%04d" % n for n in (191, 192, 193, 194, 195, 196, 197)]
        pw = "pw-" + secrets.token_urlsafe(12)
        user, _ = srv.create_user(password=pw)
        s = srv.login(user["username"], pw)
        tok, csrf = s.cookies.get("session"), s.headers["X-CSRF-Token"]
        secrets_sent = {token, srv.api_key, srv.admin_password, pw, tok, csrf,
                        "wrong-" + pw, "new-" + pw}
        api = {"X-API-Key": srv.api_key}
        q = urllib.parse.quote
        # A password typed into the name field, and a wrong one.
        srv.post(LOGIN, json={"username": user["username"], "password": "wrong-" + pw})
        srv.post(LOGIN, json={"username": pw, "password": pw})
        # Secrets and numbers in query strings and paths of pages, the API and
        # refusals; a key in the wrong header.
        srv.get("/?token=%s&phone=%s" % (q(token), q(phones[0])))
        srv.get("/contacts/%s" % q(phones[1]))
        srv.get("/api/v1/no-such/%s?key=%s" % (q(phones[1]), q(srv.api_key)))
        srv.get("/api/v1/contacts?q=%s&token=%s" % (q(phones[2]), q(tok)), headers=api)
        srv.get("/api/v1/auth/me", headers={"Authorization": "Bearer " + srv.api_key,
                                            "X-Api-Key": srv.api_key + "x"})
        srv.get("/index.html", cookies={"session": tok})
        # A password change and a refused weak one.
        srv.api("PATCH", "/api/v1/users/%d" % user["id"], json={"password": "new-" + pw})
        srv.api("POST", "/api/v1/users", json={"username": "weak-" + secrets.token_hex(3),
                                               "password": "short"})
        # Numbers in bodies the programs refuse or keep.
        srv.api("POST", "/api/v1/calls", json={"to_phone": phones[3] + "99999"})
        srv.api("POST", "/api/v1/dnc", json={"phone": phones[4], "reason": "asked"})
        srv.api("DELETE", "/api/v1/dnc/%s" % q(phones[4]))
        srv.api("DELETE", "/api/v1/dnc/%s" % phones[5])
        srv.api("GET", "/aicallgo/api/v1/cold-call/status/%s" % q(phones[6]))
        # A forged provider callback naming numbers.
        srv.post("/api/v1/twilio/call-status?call=1", data={
            "To": phones[6], "From": phones[0], "CallSid": "CA" + "1" * 32,
            "CallStatus": "completed"}, headers={"X-Twilio-Signature": "forged"})
        yield srv, secrets_sent, phones
    finally:
        srv.cleanup()


def test_no_log_holds_a_secret_or_a_full_number(logged):
    srv, secrets_sent, phones = logged
    names = [n for n in ("requests.log", "access.log", "error.log")
             if os.path.exists(os.path.join(srv.log_dir, n))]
    assert "requests.log" in names and "access.log" in names, names
    for name in names:
        text = srv.log_text(name)
        for s in secrets_sent:
            assert s not in text, (name, "a secret is in the log", len(s))
        for e164 in phones:
            digits = e164[1:]
            for form in (digits, digits[1:], urllib.parse.quote(e164)):
                assert form not in text, (name, "a full number is in the log")


# --- login throttling -----------------------------------------------------------------

def test_the_address_throttle_is_not_dodged_by_forwarding_headers(server_factory):
    """The per-address count is by the connection's address: a client
    cannot start afresh by claiming another in a header."""
    srv = server_factory({"DIALER_LOGIN_MAX_PER_ADDR": "3"})
    for i in range(3):
        r = srv.post(LOGIN, json={"username": "n%d" % i, "password": "wrong-password"},
                     headers={"X-Forwarded-For": "10.0.0.%d" % i})
        assert r.status_code == 401, r.text
    for i, h in enumerate(("X-Forwarded-For", "X-Real-IP", "Forwarded", "Client-IP",
                           "True-Client-IP")):
        value = "for=10.9.9.%d" % i if h == "Forwarded" else "10.9.9.%d" % i
        r = srv.post(LOGIN, json={"username": "admin", "password": srv.admin_password},
                     headers={h: value})
        assert r.status_code == 429, (h, r.status_code)
    with srv.db() as c:
        keys = {k for (k,) in c.execute("SELECT key FROM login_failures WHERE kind = 'addr'")}
    assert keys == {"127.0.0.1"}, keys


# --- nothing echoed raw into HTML --------------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>",
            "</title><svg onload=alert(3)>"]


def test_no_answer_echoes_raw_input_into_html(server, admin):
    answers = []

    def note(r, payload):
        answers.append((r, payload))
        return r

    q = urllib.parse.quote
    for p in PAYLOADS:
        # In paths: pages, the API, ids, the seed's routes, a number to remove.
        for path in ("/%s" % q(p), "/dial/%s" % q(p), "/api/v1/%s" % q(p),
                     "/api/v1/calls/1%s" % q(p), "/api/v1/lists/%s" % q(p),
                     "/aicallgo/api/v1/cold-call/status/%s" % q(p),
                     "/api/v1/twilio/%s" % q(p), "/errors/%s.json" % q(p)):
            note(server.api("GET", path), p)
        note(server.api("DELETE", "/api/v1/dnc/%s" % q(p)), p)
        # In query strings.
        for path in ("/?q=%s" % q(p), "/stats?x=%s" % q(p),
                     "/api/v1/contacts?q=%s" % q(p), "/api/v1/contacts?status=%s" % q(p),
                     "/api/v1/stats?from=%s" % q(p), "/api/v1/calls.csv?to=%s" % q(p),
                     "/api/v1/contacts.csv?list_id=%s" % q(p), "/api/v1/callbacks?due=%s" % q(p)):
            note(server.api("GET", path), p)
        note(server.post("/api/v1/twilio/voice?call=%s" % q(p), data={"a": p}), p)
        # In JSON fields, stored or refused.
        note(server.post(LOGIN, json={"username": p, "password": p}), p)
        note(server.api("POST", "/api/v1/users", json={"username": p, "password": p}), p)
        note(server.api("POST", "/api/v1/calls", json={"to_phone": p}), p)
        note(server.api("POST", "/api/v1/calls", json={"contact_id": p}), p)
        note(server.api("POST", "/api/v1/dnc", json={"phone": "+12025550182", "reason": p}), p)
        note(server.api("POST", "/aicallgo/api/v1/cold-call/initiate", json={"to_phone": p}), p)
        # In headers the server reads.
        note(server.get("/api/v1/auth/me", headers={"X-Request-Id": p, "X-API-Key": p,
                                                    "Accept": "text/html"}), p)
        note(server.get("/api/v1/auth/me", cookies={"session": p}), p)
    # In CSV cells, stored and read back as JSON and as CSV.
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "company", "phone", "notes"])
    for i, p in enumerate(PAYLOADS):
        w.writerow([p, p, "+1202555%04d" % (183 + i), p])
    w.writerow([PAYLOADS[0], "Co", PAYLOADS[1], ""])
    r = note(server.api("POST", "/api/v1/contacts/import?list_name=%s" % q(PAYLOADS[2]),
                        data=buf.getvalue(), headers={"Content-Type": "text/csv"}), PAYLOADS[0])
    assert r.status_code == 200, r.text
    list_id = r.json()["list_id"]
    for p in PAYLOADS:
        note(admin.get(server.url("/api/v1/contacts?list_id=%d" % list_id)), p)
        note(admin.get(server.url("/api/v1/contacts.csv?list_id=%d" % list_id)), p)
        note(admin.get(server.url("/api/v1/lists")), p)
        note(admin.get(server.url("/api/v1/dnc")), p)
        note(admin.get(server.url("/api/v1/dnc.csv")), p)
    stored = admin.get(server.url("/api/v1/contacts?list_id=%d" % list_id)).json()["items"]
    assert {c["name"] for c in stored} >= set(PAYLOADS), "the payloads were not stored"

    assert len(answers) > 80
    for r, p in answers:
        ctype = r.headers.get("Content-Type", "")
        where = "%s %s -> %d %s" % (r.request.method, r.request.url[:120], r.status_code, ctype)
        assert ctype, where
        assert r.headers.get("X-Content-Type-Options") == "nosniff", where
        if ctype.startswith("text/html"):
            for raw in PAYLOADS:
                assert raw.encode() not in r.content, where
        if urllib.parse.urlsplit(r.request.url).path.startswith(("/api/", "/aicallgo/")):
            assert ctype.split(";")[0] in ("application/json", "text/csv", "text/xml",
                                           "application/xml"), where
        if ctype.startswith("text/csv"):
            assert r.headers.get("Content-Disposition", "").startswith("attachment"), where
