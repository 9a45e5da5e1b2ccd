"""GET/POST /api/v1/users and PATCH /api/v1/users/{id}: admin only."""
import secrets

import pytest

from conftest import assert_error

USERS = "/api/v1/users"


def uname(prefix="u"):
    return "%s-%s" % (prefix, secrets.token_hex(5))


def test_list_users(server, admin):
    made, _ = server.create_user()
    r = admin.get(server.url(USERS))
    assert r.status_code == 200
    items = r.json()["items"]
    ids = [u["id"] for u in items]
    assert ids == sorted(ids)
    by_name = {u["username"]: u for u in items}
    assert by_name["admin"]["role"] == "admin"
    assert by_name[made["username"]] == made
    for u in items:
        assert set(u) == {"id", "username", "role", "disabled", "created_at"}
        assert "password" not in str(u) and "scrypt" not in str(u)
    assert len(items) == server.db_scalar("SELECT COUNT(*) FROM users")


def test_create_user(server, admin):
    name = uname("Op.Er_")
    r = admin.post(server.url(USERS), json={"username": name, "password": "password123"})
    assert r.status_code == 201, r.text
    u = r.json()["user"]
    assert u["username"] == name and u["role"] == "operator" and u["disabled"] is False
    assert u["created_at"].endswith("Z")
    with server.db() as c:
        row = c.execute("SELECT username, role, disabled, password_hash FROM users WHERE id = ?",
                        (u["id"],)).fetchone()
    assert row[:3] == (name, "operator", 0)
    assert row[3].startswith("scrypt$") and "password123" not in row[3]
    # The new user can log in.
    s = server.login(name, "password123")
    assert s.get(server.url("/api/v1/auth/me")).json()["user"]["id"] == u["id"]


def test_create_admin(server, admin):
    name = uname("adm")
    r = admin.post(server.url(USERS), json={"username": name, "password": "password123",
                                            "role": "admin"})
    assert r.status_code == 201 and r.json()["user"]["role"] == "admin"
    s = server.login(name, "password123")
    assert s.get(server.url(USERS)).status_code == 200


def test_duplicate_username_case_insensitive(server, admin):
    name = uname("dup")
    assert admin.post(server.url(USERS), json={"username": name, "password": "password123"}).status_code == 201
    for other in (name, name.upper(), name.capitalize()):
        r = admin.post(server.url(USERS), json={"username": other, "password": "password456"})
        assert_error(r, 409, "username_taken")
    r = admin.post(server.url(USERS), json={"username": "ADMIN", "password": "password456"})
    assert_error(r, 409, "username_taken")
    assert server.db_scalar("SELECT COUNT(*) FROM users WHERE username = ?", name) == 1


@pytest.mark.parametrize("body,field", [
    ({"username": "bad name", "password": "password123"}, "username"),
    ({"username": "bad/name", "password": "password123"}, "username"),
    ({"username": "x" * 65, "password": "password123"}, "username"),
    ({"username": "", "password": "password123"}, "username"),
    ({"username": "ünïcode", "password": "password123"}, "username"),
    ({"password": "password123"}, "username"),
    ({"username": 42, "password": "password123"}, "username"),
    ({"username": "shortpw", "password": "short"}, "password"),
    ({"username": "shortpw", "password": "1234567"}, "password"),
    ({"username": "longpw", "password": "p" * 1025}, "password"),
    ({"username": "nopw"}, "password"),
    ({"username": "role1", "password": "password123", "role": "root"}, "role"),
    ({"username": "role2", "password": "password123", "role": 1}, "role"),
])
def test_create_user_validation(server, admin, body, field):
    before = server.db_scalar("SELECT COUNT(*) FROM users")
    r = admin.post(server.url(USERS), json=body)
    err = assert_error(r, 422, "validation_failed")
    assert err["details"]["field"] == field
    assert server.db_scalar("SELECT COUNT(*) FROM users") == before


