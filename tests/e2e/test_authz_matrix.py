"""Who may do what: every route the app serves (apache.conf / lighttpd.conf
and each program's own methods and subpaths) against every kind of
caller, each cell's answer written down in ROUTES below and checked.

Callers
  none      no cookie, no key
  op_a      operator A, who owns the call, the conference and the callbacks
  op_b      operator B, another operator: another's call is "not found"
  admin     an admin's session (with its CSRF token)
  api_key   X-API-Key (an admin, needs no CSRF token)
  expired   a real session of operator A whose time is up: absolute expiry
            or idleness, aged in the database (auth_session judges both)
  bad_csrf  an admin's live session sending another live session's CSRF
            token: writes are refused, reads answer as for the admin

A cell is the status, or "status code" where the error code tells two
answers with one status apart (a call nobody may see vs. one with no
recording). Every refused answer (4xx) must leave the data as it was:
users, lists, contacts, calls, call events and the do-not-call list are
compared before and after. Objects a request would change (a call to end,
a list to archive, a number to remove) are made afresh for each cell.

One server for the module, with Twilio and Telnyx configured (their REST
bases on a closed loopback port: nothing here reaches a network) so that
their webhooks are judged on their signatures, and calls recorded, so that
the owner of a call really gets its recording.
"""
import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from conftest import Server, give_back

CALLERS = ("none", "op_a", "op_b", "admin", "api_key", "expired", "bad_csrf")


class Route:
    def __init__(self, method, path, cells, body=None, fresh=(), check=None):
        assert len(cells) == len(CALLERS), path
        self.method = method
        self.path = path          # a template: {call}, {list}, {conf}, ...
        self.cells = dict(zip(CALLERS, cells))
        self.body = body          # name of a body builder (BODIES), or None
        self.fresh = fresh        # objects made afresh for each cell
        self.check = check        # more checks on a 2xx answer (CHECKS)

    def __repr__(self):
        return "%s %s" % (self.method, self.path)


# A provider's callback without its signature, whoever sends it.
WEBHOOK = ("403 invalid_signature",) * len(CALLERS)

