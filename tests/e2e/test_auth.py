"""Login, sessions, logout, CSRF, the API key and login throttling."""
import hashlib
import re
import secrets
import time

import requests

from conftest import assert_error

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
LOGOUT = "/api/v1/auth/logout"


def session_cookie(r):
    """The Set-Cookie header for `session`, split into attributes."""
    raw = r.headers.get("Set-Cookie", "")
    assert raw.startswith("session="), raw
    parts = [p.strip() for p in raw.split(";")]
    value = parts[0].split("=", 1)[1]
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return value, attrs


def bare(server, token, csrf=None):
    """A session that sends exactly this cookie (and CSRF token)."""
    s = requests.Session()
    s.headers["Cookie"] = "session=" + token
    if csrf:
        s.headers["X-CSRF-Token"] = csrf
    return s


# --- login --------------------------------------------------------------

def test_login_good(server):
    user, pw = server.create_user()
    r = server.post(LOGIN, json={"username": user["username"], "password": pw})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["id"] == user["id"]
    assert body["user"]["username"] == user["username"]
    assert body["user"]["role"] == "operator"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["csrf_token"])
    token, attrs = session_cookie(r)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert "httponly" in attrs
    assert attrs.get("samesite", "").lower() == "strict"
    assert attrs.get("path") == "/"
    # Plain http on loopback (DIALER_COOKIE_SECURE=0 in serve.sh).
    assert "secure" not in attrs
    assert int(attrs["max-age"]) > 0
    assert body["csrf_token"] != token
    # Only the token's SHA-256 is stored, never the token.
    digest = hashlib.sha256(token.encode()).digest()
    with server.db() as c:
        rows = c.execute("SELECT token_hash, remote_addr FROM sessions WHERE user_id = ?",
                         (user["id"],)).fetchall()
        dump = "\n".join(c.iterdump())
    assert [bytes(r[0]) for r in rows] == [digest]
    assert rows[0][1] == "127.0.0.1"
    assert token not in dump
    assert pw not in dump


def test_login_username_is_case_insensitive(server):
    user, pw = server.create_user()
    s = server.login(user["username"].upper(), pw)
    assert s.get(server.url(ME)).json()["user"]["id"] == user["id"]


def test_bad_password_and_unknown_user_answer_the_same(server):
    user, pw = server.create_user()
    r1 = server.post(LOGIN, json={"username": user["username"], "password": pw + "x"})
    e1 = assert_error(r1, 401, "invalid_credentials")
    r2 = server.post(LOGIN, json={"username": "nobody-" + secrets.token_hex(4),
                                  "password": pw})
    e2 = assert_error(r2, 401, "invalid_credentials")
    assert e1["message"] == e2["message"]
    assert "Set-Cookie" not in r1.headers and "Set-Cookie" not in r2.headers
    assert server.db_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = ?", user["id"]) == 0


def test_unknown_user_costs_as_much_time_as_a_wrong_password(server):
    """No shortcut for unknown names: both answers wait for a scrypt check,
    so timing does not tell which usernames exist."""
    user, _ = server.create_user()

    def timed(name):
        t0 = time.monotonic()
        r = server.post(LOGIN, json={"username": name, "password": "wrong-password"})
        took = time.monotonic() - t0
        assert_error(r, 401, "invalid_credentials")
        return took

    known = sorted(timed(user["username"]) for _ in range(4))
    unknown = sorted(timed("ghost-" + secrets.token_hex(6)) for _ in range(4))
    # Medians; scrypt (N=2^14, r=8) costs tens of ms, a lookup miss well under 5.
    assert unknown[1] >= 0.4 * known[1], (known, unknown)
    assert known[1] >= 0.01, known