def test_username_with_an_escaped_nul_is_refused(server, admin):
    """JSON may carry U+0000; a body with one is refused whole (400
    invalid_json), never cut at it (that would create another name)."""
    name = uname("nul")
    raw = '{"username":"%s\\u0000evil","password":"password123"}' % name
    r = admin.post(server.url(USERS), data=raw, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_json")
    assert server.db_scalar("SELECT COUNT(*) FROM users WHERE username = ?", name) == 0


def test_password_with_an_escaped_nul_is_refused_not_cut(server, admin):
    """"password1\\u0000long-secret-part" must not quietly become the
    password "password1"."""
    name = uname("nulpw")
    raw = '{"username":"%s","password":"password1\\u0000long-secret-part"}' % name
    r = admin.post(server.url(USERS), data=raw, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_json")
    assert server.db_scalar("SELECT COUNT(*) FROM users WHERE username = ?", name) == 0
    server.login(name, "password1", expect=401)


def test_create_user_bad_bodies(server, admin):
    assert_error(admin.post(server.url(USERS), data="username=x&password=y",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}),
                 415, "unsupported_media_type")
    assert_error(admin.post(server.url(USERS), data="{oops",
                            headers={"Content-Type": "application/json"}), 400, "invalid_json")
    big = '{"username":"big","password":"%s"}' % ("p" * 70000)
    assert_error(admin.post(server.url(USERS), data=big,
                            headers={"Content-Type": "application/json"}), 413, "payload_too_large")


def test_patch_role_disabled_password(server, admin):
    user, pw = server.create_user()
    url = server.url("%s/%d" % (USERS, user["id"]))
    r = admin.patch(url, json={"role": "admin"})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["role"] == "admin"
    assert server.db_scalar("SELECT role FROM users WHERE id = ?", user["id"]) == "admin"
    r = admin.patch(url, json={"role": "operator", "disabled": True})
    assert r.status_code == 200
    assert r.json()["user"]["role"] == "operator" and r.json()["user"]["disabled"] is True
    assert server.db_scalar("SELECT disabled FROM users WHERE id = ?", user["id"]) == 1
    r = admin.patch(url, json={"disabled": False, "password": "another-password"})
    assert r.status_code == 200 and r.json()["user"]["disabled"] is False
    server.login(user["username"], "another-password")
    server.login(user["username"], pw, expect=401)
    # An empty patch changes nothing and answers the user.
    r = admin.patch(url, json={})
    assert r.status_code == 200 and r.json()["user"]["id"] == user["id"]


@pytest.mark.parametrize("body,field", [
    ({"role": "superuser"}, "role"),
    ({"disabled": "yes"}, "disabled"),
    ({"disabled": 1}, "disabled"),
    ({"password": "short"}, "password"),
    ({"password": 12345678}, "password"),
])
def test_patch_validation(server, admin, body, field):
    user, _ = server.create_user()
    r = admin.patch(server.url("%s/%d" % (USERS, user["id"])), json=body)
    err = assert_error(r, 422, "validation_failed")
    assert err["details"]["field"] == field
    with server.db() as c:
        row = c.execute("SELECT role, disabled FROM users WHERE id = ?", (user["id"],)).fetchone()
    assert row == ("operator", 0)


def test_patch_unknown_user_is_404(server, admin):
    r = admin.patch(server.url(USERS + "/987654321"), json={"disabled": True})
    assert_error(r, 404, "not_found")


def test_last_enabled_admin_cannot_be_demoted_or_disabled(server, admin):
    # Make "admin" the only enabled admin: disable every other one.
    for u in admin.get(server.url(USERS)).json()["items"]:
        if u["role"] == "admin" and not u["disabled"] and u["username"] != "admin":
            r = server.api("PATCH", "%s/%d" % (USERS, u["id"]), json={"disabled": True})
            assert r.status_code == 200, r.text
    admin_id = server.db_scalar("SELECT id FROM users WHERE username = 'admin'")
    url = server.url("%s/%d" % (USERS, admin_id))
    for body in ({"role": "operator"}, {"disabled": True}, {"role": "operator", "disabled": True}):
        assert_error(admin.patch(url, json=body), 409, "last_admin")
        assert_error(server.api("PATCH", "%s/%d" % (USERS, admin_id), json=body), 409, "last_admin")
    with server.db() as c:
        assert c.execute("SELECT role, disabled FROM users WHERE id = ?", (admin_id,)).fetchone() == ("admin", 0)
    assert admin.get(server.url("/api/v1/auth/me")).status_code == 200
    # A disabled admin does not count; once another admin is enabled, demoting works.
    other, _ = server.create_user(role="admin")
    r = admin.patch(server.url("%s/%d" % (USERS, other["id"])), json={"disabled": True})
    assert r.status_code == 200
    assert_error(admin.patch(url, json={"role": "operator"}), 409, "last_admin")
    r = admin.patch(server.url("%s/%d" % (USERS, other["id"])), json={"disabled": False})
    assert r.status_code == 200
    # Demote the other one instead, so the session's admin stays admin.
    r = admin.patch(server.url("%s/%d" % (USERS, other["id"])), json={"role": "operator"})
    assert r.status_code == 200 and r.json()["user"]["role"] == "operator"


def test_role_changes_apply_to_existing_sessions(server, admin, operator):
    s, user, _ = operator
    assert_error(s.get(server.url(USERS)), 403, "forbidden")
    assert admin.patch(server.url("%s/%d" % (USERS, user["id"])), json={"role": "admin"}).status_code == 200
    assert s.get(server.url(USERS)).status_code == 200
    assert s.get(server.url("/api/v1/auth/me")).json()["user"]["role"] == "admin"
    assert admin.patch(server.url("%s/%d" % (USERS, user["id"])), json={"role": "operator"}).status_code == 200
    assert_error(s.get(server.url(USERS)), 403, "forbidden")


def test_operator_is_forbidden(server, operator):
    s, user, _ = operator
    target, _ = server.create_user()
    for method, path, kw in (
            ("GET", USERS, {}),
            ("POST", USERS, {"json": {"username": uname("x"), "password": "password123"}}),
            ("PATCH", "%s/%d" % (USERS, target["id"]), {"json": {"disabled": True}}),
            ("PATCH", "%s/%d" % (USERS, user["id"]), {"json": {"role": "admin"}}),
            ("PATCH", USERS + "/987654321", {"json": {"role": "admin"}})):
        r = s.request(method, server.url(path), **kw)
        assert_error(r, 403, "forbidden")
    with server.db() as c:
        assert c.execute("SELECT role FROM users WHERE id = ?", (user["id"],)).fetchone()[0] == "operator"
        assert c.execute("SELECT disabled FROM users WHERE id = ?", (target["id"],)).fetchone()[0] == 0


def test_users_unauthenticated(server):
    assert_error(server.get(USERS), 401, "unauthenticated")
    assert_error(server.post(USERS, json={"username": uname(), "password": "password123"}),
                 401, "unauthenticated")
    assert_error(server.request("PATCH", USERS + "/1", json={"disabled": True}), 401, "unauthenticated")


@pytest.mark.parametrize("method,path,allow", [
    ("PUT", USERS, "GET, POST"),
    ("DELETE", USERS, "GET, POST"),
    ("PATCH", USERS, "GET, POST"),
    ("GET", USERS + "/1", "PATCH"),
    ("DELETE", USERS + "/1", "PATCH"),
    ("POST", USERS + "/1", "PATCH"),
])
def test_users_wrong_method(server, admin, method, path, allow):
    r = admin.request(method, server.url(path))
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == allow