#      method  path                                                   none op_a op_b admin api expired bad_csrf
ROUTES = [
    # Signing in and out. Login is public; logout ends the caller's own session.
    Route("POST", "/api/v1/auth/login",                               (200, 200, 200, 200, 200, 200, 200), body="login"),
    Route("POST", "/api/v1/auth/logout",                              (401, 204, 204, 204, 204, 401, 403), fresh=("session",)),
    Route("GET", "/api/v1/auth/me",                                   (401, 200, 200, 200, 200, 401, 200)),
    Route("GET", "/api/v1/auth/me?optional=1",                        (200, 200, 200, 200, 200, 200, 200), check="me_optional"),
    # Contacts and lists are the team's, shared by every operator.
    Route("POST", "/api/v1/contacts/import?list_name=m",              (401, 200, 200, 200, 200, 401, 403), body="contacts_csv"),
    Route("GET", "/api/v1/contacts?list_id={list}",                   (401, 200, 200, 200, 200, 401, 200)),
    Route("GET", "/api/v1/lists",                                     (401, 200, 200, 200, 200, 401, 200)),
    Route("DELETE", "/api/v1/lists/{list}",                           (401, 403, 403, 204, 204, 401, 403), fresh=("list",)),
    Route("POST", "/api/v1/lists/{list}/next",                        (401, 200, 200, 200, 200, 401, 403), body="empty", fresh=("list",)),
    Route("GET", "/api/v1/callbacks",                                 (401, 200, 200, 200, 200, 401, 200)),
    Route("GET", "/api/v1/callbacks?user_id={user_a}",                (401, 200, 403, 200, 200, 401, 200)),
    Route("GET", "/api/v1/contacts.csv?list_id={list}",               (401, 200, 200, 200, 200, 401, 200)),
    # The do-not-call list: admins (and the key) only.
    Route("GET", "/api/v1/dnc",                                       (401, 403, 403, 200, 200, 401, 200)),
    Route("POST", "/api/v1/dnc",                                      (401, 403, 403, 201, 201, 401, 403), body="dnc_add", fresh=("phone",)),
    Route("DELETE", "/api/v1/dnc/{dnc_phone}",                        (401, 403, 403, 204, 204, 401, 403), fresh=("dnc_phone",)),
    Route("POST", "/api/v1/dnc/import",                               (401, 403, 403, 200, 200, 401, 403), body="dnc_csv", fresh=("phone",)),
    Route("GET", "/api/v1/dnc.csv",                                   (401, 403, 403, 200, 200, 401, 200)),
    Route("GET", "/api/v1/settings",                                  (401, 200, 200, 200, 200, 401, 200)),
    # Users: admins only; an operator making anyone an admin is refused.
    Route("GET", "/api/v1/users",                                     (401, 403, 403, 200, 200, 401, 200)),
    Route("POST", "/api/v1/users",                                    (401, 403, 403, 201, 201, 401, 403), body="new_user"),
    Route("PATCH", "/api/v1/users/{target}",                          (401, 403, 403, 200, 200, 401, 403), body="promote", fresh=("target",)),
    # Calls: operators see and touch only their own; another's is a 404.
    Route("POST", "/api/v1/calls",                                    (401, 201, 201, 201, 201, 401, 403), body="dial"),
    Route("GET", "/api/v1/calls",                                     (401, 200, 200, 200, 200, 401, 200), check="calls_list"),
    Route("GET", "/api/v1/calls?user_id={user_a}",                    (401, 200, 200, 200, 200, 401, 200), check="calls_list"),
    Route("GET", "/api/v1/calls/{call}",                              (401, 200, 404, 200, 200, 401, 200)),
    Route("GET", "/api/v1/calls/{call}?refresh=1",                    (401, 200, 404, 200, 200, 401, 200)),
    Route("POST", "/api/v1/calls/{call}/token",                       (401, 200, 404, 200, 200, 401, 403)),
    Route("POST", "/api/v1/calls/{call}/mute",                        (401, 200, 404, 200, 200, 401, 403), body="mute", fresh=("call",)),
    Route("POST", "/api/v1/calls/{call}/hold",                        (401, 200, 404, 200, 200, 401, 403), body="hold", fresh=("call",)),
    Route("POST", "/api/v1/calls/{call}/end",                         (401, 200, 404, 200, 200, 401, 403), fresh=("call",)),
    Route("POST", "/api/v1/calls/{call}/log",                         (401, 200, 404, 200, 200, 401, 403), body="log", fresh=("call",)),
    Route("GET", "/api/v1/calls/{recorded}/recording",                (401, 200, "404 call_not_found", 200, 200, 401, 200)),
    # Reports.
    Route("GET", "/api/v1/stats",                                     (401, 200, 200, 200, 200, 401, 200)),
    Route("GET", "/api/v1/stats?user_id={user_b}",                    (401, 403, 200, 200, 200, 401, 200)),
    Route("GET", "/api/v1/calls.csv",                                 (401, 200, 200, 200, 200, 401, 200), check="calls_csv"),
    # For load balancers: nobody needs to be anyone.
    Route("GET", "/api/v1/health",                                    (200, 200, 200, 200, 200, 200, 200)),
    # Providers calling back: only their signature counts, never a session or the key.
    Route("POST", "/api/v1/twilio/voice",                             WEBHOOK, body="twilio_form"),
    Route("POST", "/api/v1/twilio/conference-status",                 WEBHOOK, body="twilio_form"),
    Route("POST", "/api/v1/twilio/call-status?call={call}",           WEBHOOK, body="twilio_form"),
    Route("POST", "/api/v1/twilio/consent?call={call}",               WEBHOOK, body="twilio_form"),
    Route("POST", "/api/v1/twilio/recording-status?call={call}",      WEBHOOK, body="twilio_form"),
    Route("POST", "/api/v1/telnyx/events",                            WEBHOOK, body="telnyx_event"),
    Route("POST", "/api/v1/telnyx/call-status?call={call}",           WEBHOOK, body="telnyx_event"),
    Route("POST", "/api/v1/telnyx/conference-status",                 WEBHOOK, body="telnyx_event"),
    # The seed's routes: the same rules under the seed's names.
    Route("POST", "/aicallgo/api/v1/cold-call/initiate",              (401, 200, 200, 200, 200, 401, 403), body="dial"),
    Route("POST", "/aicallgo/api/v1/cold-call/webrtc-join",           (401, 200, "404 conference_not_found", 200, 200, 401, 403), body="join"),
    Route("POST", "/aicallgo/api/v1/cold-call/control/mute",          (401, 200, "404 conference_not_found", 200, 200, 401, 403), body="seed_mute", fresh=("call",)),
    Route("POST", "/aicallgo/api/v1/cold-call/end?conference_sid={conf}", (401, 200, "404 conference_not_found", 200, 200, 401, 403), fresh=("call",)),
    Route("GET", "/aicallgo/api/v1/cold-call/status/{conf}",          (401, 200, "404 conference_not_found", 200, 200, 401, 200)),
    # Pages, and what no program owns.
    Route("GET", "/dial",                                             (200, 200, 200, 200, 200, 200, 200)),
    Route("GET", "/stats",                                            (200, 200, 200, 200, 200, 200, 200)),
    Route("GET", "/api/v1/no-such-thing",                             (404, 404, 404, 404, 404, 404, 404)),
]