def test_login_validation(server):
    cases = [
        ({}, "username"),
        ({"username": "admin"}, "password"),
        ({"password": "whatever-long"}, "username"),
        ({"username": 123, "password": "whatever-long"}, "username"),
        ({"username": "admin", "password": 12345678}, "password"),
        ({"username": "admin", "password": ["x"]}, "password"),
        ({"username": None, "password": "x"}, "username"),
        ({"username": "", "password": "whatever-long"}, "username"),
        ({"username": "admin", "password": ""}, "password"),
    ]
    for body, field in cases:
        r = server.post(LOGIN, json=body)
        err = assert_error(r, 422, "validation_failed")
        assert err["details"]["field"] == field, (body, err)
        assert err["details"]["reason"]


def test_login_username_with_an_escaped_nul_is_not_another_user(server):
    """{"username":"admin\\u0000x"} names no user; it must not log in as
    "admin" (the C string the JSON decoder leaves behind)."""
    raw = '{"username":"admin\\u0000x","password":"%s"}' % server.admin_password
    r = server.post(LOGIN, data=raw, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_json")
    assert "Set-Cookie" not in r.headers


def test_login_needs_json(server):
    r = server.post(LOGIN, data={"username": "admin", "password": server.admin_password})
    assert_error(r, 415, "unsupported_media_type")
    r = server.post(LOGIN, data=b'{"username":"admin"}', headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")
    r = server.post(LOGIN, data=b"")
    assert_error(r, 415, "unsupported_media_type")


def test_login_invalid_json(server):
    for raw in (b"{", b"not json", b'["admin","pw"]', b'"admin"', b"",
                b'{"username":"admin","password":"x"} trailing',
                b'{"username":"ad\x00min","password":"x"}'):
        r = server.post(LOGIN, data=raw, headers={"Content-Type": "application/json"})
        assert_error(r, 400, "invalid_json")


def test_login_json_with_charset_is_accepted(server):
    r = server.post(LOGIN, data=('{"username":"admin","password":"%s"}' % server.admin_password),
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text


def test_login_body_over_64k_is_413(server):
    body = '{"username":"admin","password":"%s"}' % ("a" * 70000)
    r = server.post(LOGIN, data=body, headers={"Content-Type": "application/json"})
    err = assert_error(r, 413, "payload_too_large")
    assert "65536" in err["message"]
    # Just under the limit is read (and refused for what it says, not its size).
    body = '{"username":"admin","password":"x","pad":"%s"}' % ("a" * 60000)
    r = server.post(LOGIN, data=body, headers={"Content-Type": "application/json"})
    assert_error(r, 401, "invalid_credentials")


def test_get_on_login_is_405(server):
    r = server.get(LOGIN)
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "POST"


# --- who am I -------------------------------------------------------------

def test_me_with_cookie(server):
    user, pw = server.create_user()
    s = server.login(user["username"], pw)
    r = s.get(server.url(ME))
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["id"] == user["id"]
    assert body["user"]["username"] == user["username"]
    assert body["user"]["role"] == "operator"
    assert body["csrf_token"] == s.headers["X-CSRF-Token"]
    # The page says when calls are only simulated (no credentials: sim).
    assert body["provider"] == {"name": "sim", "simulated": True, "configured": True}


def test_me_with_api_key(server):
    r = server.api("GET", ME)
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["id"] is None
    assert body["user"]["role"] == "admin"
    assert body["csrf_token"] is None


def test_me_without_credentials(server):
    err = assert_error(server.get(ME), 401, "unauthenticated")
    assert err["message"]


def test_me_optional_answers_signed_out_without_an_error(server, admin):
    for cookies in ({}, {"session": "not-a-session"}):
        r = requests.get(server.url(ME + "?optional=1"), cookies=cookies, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["user"] is None and body["csrf_token"] is None
        assert body["provider"]["name"] == "sim"
    # Signed in, it is the usual answer.
    r = admin.get(server.url(ME + "?optional=1"))
    assert r.status_code == 200 and r.json()["user"]["username"] == "admin"
    # A wrong API key is still an error.
    r = requests.get(server.url(ME + "?optional=1"), headers={"X-API-Key": "wrong"}, timeout=30)
    assert r.status_code == 401


def test_forged_and_malformed_cookies_are_401(server):
    forged = secrets.token_urlsafe(32)[:43]
    for token in (forged, "", "x", "a" * 43 + "b", "../../etc/passwd", "%00" * 20):
        r = bare(server, token).get(server.url(ME))
        assert_error(r, 401, "unauthenticated")


def test_session_cookie_among_many_other_cookies(server):
    """A browser sends every cookie of the host (analytics, other apps on
    the same intranet name); the session cookie must be found wherever it
    is in the header."""
    user, pw = server.create_user()
    token = server.login(user["username"], pw).cookies.get("session")
    for before in (0, 3, 15, 16, 30):
        others = ["_ga%d=GA1.2.%d" % (i, 1000 + i) for i in range(before)]
        cookie = "; ".join(others + ["session=" + token, "theme=dark"])
        r = server.get(ME, headers={"Cookie": cookie})
        assert r.status_code == 200, (before, r.status_code, r.text)
        assert r.json()["user"]["id"] == user["id"]


def test_wrong_api_key_is_401(server, admin):
    for key in ("wrong", server.api_key + "x", server.api_key[:-1]):
        r = server.get(ME, headers={"X-API-Key": key})
        assert_error(r, 401, "unauthenticated")
    # A wrong key is not rescued by a valid cookie.
    r = admin.get(server.url(ME), headers={"X-API-Key": "wrong"})
    assert_error(r, 401, "unauthenticated")


# --- logout -----------------------------------------------------------------

def test_logout_ends_the_session(server):
    user, pw = server.create_user()
    s = server.login(user["username"], pw)
    token = s.cookies.get("session")
    csrf = s.headers["X-CSRF-Token"]
    assert s.get(server.url(ME)).status_code == 200
    r = s.post(server.url(LOGOUT))
    assert r.status_code == 204, r.text
    assert r.content == b""
    value, attrs = session_cookie(r)
    assert value == "" and attrs.get("max-age") == "0"
    assert server.db_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = ?", user["id"]) == 0
    # The old cookie no longer works, whatever the client does with it.
    old = bare(server, token, csrf)
    assert_error(old.get(server.url(ME)), 401, "unauthenticated")
    assert_error(old.post(server.url(LOGOUT)), 401, "unauthenticated")


def test_logout_needs_csrf(server):
    user, pw = server.create_user()
    s = server.login(user["username"], pw)
    del s.headers["X-CSRF-Token"]
    assert_error(s.post(server.url(LOGOUT)), 403, "csrf")
    assert s.get(server.url(ME)).status_code == 200


def test_logout_one_session_keeps_the_others(server):
    user, pw = server.create_user()
    a = server.login(user["username"], pw)
    b = server.login(user["username"], pw)
    assert a.post(server.url(LOGOUT)).status_code == 204
    assert b.get(server.url(ME)).status_code == 200


# --- CSRF -------------------------------------------------------------------

def test_cookie_writes_need_the_csrf_token(server, admin):
    other = server.login("admin", server.admin_password)
    token = admin.cookies.get("session")
    victim, _ = server.create_user()
    name = "csrf-" + secrets.token_hex(4)
    writes = [
        ("POST", "/api/v1/users", {"json": {"username": name, "password": "password123"}}),
        ("PATCH", "/api/v1/users/%d" % victim["id"], {"json": {"disabled": True}}),
        ("DELETE", "/api/v1/lists/1", {}),
        ("POST", "/api/v1/contacts/import", {"data": b"name,company,phone\nA,B,+1 202 555 0143\n",
                                             "headers": {"Content-Type": "text/csv"}}),
        ("POST", LOGOUT, {}),
    ]
    before = server.counts()
    for csrf in (None, "", "wrong", other.headers["X-CSRF-Token"],
                 admin.headers["X-CSRF-Token"][:-1]):
        s = bare(server, token, csrf)
        for method, path, kw in writes:
            r = s.request(method, server.url(path), **kw)
            assert_error(r, 403, "csrf")
    # Nothing happened.
    assert server.db_scalar("SELECT COUNT(*) FROM users WHERE username = ?", name) == 0
    assert server.db_scalar("SELECT disabled FROM users WHERE id = ?", victim["id"]) == 0
    assert server.counts() == before
    assert admin.get(server.url(ME)).status_code == 200
    # Reads need none.
    assert bare(server, token).get(server.url("/api/v1/users")).status_code == 200
    # With the right token the same write works.
    r = bare(server, token, admin.headers["X-CSRF-Token"]).post(
        server.url("/api/v1/users"), json={"username": name, "password": "password123"})
    assert r.status_code == 201, r.text


def test_api_key_needs_no_csrf(server):
    name = "apikey-" + secrets.token_hex(4)
    r = server.api("POST", "/api/v1/users", json={"username": name, "password": "password123"})
    assert r.status_code == 201, r.text
    uid = r.json()["user"]["id"]
    r = server.api("PATCH", "/api/v1/users/%d" % uid, json={"role": "admin"})
    assert r.status_code == 200 and r.json()["user"]["role"] == "admin"
    r = server.api("PATCH", "/api/v1/users/%d" % uid, json={"disabled": True})
    assert r.status_code == 200 and r.json()["user"]["disabled"] is True


# --- throttling ---------------------------------------------------------------

def test_throttle_after_five_failures_for_a_username(server):
    user, pw = server.create_user()
    for _ in range(5):
        r = server.post(LOGIN, json={"username": user["username"], "password": "wrong-password"})
        assert_error(r, 401, "invalid_credentials")
    t0 = time.time()
    # Even the right password, and whatever the case of the name.
    for name in (user["username"], user["username"].upper()):
        r = server.post(LOGIN, json={"username": name, "password": pw})
        err = assert_error(r, 429, "too_many_attempts")
        wait = int(r.headers["Retry-After"])
        assert 1 <= wait <= 900
        assert "%d seconds" % wait in err["message"], err["message"]
        assert "Set-Cookie" not in r.headers
    assert time.time() - t0 < 5
    # Another user on the same address is not affected.
    other, opw = server.create_user()
    server.login(other["username"], opw)
    # After the window (moved back in the database) the user may log in again.
    server.db_write("UPDATE login_failures SET at_unix = at_unix - 1000 WHERE key = ?",
                    user["username"].lower())
    server.login(user["username"], pw)


def test_successful_login_clears_the_username_failures(server):
    user, pw = server.create_user()
    for _ in range(4):
        assert_error(server.post(LOGIN, json={"username": user["username"], "password": "nope-nope"}),
                     401, "invalid_credentials")
    server.login(user["username"], pw)
    for _ in range(4):
        assert_error(server.post(LOGIN, json={"username": user["username"], "password": "nope-nope"}),
                     401, "invalid_credentials")
    server.login(user["username"], pw)


def test_unknown_usernames_are_throttled_too(server):
    name = "ghost-" + secrets.token_hex(4)
    for _ in range(5):
        assert_error(server.post(LOGIN, json={"username": name, "password": "nope-nope"}),
                     401, "invalid_credentials")
    r = server.post(LOGIN, json={"username": name, "password": "nope-nope"})
    assert_error(r, 429, "too_many_attempts")
    assert int(r.headers["Retry-After"]) > 0


def test_throttle_per_address(server_factory):
    srv = server_factory({"DIALER_LOGIN_MAX_PER_ADDR": "3"})
    for i in range(3):
        r = srv.post(LOGIN, json={"username": "nobody%d" % i, "password": "wrong-password"})
        assert_error(r, 401, "invalid_credentials")
    # Now every name from 127.0.0.1 waits, the admin with the right password too.
    r = srv.post(LOGIN, json={"username": "admin", "password": srv.admin_password})
    err = assert_error(r, 429, "too_many_attempts")
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 900
    assert "%d seconds" % wait in err["message"]
    r = srv.post(LOGIN, json={"username": "someone-else", "password": "x" * 10})
    assert_error(r, 429, "too_many_attempts")
    # The API key is not a login: it still works.
    assert srv.api("GET", ME).status_code == 200
    assert srv.db_scalar("SELECT COUNT(*) FROM login_failures WHERE kind = 'addr' AND key = '127.0.0.1'") == 3


def test_cookie_settings_follow_the_config(server_factory):
    srv = server_factory({"DIALER_COOKIE_SECURE": "1", "DIALER_SESSION_MAX": "3600",
                          "DIALER_API_KEY": ""})
    # No key configured: no key works, not even an empty one.
    for key in ("", srv.api_key, "x"):
        assert_error(srv.get(ME, headers={"X-API-Key": key}), 401, "unauthenticated")
    r = srv.post(LOGIN, json={"username": "admin", "password": srv.admin_password})
    assert r.status_code == 200
    token, attrs = session_cookie(r)
    assert "secure" in attrs and "httponly" in attrs
    assert attrs["max-age"] == "3600"
    with srv.db() as c:
        created, expires = c.execute("SELECT created_unix, expires_unix FROM sessions").fetchone()
    assert expires - created == 3600


# --- expiry and disabling ---------------------------------------------------------

def test_idle_session_expires(server):
    user, pw = server.create_user()
    s = server.login(user["username"], pw)
    assert s.get(server.url(ME)).status_code == 200
    # An hour idle is within the default 2 h; the request refreshes seen_unix.
    server.db_write("UPDATE sessions SET seen_unix = seen_unix - 3600 WHERE user_id = ?", user["id"])
    assert s.get(server.url(ME)).status_code == 200
    seen = server.db_scalar("SELECT seen_unix FROM sessions WHERE user_id = ?", user["id"])
    assert abs(seen - time.time()) < 30
    # Past DIALER_SESSION_IDLE (7200 s): gone.
    server.db_write("UPDATE sessions SET seen_unix = seen_unix - 7300 WHERE user_id = ?", user["id"])
    assert_error(s.get(server.url(ME)), 401, "unauthenticated")
    assert server.db_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = ?", user["id"]) == 0


def test_absolute_session_expiry(server):
    user, pw = server.create_user()
    s = server.login(user["username"], pw)
    server.db_write("UPDATE sessions SET expires_unix = ? WHERE user_id = ?",
                    int(time.time()) - 1, user["id"])
    assert_error(s.get(server.url(ME)), 401, "unauthenticated")


def test_disabling_a_user_ends_their_sessions_at_once(server, admin):
    user, pw = server.create_user()
    s1 = server.login(user["username"], pw)
    s2 = server.login(user["username"], pw)
    assert s1.get(server.url("/api/v1/contacts")).status_code == 200
    r = admin.patch(server.url("/api/v1/users/%d" % user["id"]), json={"disabled": True})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["disabled"] is True
    for s in (s1, s2):
        assert_error(s.get(server.url(ME)), 401, "unauthenticated")
        assert_error(s.get(server.url("/api/v1/contacts")), 401, "unauthenticated")
    assert server.db_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = ?", user["id"]) == 0
    r = server.post(LOGIN, json={"username": user["username"], "password": pw})
    assert_error(r, 401, "invalid_credentials")
    # Enabled again, they can log in.
    r = admin.patch(server.url("/api/v1/users/%d" % user["id"]), json={"disabled": False})
    assert r.status_code == 200 and r.json()["user"]["disabled"] is False
    server.login(user["username"], pw)


def test_new_password_ends_sessions_and_old_password(server, admin):
    user, pw = server.create_user()
    s = server.login(user["username"], pw)
    r = admin.patch(server.url("/api/v1/users/%d" % user["id"]), json={"password": "brand-new-pw"})
    assert r.status_code == 200, r.text
    assert_error(s.get(server.url(ME)), 401, "unauthenticated")
    assert_error(server.post(LOGIN, json={"username": user["username"], "password": pw}),
                 401, "invalid_credentials")
    server.login(user["username"], "brand-new-pw")
