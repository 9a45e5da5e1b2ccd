"""What every answer shares: X-Request-Id (also in requests.log), the
security headers, the JSON error envelope, 405 with Allow, and that the
database and configuration are never served."""
import re

import pytest

from conftest import assert_common_headers, assert_error

# (method, path, needs auth) for every endpoint, in a state that answers.
ENDPOINTS = [
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/contacts"),
    ("GET", "/api/v1/lists"),
    ("GET", "/api/v1/users"),
    ("PATCH", "/api/v1/users/999999"),
    ("DELETE", "/api/v1/lists/999999"),
    ("POST", "/api/v1/contacts/import"),
]


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_unauthenticated_requests_get_401_with_headers(server, method, path):
    r = server.request(method, path)
    assert_error(r, 401, "unauthenticated")
    assert_common_headers(r)
    assert r.headers.get("Cache-Control") == "no-store"


def test_login_answer_has_request_id_and_security_headers(server):
    r = server.post("/api/v1/auth/login", json={"username": "admin",
                                                 "password": server.admin_password})
    assert r.status_code == 200
    assert_common_headers(r)


@pytest.mark.parametrize("method,path,allow", [
    ("GET", "/api/v1/auth/login", "POST"),
    ("PUT", "/api/v1/auth/login", "POST"),
    ("GET", "/api/v1/auth/logout", "POST"),
    ("POST", "/api/v1/auth/me", "GET"),
    ("DELETE", "/api/v1/auth/me", "GET"),
    ("POST", "/api/v1/contacts", "GET"),
    ("GET", "/api/v1/contacts/import", "POST"),
    ("POST", "/api/v1/lists", "GET"),
    ("GET", "/api/v1/lists/1", "DELETE"),
    ("PUT", "/api/v1/users", "GET, POST"),
    ("DELETE", "/api/v1/users", "GET, POST"),
    ("GET", "/api/v1/users/1", "PATCH"),
])
def test_wrong_method_is_405_with_allow(server, method, path, allow):
    r = server.api(method, path)
    err = assert_error(r, 405, "method_not_allowed")
    assert r.headers.get("Allow") == allow
    assert allow in err["message"]
    assert_common_headers(r)


def test_request_id_is_logged(server, admin):
    r = admin.get(server.url("/api/v1/lists"))
    assert r.status_code == 200
    rid = r.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9A-Za-z._-]{8,32}", rid)
    log = server.log_text("requests.log")
    line = [l for l in log.splitlines() if "request_id=%s " % rid in l]
    assert len(line) == 1, log[-2000:]
    assert "route=/api/v1/lists" in line[0] and "status=200" in line[0]
    assert "user=admin" in line[0]


def test_request_ids_differ(server):
    ids = {server.get("/api/v1/auth/me").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5


def test_client_request_id_is_kept_when_plain_and_replaced_when_not(server):
    r = server.get("/api/v1/auth/me", headers={"X-Request-Id": "trace-abc.123"})
    assert r.headers["X-Request-Id"] == "trace-abc.123"
    assert "request_id=trace-abc.123 " in server.log_text("requests.log")
    r = server.get("/api/v1/auth/me", headers={"X-Request-Id": "evil value=1"})
    assert r.headers["X-Request-Id"] != "evil value=1"
    assert "evil value" not in server.log_text("requests.log")


def test_unknown_api_path_is_a_json_404(server):
    r = server.api("GET", "/api/v1/no-such-endpoint")
    assert_error(r, 404, "not_found")


def test_unknown_api_path_answer_has_request_id_and_security_headers(server):
    r = server.api("GET", "/api/v2/contacts")
    assert r.json()["error"]["code"] == "not_found"
    assert_common_headers(r)


@pytest.mark.parametrize("path", ["/api/v1/lists/abc", "/api/v1/lists/0",
                                  "/api/v1/users/-1", "/api/v1/users/1x"])
def test_malformed_ids_are_404(server, path):
    r = server.api("DELETE" if "lists" in path else "PATCH", path, json={})
    assert_error(r, 404, "not_found")


@pytest.mark.parametrize("path", ["/var/dialer.db", "/dialer.db", "/etc/dialer.conf",
                                  "/var/dialer.db-wal", "/dialer.db-shm",
                                  "/../var/dialer.db", "/DIALER.DB",
                                  "/var/log/requests.log", "/log/requests.log",
                                  "/run/fcgid-env.conf"])
def test_database_and_config_are_never_served(server, path):
    with open(server.db_path, "rb") as f:
        head = f.read(100)
    assert head.startswith(b"SQLite format 3")
    r = server.get(path, headers={"X-API-Key": server.api_key})
    assert r.status_code in (403, 404), (path, r.status_code)
    assert b"SQLite format 3" not in r.content
    assert server.api_key.encode() not in r.content
    assert b"DIALER_" not in r.content
    for h in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
        assert r.headers.get(h), (path, h)


def test_static_page_and_apache_errors_carry_security_headers(server):
    for path, status in (("/index.html", 200), ("/", 200), ("/no-such-page.html", 404),
                         ("/dialer.db", None)):
        r = server.get(path)
        if status is not None:
            assert r.status_code == status, (path, r.status_code)
        for h in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                  "X-Frame-Options"):
            assert r.headers.get(h), (path, h)
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