# The data a refused request must leave alone (not sessions: using an
# expired one deletes it, as it should).
WATCHED = ("users", "contact_lists", "contacts", "calls", "call_events", "dnc")
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                    "Referrer-Policy", "Permissions-Policy", "Cross-Origin-Opener-Policy")


def fingerprint(db_path):
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=10)
    try:
        digest = hashlib.sha256()
        for table in WATCHED:
            for row in con.execute("SELECT * FROM %s ORDER BY rowid" % table):
                digest.update(repr(row).encode())
            digest.update(b"|")
        return digest.hexdigest()
    finally:
        con.close()
        give_back(os.path.dirname(db_path))


def token_of(session):
    return session.cookies.get("session")


class World:
    """The server, the people and the objects the cells act on."""

    def __init__(self, srv):
        self.srv = srv
        self.phones = iter(range(100, 10000))
        self.user_a, self.pw_a = srv.create_user()
        self.user_b, self.pw_b = srv.create_user()
        self.admin_user, self.admin_pw = srv.create_user(role="admin")
        self.probe, self.probe_pw = srv.create_user()
        self.a = srv.login(self.user_a["username"], self.pw_a)
        self.b = srv.login(self.user_b["username"], self.pw_b)
        self.admin = srv.login(self.admin_user["username"], self.admin_pw)
        # Another admin session sending operator A's CSRF token: a real
        # token of a live session, just not this one's.
        self.bad_csrf = srv.login(self.admin_user["username"], self.admin_pw)
        # A's recorded call first: the simulator answers it after 4 s and
        # the recording exists from then on.
        self.recorded = self.new_call()
        self.list_id = self.new_list()
        self.call = self.new_call()
        self.expired = self.expired_sessions(len(ROUTES))
        self.wait_for_recording()

    # -- objects --------------------------------------------------------
    def phone(self):
        return "+1202555%04d" % next(self.phones)

    def new_list(self):
        csv = "name,company,phone\n" + "".join(
            "P%d,Co,%s\n" % (i, self.phone()) for i in range(3))
        r = self.srv.api("POST", "/api/v1/contacts/import?list_name=authz", data=csv,
                         headers={"Content-Type": "text/csv"})
        assert r.status_code == 200, r.text
        return r.json()["list_id"]

    def new_call(self):
        r = self.a.post(self.srv.url("/api/v1/calls"), json={"to_phone": self.phone()}, timeout=30)
        assert r.status_code == 201, r.text
        return r.json()["call"]

    def new_dnc_phone(self):
        phone = self.phone()
        r = self.srv.api("POST", "/api/v1/dnc", json={"phone": phone})
        assert r.status_code == 201, r.text
        return phone

    def new_target(self):
        return self.srv.create_user()[0]["id"]

    def wait_for_recording(self):
        """The simulator answers 4 s after the dial and reports the
        recording once the call completes: A hangs up after the answer."""
        url = self.srv.url("/api/v1/calls/%d" % self.recorded["id"])
        deadline = time.monotonic() + 20
        while self.a.get(url, timeout=30).json()["call"]["status"] != "in-progress":
            assert time.monotonic() < deadline, "the simulator never answered"
            time.sleep(0.2)
        r = self.a.post(url + "/end", timeout=30)
        assert r.status_code == 200 and r.json()["call"]["has_recording"], r.text

    # -- people ---------------------------------------------------------
    def expired_sessions(self, n):
        """n real sessions of operator A, then put out of date in the
        database: every other one past its absolute end, the rest idle
        past DIALER_SESSION_IDLE (its default, 7200 s)."""
        sessions = [self.srv.login(self.user_a["username"], self.pw_a) for _ in range(n)]
        now = int(time.time())
        con = sqlite3.connect(self.srv.db_path, timeout=10)
        try:
            for i, s in enumerate(sessions):
                h = hashlib.sha256(token_of(s).encode()).digest()
                if i % 2 == 0:
                    sql = "UPDATE sessions SET expires_unix = ?1 - 1 WHERE token_hash = ?2"
                else:
                    sql = "UPDATE sessions SET seen_unix = ?1 - 7201 WHERE token_hash = ?2"
                assert con.execute(sql, (now, h)).rowcount == 1
            con.commit()
        finally:
            con.close()
        give_back(self.srv.var)
        return iter(sessions)

    def caller(self, name, fresh_session):
        """The cookies and headers a caller sends. Sent as they are with each
        request (never through a cookie jar, which a login's answer would
        change under the next cell)."""
        if name == "none":
            return {}, {}
        if name == "api_key":
            return {}, {"X-API-Key": self.srv.api_key}
        if name == "expired":
            s = next(self.expired)
        elif fresh_session:
            user, pw = {"op_a": (self.user_a, self.pw_a), "op_b": (self.user_b, self.pw_b),
                        "admin": (self.admin_user, self.admin_pw),
                        "bad_csrf": (self.admin_user, self.admin_pw)}[name]
            s = self.srv.login(user["username"], pw)
        else:
            s = {"op_a": self.a, "op_b": self.b, "admin": self.admin,
                 "bad_csrf": self.bad_csrf}[name]
        csrf = s.headers["X-CSRF-Token"] if name != "bad_csrf" else self.a.headers["X-CSRF-Token"]
        return {"session": token_of(s)}, {"X-CSRF-Token": csrf}


