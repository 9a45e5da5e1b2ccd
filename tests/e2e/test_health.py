"""GET /api/v1/health, the load balancer's probe: no authentication, no
cookie, not cached; 200 when the configuration, the database, its schema
and the default provider's settings are all fit, else 503 naming what is
not, in words and without paths or setting names. Each failure is made
for real on a server of its own: a provider without its settings, a
database file that is not one, one the server cannot read, and a schema
newer than the program.
"""
import os

import pytest
import requests

from conftest import assert_common_headers, give_back

CHECKS = ["config", "database", "migrations", "provider"]


def health(srv, method="GET", **kw):
    r = srv.request(method, "/api/v1/health", **kw)
    assert_common_headers(r)
    assert r.headers.get("Cache-Control") == "no-store", r.headers
    assert "Set-Cookie" not in r.headers, r.headers
    return r


def answer(r, status):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert list(body["checks"]) == CHECKS, body
    return body


def failing(srv, names):
    r = health(srv)
    body = answer(r, 503)
    assert body["status"] == "fail" and body["failing"] == names, body
    # Nothing about where things live or what the secrets are called.
    for leak in (srv.var, "dialer.db", "TWILIO_", "sqlite", "/"):
        assert leak not in r.text, (leak, r.text)
    return body


def test_ok_without_authentication(server):
    r = health(server)
    body = answer(r, 200)
    assert body["status"] == "ok" and "failing" not in body, body
    c = body["checks"]
    assert c["config"] == {"status": "ok"}
    assert c["database"] == {"status": "ok"}
    m = c["migrations"]
    assert m["status"] == "ok" and m["schema_version"] == m["latest_version"] >= 3, m
    assert m["schema_version"] == server.db_scalar("PRAGMA user_version")
    # The simulator counts as configured, and says what it is.
    assert c["provider"] == {"status": "ok", "name": "sim", "simulated": True}
    assert server.var not in r.text and "dialer.db" not in r.text


def test_credentials_are_neither_needed_nor_looked_at(server):
    for headers in ({"X-API-Key": "not-the-key"}, {"Cookie": "session=forged"},
                    {"X-API-Key": server.api_key}):
        assert answer(health(server, headers=headers), 200)["status"] == "ok"


def test_head_answers_the_status_without_a_body(server):
    r = health(server, "HEAD")
    assert r.status_code == 200 and r.content == b""


def test_only_get_and_head(server):
    for method in ("POST", "PUT", "DELETE"):
        r = health(server, method, json={})
        assert r.status_code == 405, r.text
        assert r.headers["Allow"] == "GET, HEAD"
        assert r.json()["error"]["code"] == "method_not_allowed"


def test_provider_without_its_settings(server_factory):
    srv = server_factory({"DIALER_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32})
    body = failing(srv, ["provider"])
    assert body["checks"]["provider"] == {"status": "fail", "reason": "missing_settings",
                                          "name": "twilio", "simulated": False}
    assert body["checks"]["database"]["status"] == "ok"
    # The server's log names what is missing, for whoever fixes it.
    line = [ln for ln in srv.log_text("requests.log").splitlines()
            if "event=health_failed" in ln]
    assert line and "provider=missing_settings" in line[-1], line
    assert "TWILIO_AUTH_TOKEN" in line[-1] and "TWILIO_ACCOUNT_SID" not in line[-1]
    # The same check refuses calls: both say the same thing.
    r = srv.api("POST", "/api/v1/calls", json={"to_phone": "+12025550101"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "provider_not_configured"


def test_unknown_provider(server_factory):
    srv = server_factory({"DIALER_PROVIDER": "nosuch"})
    body = failing(srv, ["provider"])
    assert body["checks"]["provider"]["reason"] == "unknown_provider"


def test_database_file_that_is_not_a_database(server_factory):
    srv = server_factory()
    # Every probe opens the file afresh, whether or not the program has run.
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(srv.db_path + suffix)
        except FileNotFoundError:
            pass
    with open(srv.db_path, "w") as f:
        f.write("name,phone\nnot,a database\n" * 100)
    give_back(srv.var)
    body = failing(srv, ["database"])
    assert body["checks"]["database"] == {"status": "fail", "reason": "cannot_open"}
    assert body["checks"]["migrations"] == {"status": "skipped"}
    assert body["checks"]["provider"]["status"] == "ok"


def test_database_the_server_cannot_read_and_its_return(server_factory):
    srv = server_factory()
    mode = os.stat(srv.db_path).st_mode & 0o777
    os.chmod(srv.db_path, 0)
    try:
        body = failing(srv, ["database"])
        assert body["checks"]["database"]["reason"] == "cannot_open"
    finally:
        os.chmod(srv.db_path, mode)
    # Every probe tries again: fit again without a restart.
    assert answer(health(srv), 200)["status"] == "ok"


def bump_schema(srv):
    latest = srv.db_scalar("PRAGMA user_version")
    srv.db_write("PRAGMA user_version = %d" % (latest + 1))
    return latest


# The other endpoints: mod_fcgid starts a program at its first request,
# after the test bumped the schema, so it refuses the file; lighttpd starts
# every program with the server, before the bump.
@pytest.mark.server("apache")
def test_schema_newer_than_the_program_at_start(server_factory):
    srv = server_factory()
    latest = bump_schema(srv)
    body = failing(srv, ["migrations"])
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["migrations"] == {"status": "fail", "reason": "database_newer",
                                            "schema_version": latest + 1,
                                            "latest_version": latest}
    # The endpoints refuse it as well (db_open will not use it).
    r = requests.get(srv.url("/api/v1/lists"), headers={"X-API-Key": srv.api_key}, timeout=30)
    assert r.status_code == 503 and r.json()["error"]["code"] == "database_unavailable"


def test_schema_changed_under_a_running_program(server_factory):
    srv = server_factory()
    assert answer(health(srv), 200)["status"] == "ok"
    latest = bump_schema(srv)
    body = failing(srv, ["migrations"])
    assert body["checks"]["migrations"]["schema_version"] == latest + 1
    srv.db_write("PRAGMA user_version = %d" % latest)
    assert answer(health(srv), 200)["status"] == "ok"