# -- request bodies -------------------------------------------------------

def twilio_form(w, obj):
    return {"data": {"AccountSid": TWILIO_ENV["TWILIO_ACCOUNT_SID"], "CallSid": "CA" + "0" * 32,
                     "CallStatus": "completed", "From": "client:op_%d" % w.user_a["id"],
                     "conference": w.call["conference_name"]},
            "headers": {"X-Twilio-Signature": base64.b64encode(
                hmac.new(b"not-the-token", b"x", hashlib.sha1).digest()).decode()}}


def telnyx_event(w, obj):
    ts = str(int(time.time()))
    return {"json": {"data": {"event_type": "call.hangup", "id": str(uuid.uuid4()),
                              "payload": {"call_control_id": "v3:x", "client_state": None}}},
            "headers": {"telnyx-timestamp": ts,
                        "telnyx-signature-ed25519": base64.b64encode(b"\0" * 64).decode()}}


BODIES = {
    "login": lambda w, o: {"json": {"username": w.probe["username"], "password": w.probe_pw}},
    "contacts_csv": lambda w, o: {"data": "name,company,phone\nQ,Co,%s\n" % w.phone(),
                                  "headers": {"Content-Type": "text/csv"}},
    "empty": lambda w, o: {"json": {}},
    "dnc_add": lambda w, o: {"json": {"phone": o["phone"], "reason": "matrix"}},
    "dnc_csv": lambda w, o: {"data": "phone,reason\n%s,matrix\n" % o["phone"],
                             "headers": {"Content-Type": "text/csv"}},
    "new_user": lambda w, o: {"json": {"username": "u-" + uuid.uuid4().hex[:10],
                                       "password": "pw-" + secrets.token_urlsafe(10),
                                       "role": "admin"}},
    "promote": lambda w, o: {"json": {"role": "admin"}},
    "dial": lambda w, o: {"json": {"to_phone": w.phone()}},
    "mute": lambda w, o: {"json": {"participant": "contact", "muted": True}},
    "hold": lambda w, o: {"json": {"hold": True}},
    "log": lambda w, o: {"json": {"outcome": "not_interested", "notes": "matrix"}},
    "join": lambda w, o: {"json": {"conference_id": w.call["conference_name"], "client_id": "x"}},
    "seed_mute": lambda w, o: {"json": {"conference_sid": o["call"]["conference_name"],
                                        "participant_sid": o["call"]["call_sid"],
                                        "action": "mute"}},
    "twilio_form": twilio_form,
    "telnyx_event": telnyx_event,
}


# -- checks on answers that succeed --------------------------------------

def check_calls_list(w, caller, r):
    ids = {c["id"] for c in r.json()["items"]}
    assert (w.call["id"] in ids) == (caller != "op_b"), (caller, sorted(ids))


def check_calls_csv(w, caller, r):
    assert r.headers["Content-Type"].startswith("text/csv"), r.headers
    rows = [line.split(",") for line in r.text.splitlines()[1:]]
    ids = {row[0] for row in rows}
    assert (str(w.call["id"]) in ids) == (caller != "op_b"), (caller, r.text[:500])


def check_me_optional(w, caller, r):
    user = r.json()["user"]
    if caller in ("none", "expired"):
        assert user is None, r.text
    else:
        assert user is not None, r.text


CHECKS = {"calls_list": check_calls_list, "calls_csv": check_calls_csv,
          "me_optional": check_me_optional}


# -- the server -------------------------------------------------------------

def telnyx_public_key():
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw)).decode()


TWILIO_ENV = {
    "TWILIO_ACCOUNT_SID": "AC" + "a1" * 16,
    "TWILIO_AUTH_TOKEN": "matrix-" + secrets.token_hex(16),
    "TWILIO_API_KEY_SID": "SK" + "b2" * 16,
    "TWILIO_API_KEY_SECRET": secrets.token_hex(16),
    "TWILIO_TWIML_APP_SID": "AP" + "c3" * 16,
    "TWILIO_CALLER_ID": "+12025550100",
    # A closed port: a request that slipped through could reach nothing.
    "TWILIO_API_BASE": "http://127.0.0.1:9",
}


@pytest.fixture(scope="module")
def world():
    env = dict(TWILIO_ENV)
    env.update({
        "TELNYX_API_KEY": "KEY" + secrets.token_hex(8), "TELNYX_CONNECTION_ID": "1234",
        "TELNYX_CALLER_ID": "+12025550101", "TELNYX_CREDENTIAL_ID": "cred-1",
        "TELNYX_PUBLIC_KEY": telnyx_public_key(), "TELNYX_API_BASE": "http://127.0.0.1:9/v2",
        "DIALER_RECORD_CALLS": "1",
        # Every cell that may dial does: no limit should be what answers.
        "DIALER_MAX_ACTIVE_CALLS_PER_USER": "1000", "DIALER_MAX_CALLS_PER_MINUTE": "1000",
        "DIALER_MAX_ACTIVE_CALLS": "1000",
    })
    srv = Server(env).start()
    try:
        yield World(srv)
    finally:
        srv.cleanup()


def expected(cell):
    if isinstance(cell, int):
        return cell, None
    status, code = cell.split()
    return int(status), code


def fresh_objects(w, route):
    obj = {}
    for name in route.fresh:
        if name == "list":
            obj["list"] = w.new_list()
        elif name == "call":
            obj["call"] = w.new_call()
        elif name == "phone":
            obj["phone"] = w.phone()
        elif name == "dnc_phone":
            obj["dnc_phone"] = w.new_dnc_phone()
        elif name == "target":
            obj["target"] = w.new_target()
    return obj


def build_path(w, route, obj):
    call = obj.get("call", w.call)
    return route.path.format(
        call=call["id"], conf=call["conference_name"], recorded=w.recorded["id"],
        list=obj.get("list", w.list_id), dnc_phone=obj.get("dnc_phone", ""),
        target=obj.get("target", 0), user_a=w.user_a["id"], user_b=w.user_b["id"])


@pytest.mark.parametrize("route", ROUTES, ids=repr)
def test_route_against_every_caller(world, route):
    w = world
    problems = []
    for caller in CALLERS:
        want, want_code = expected(route.cells[caller])
        obj = fresh_objects(w, route)
        path = build_path(w, route, obj)
        kw = BODIES[route.body](w, obj) if route.body else {}
        cookies, headers = w.caller(caller, "session" in route.fresh)
        kw["headers"] = dict(kw.get("headers", {}), **headers)
        before = fingerprint(w.srv.db_path) if want >= 400 else None
        r = requests.request(route.method, w.srv.url(path), cookies=cookies, timeout=30,
                             allow_redirects=False, **kw)
        where = "%s %s as %s" % (route.method, path, caller)
        if r.status_code != want:
            problems.append("%s: %d, table says %d: %s" % (where, r.status_code, want, r.text[:300]))
            continue
        for h in SECURITY_HEADERS:
            if not r.headers.get(h):
                problems.append("%s: no %s" % (where, h))
        if want >= 400:
            err = r.json()["error"]
            code = want_code or {401: "unauthenticated"}.get(want)
            if caller == "bad_csrf" and want == 403 and want_code is None:
                code = "csrf"
            if code is not None and err["code"] != code:
                problems.append("%s: code %s, want %s" % (where, err["code"], code))
            if fingerprint(w.srv.db_path) != before:
                problems.append("%s: refused (%d) but the data changed" % (where, want))
        elif route.check is not None:
            try:
                CHECKS[route.check](w, caller, r)
            except AssertionError as e:
                problems.append("%s: %s" % (where, e))
    assert not problems, "\n".join(problems)


def test_the_table_covers_every_program(world):
    """Each FastCGI program the configs route to is reached by some row, so a
    new program cannot go without its row."""
    cgi = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "cgi-bin")
    programs = {f[:-2] for f in os.listdir(cgi) if f.endswith(".c")}
    reached = {
        "auth_login": "/api/v1/auth/login", "auth_logout": "/api/v1/auth/logout",
        "auth_me": "/api/v1/auth/me", "contacts_import": "/api/v1/contacts/import",
        "contacts": "/api/v1/contacts?", "lists": "/api/v1/lists", "queue": "/next",
        "dnc": "/api/v1/dnc", "settings": "/api/v1/settings", "users": "/api/v1/users",
        "recordings": "/recording", "calls": "/api/v1/calls/{call}", "stats": "/api/v1/stats",
        "exports": ".csv", "health": "/api/v1/health", "webhooks": "/api/v1/twilio/",
        "cold_call": "/aicallgo/", "not_found": "/api/v1/no-such-thing",
    }
    assert programs == set(reached), programs ^ set(reached)
    for program, fragment in reached.items():
        assert any(fragment in r.path for r in ROUTES), program
