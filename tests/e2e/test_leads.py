"""Shared lists: POST /api/v1/lists/{id}/next (the order of the queue,
reservations, skips, what is passed over, racing operators) and
GET /api/v1/callbacks, on a server of its own whose dialing rules judge by
a test clock (DIALER_TEST_CLOCK_FILE) and the 08:00-21:00 calling window.
"""
import calendar
import os
import re
import secrets
import shutil
import tempfile
import threading
import time

import pytest
import requests

import csvgen
from conftest import Server, assert_error

CONTACTS = "/api/v1/contacts"
CALLBACKS = "/api/v1/callbacks"
ANSWER_KEYS = {"contact", "reason", "reserved_until", "zone", "local_time", "caller_id",
               "caller_id_match"}
CONTACT_KEYS = {"id", "list_id", "name", "company", "title", "phone", "phone_display", "region",
                "status", "last_outcome", "last_called_at", "timezone", "attempts",
                "callback_at", "callback_by", "retry_at", "final", "do_not_call",
                "reserved_by", "reserved_until"}
# 2026-11-24T18:00:00Z: noon in Chicago, 03:00 the next morning in Tokyo.
NOON = calendar.timegm((2026, 11, 24, 18, 0, 0))
RESERVATION = 300
SKIP_DELAY = 900

_numbers = iter(csvgen.written_numbers(600, start=37000))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Clock:
    """The file the server reads the time from, replaced whole on each move
    so that a request never reads half a number."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dialer-clock-")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "now")
        self.set(NOON)

    def set(self, t):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % t)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.path)


@pytest.fixture(scope="module")
def clock():
    c = Clock()
    yield c
    shutil.rmtree(c.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def srv(clock):
    s = Server({"DIALER_TEST_CLOCK_FILE": clock.path,
                "DIALER_CALLING_HOURS": "08:00-21:00"}).start()
    yield s
    s.cleanup()


@pytest.fixture(autouse=True)
def at_noon(clock):
    clock.set(NOON)


def operator(srv):
    user, pw = srv.create_user()
    return srv.login(user["username"], pw), user


def make_list(srv, zones):
    """A list with one contact per entry of `zones` (its IANA time zone),
    in that order: (list id, [contact], [E.164])."""
    rows, phones = [], []
    for i, zone in enumerate(zones):
        written, e164 = next(_numbers)
        rows.append(["Lead %d %s" % (i, secrets.token_hex(3)), "Queue Co", written, zone])
        phones.append(e164)
    body = csvgen.rows_to_csv(["name", "company", "phone", "timezone"], rows)
    r = srv.api("POST", "/api/v1/contacts/import", data=body,
                params={"list_name": "Queue " + secrets.token_hex(4)},
                headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["imported"] == len(zones), rep
    lid = rep["list_id"]
    items = contacts_of(srv, lid)
    assert [c["phone"] for c in items] == phones
    assert [c["timezone"] for c in items] == list(zones)
    return lid, items, phones


def contacts_of(srv, list_id, **params):
    params.update({"list_id": list_id, "per_page": 200})
    r = srv.api("GET", CONTACTS, params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def nxt(srv, s, list_id, skip=None, expect=200):
    """POST .../next as session s (or the API key when s is None)."""
    body = {} if skip is None else {"skip": skip}
    path = "/api/v1/lists/%d/next" % list_id
    r = srv.api("POST", path, json=body) if s is None else \
        s.post(srv.url(path), json=body, timeout=60)
    assert r.status_code == expect, (r.status_code, r.text)
    if expect == 204:
        assert r.content == b""
        return None
    return r.json() if expect == 200 else r


def picked(srv, s, list_id, skip=None):
    a = nxt(srv, s, list_id, skip)
    return a["contact"]["id"]


def set_contact(srv, cid, **cols):
    sets = ", ".join("%s = ?" % k for k in cols)
    srv.db_write("UPDATE contacts SET %s WHERE id = ?" % sets, *cols.values(), cid)


# --- the order of the queue ---------------------------------------------------

def test_answer_shape(srv):
    s, user = operator(srv)
    lid, items, phones = make_list(srv, ["America/Chicago"])
    a = nxt(srv, s, lid)
    assert set(a) == ANSWER_KEYS
    c = a["contact"]
    assert set(c) == CONTACT_KEYS
    assert c["id"] == items[0]["id"] and c["phone"] == phones[0]
    assert a["reason"] == "new"
    assert a["reserved_until"] == iso(NOON + RESERVATION)
    assert (c["reserved_by"], c["reserved_until"]) == (user["id"], iso(NOON + RESERVATION))
    assert (a["zone"], a["local_time"]) == ("America/Chicago", "12:00")
    # The simulator has no caller ids of its own.
    assert (a["caller_id"], a["caller_id_match"]) == (None, "none")
    assert (c["attempts"], c["final"], c["do_not_call"], c["callback_at"]) == (0, False, False, None)


def test_order_callbacks_new_retries(srv, clock):
    s, me = operator(srv)
    _o, other = operator(srv)
    lid, items, _p = make_list(srv, ["America/Chicago"] * 8)
    ids = [c["id"] for c in items]
    new1, cb_later, theirs, mine, retry_later, retry, oldest, new2 = ids
    followed = {"status": "called", "last_outcome": "follow_up", "attempts": 1}
    unanswered = {"status": "called", "last_outcome": "no_answer", "attempts": 1}
    set_contact(srv, mine, callback_at=iso(NOON - 600), callback_by=me["id"], **followed)
    set_contact(srv, theirs, callback_at=iso(NOON - 7200), callback_by=other["id"], **followed)
    set_contact(srv, oldest, callback_at=iso(NOON - 9000), callback_by=other["id"], **followed)
    set_contact(srv, cb_later, callback_at=iso(NOON + 600), callback_by=me["id"], **followed)
    set_contact(srv, retry, retry_at=iso(NOON - 60), **unanswered)
    set_contact(srv, retry_later, retry_at=iso(NOON + 720), **unanswered)

    # Skipping each in turn walks the whole queue.
    seen, skip = [], None
    for _ in range(6):
        a = nxt(srv, s, lid, skip)
        seen.append((a["contact"]["id"], a["reason"]))
        skip = a["contact"]["id"]
    assert seen == [(mine, "callback"), (oldest, "callback"), (theirs, "callback"),
                    (new1, "new"), (new2, "new"), (retry, "retry")]
    # What is not due yet is not offered.
    nxt(srv, s, lid, skip, expect=204)
    clock.set(NOON + 660)
    a = nxt(srv, s, lid)
    assert (a["contact"]["id"], a["reason"]) == (cb_later, "callback")
    nxt(srv, s, lid, cb_later, expect=204)
    clock.set(NOON + 780)
    a = nxt(srv, s, lid)
    assert (a["contact"]["id"], a["reason"]) == (retry_later, "retry")


def test_own_callbacks_first_for_each_operator(srv):
    s1, u1 = operator(srv)
    s2, u2 = operator(srv)
    lid, items, _p = make_list(srv, ["America/Chicago"] * 3)
    for c, by, ago in ((items[0], u1, 60), (items[1], u2, 30), (items[2], u1, 90)):
        set_contact(srv, c["id"], status="called", last_outcome="follow_up",
                    callback_at=iso(NOON - ago), callback_by=by["id"])
    assert picked(srv, s2, lid) == items[1]["id"]
    assert picked(srv, s1, lid) == items[2]["id"]


# --- reservations ---------------------------------------------------------------

def test_reservation_held_then_released_after_timeout(srv, clock):
    s1, u1 = operator(srv)
    s2, u2 = operator(srv)
    lid, items, _p = make_list(srv, ["America/Chicago"] * 3)
    first = nxt(srv, s1, lid)
    assert first["contact"]["id"] == items[0]["id"]
    clock.set(NOON + 120)
    again = nxt(srv, s1, lid)
    assert again["contact"]["id"] == items[0]["id"]
    assert again["reserved_until"] == first["reserved_until"] == iso(NOON + RESERVATION)
    assert picked(srv, s2, lid) == items[1]["id"]
    shown = {c["id"]: (c["reserved_by"], c["reserved_until"]) for c in contacts_of(srv, lid)}
    assert shown == {items[0]["id"]: (u1["id"], iso(NOON + RESERVATION)),
                     items[1]["id"]: (u2["id"], iso(NOON + 120 + RESERVATION)),
                     items[2]["id"]: (None, None)}
    # u1's time runs out: the contact goes to the next who asks, u2's
    # earlier one back to the queue.
    clock.set(NOON + RESERVATION + 121)
    assert picked(srv, s2, lid) == items[0]["id"]
    shown = {c["id"]: c["reserved_by"] for c in contacts_of(srv, lid)}
    assert shown == {items[0]["id"]: u2["id"], items[1]["id"]: None, items[2]["id"]: None}
    assert picked(srv, s1, lid) == items[1]["id"]


def test_skip(srv, clock):
    s1, _u1 = operator(srv)
    s2, _u2 = operator(srv)
    lid, items, _p = make_list(srv, ["America/Chicago"] * 3)
    x, y, z = (c["id"] for c in items)
    assert picked(srv, s1, lid) == x
    # Skipping what someone else holds lets nothing go.
    assert picked(srv, s2, lid, skip=x) == y
    assert picked(srv, s1, lid, skip=x) == z
    assert [c["reserved_by"] is not None for c in contacts_of(srv, lid)] == [False, True, True]
    # x is offered to nobody until the skip delay has passed (the others'
    # reservations lapse first).
    clock.set(NOON + SKIP_DELAY - 1)
    assert picked(srv, None, lid) == y
    clock.set(NOON + SKIP_DELAY)
    assert picked(srv, None, lid) == x


# --- what is passed over -----------------------------------------------------------

def test_dnc_in_flight_and_calling_hours(srv, clock):
    s, user = operator(srv)
    lid, items, phones = make_list(srv, ["America/Chicago", "America/Chicago", "Asia/Tokyo",
                                         "America/Chicago"])
    listed, flying, tokyo, chicago = (c["id"] for c in items)
    srv.db_write("INSERT INTO dnc (phone_e164, reason, source) VALUES (?, 'asked', 'manual')",
                 phones[0])
    srv.db_write("INSERT INTO calls (contact_id, operator_id, provider, conference_name, to_phone, "
                 "status) VALUES (?, NULL, 'sim', ?, ?, 'ringing')",
                 flying, "cd-" + secrets.token_hex(12), phones[1])
    a = nxt(srv, s, lid)
    assert a["contact"]["id"] == chicago
    nxt(srv, s, lid, chicago, expect=204)
    # 01:00 UTC: 19:00 in Chicago, 10:00 in Tokyo.
    clock.set(NOON + 7 * 3600)
    a = nxt(srv, s, lid)
    assert a["contact"]["id"] == tokyo
    assert (a["zone"], a["local_time"]) == ("Asia/Tokyo", "10:00")
    srv.db_write("UPDATE calls SET status = 'completed' WHERE contact_id = ?", flying)
    assert picked(srv, s, lid, skip=tokyo) == flying
    assert picked(srv, s, lid, skip=flying) == chicago
    nxt(srv, s, lid, chicago, expect=204)
    listed_item = [c for c in contacts_of(srv, lid) if c["id"] == listed][0]
    assert listed_item["do_not_call"] is True
    # 04:00 UTC: 22:00 in Chicago (closed), 13:00 in Tokyo.
    clock.set(NOON + 10 * 3600)
    assert picked(srv, s, lid) == tokyo
    assert user["id"] == [c for c in contacts_of(srv, lid) if c["id"] == tokyo][0]["reserved_by"]


def test_final_contacts_are_not_offered(srv):
    s, _u = operator(srv)
    lid, items, _p = make_list(srv, ["America/Chicago"] * 3)
    for c, outcome in zip(items, ("not_interested", "wrong_number", "busy")):
        set_contact(srv, c["id"], status="called", last_outcome=outcome, attempts=3)
    assert [c["final"] for c in contacts_of(srv, lid)] == [True, True, True]
    nxt(srv, s, lid, expect=204)


# --- many operators at once -----------------------------------------------------------

def test_two_operators_racing(srv):
    ops = [operator(srv)[0] for _ in range(2)]
    lid, items, _p = make_list(srv, ["America/Chicago"] * 12)
    path = srv.url("/api/v1/lists/%d/next" % lid)
    barrier = threading.Barrier(20)
    got = [[] for _ in ops]
    errors = []

    def ask(k):
        try:
            barrier.wait(timeout=30)
            r = ops[k].post(path, json={}, timeout=60)
            assert r.status_code == 200, r.text
            got[k].append(r.json()["contact"]["id"])
        except Exception as e:  # reported below, in the main thread
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(i % 2,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    # Each operator holds one contact, the same for all their requests,
    # and not the other's.
    held = [set(g) for g in got]
    assert [len(g) for g in got] == [10, 10]
    assert [len(h) for h in held] == [1, 1] and not held[0] & held[1]

    handed = [list(h) for h in held]

    def work(k):
        try:
            cur = handed[k][0]
            while True:
                r = ops[k].post(path, json={"skip": cur}, timeout=60)
                if r.status_code == 204:
                    return
                assert r.status_code == 200, r.text
                cur = r.json()["contact"]["id"]
                handed[k].append(cur)
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    # Every contact handed out exactly once, to one of the two.
    assert sorted(handed[0] + handed[1]) == sorted(c["id"] for c in items)


# --- errors and who may ask -------------------------------------------------------------

def test_missing_and_archived_lists(srv):
    s, _u = operator(srv)
    lid, _items, _p = make_list(srv, ["America/Chicago"])
    assert srv.api("DELETE", "/api/v1/lists/%d" % lid).status_code == 204
    for path in ("/api/v1/lists/%d/next" % lid, "/api/v1/lists/987654321/next",
                 "/api/v1/lists/abc/next", "/api/v1/lists/0/next"):
        r = s.post(srv.url(path), json={}, timeout=60)
        assert_error(r, 404, "list_not_found")


def test_who_may_ask(srv):
    lid, items, _p = make_list(srv, ["America/Chicago"] * 2)
    path = srv.url("/api/v1/lists/%d/next" % lid)
    assert_error(requests.post(path, json={}, timeout=60), 401, "unauthenticated")
    s, user = operator(srv)
    no_csrf = requests.Session()
    no_csrf.cookies.update(s.cookies)
    assert_error(no_csrf.post(path, json={}, timeout=60), 403, "csrf")
    assert picked(srv, s, lid) == items[0]["id"]
    # The API key is handed a contact without holding it.
    a = nxt(srv, None, lid)
    assert a["contact"]["id"] == items[1]["id"] and a["reserved_until"] is None
    assert a["contact"]["reserved_by"] is None
    assert picked(srv, None, lid) == items[1]["id"]


@pytest.mark.parametrize("body,status", [({"skip": "x"}, 422), ({"skip": 0}, 422),
                                         ({"skip": 1.5}, 422), ("[]", 400), ("{", 400)])
def test_bad_bodies(srv, body, status):
    s, _u = operator(srv)
    path = srv.url("/api/v1/lists/1/next")
    if isinstance(body, dict):
        r = s.post(path, json=body, timeout=60)
    else:
        r = s.post(path, data=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert_error(r, status)


def test_wrong_methods(srv):
    r = srv.api("GET", "/api/v1/lists/1/next")
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "POST"
    r = srv.api("POST", CALLBACKS, json={})
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "GET"


# --- contacts: the callable filter ---------------------------------------------------

def test_callable_filter(srv, clock):
    lid, items, phones = make_list(srv, ["America/Chicago", "Asia/Tokyo", "America/Chicago",
                                         "Europe/London"])
    srv.db_write("INSERT INTO dnc (phone_e164, source) VALUES (?, 'manual')", phones[2])

    def callable_ids():
        r = srv.api("GET", CONTACTS, params={"list_id": lid, "callable": 1})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == len(body["items"])
        return [c["id"] for c in body["items"]]

    # 18:00 UTC: Chicago 12:00, Tokyo 03:00, London 18:00.
    assert callable_ids() == [items[0]["id"], items[3]["id"]]
    # 01:00 UTC: Chicago 19:00, Tokyo 10:00, London 01:00.
    clock.set(NOON + 7 * 3600)
    assert callable_ids() == [items[0]["id"], items[1]["id"]]
    r = srv.api("GET", CONTACTS, params={"list_id": lid, "callable": 0})
    assert r.json()["total"] == 4
    err = assert_error(srv.api("GET", CONTACTS, params={"callable": "2"}), 400, "invalid_parameter")
    assert err["details"]["field"] == "callable"


# --- callbacks ------------------------------------------------------------------------

def test_callbacks(srv, admin_of):
    s1, u1 = operator(srv)
    s2, u2 = operator(srv)
    lid, items, _p = make_list(srv, ["America/Chicago"] * 3)
    due, later, theirs = (c["id"] for c in items)
    for cid, by, at in ((due, u1, NOON - 60), (later, u1, NOON + 3600), (theirs, u2, NOON - 30)):
        set_contact(srv, cid, status="called", last_outcome="follow_up", callback_at=iso(at),
                    callback_by=by["id"])

    r = s1.get(srv.url(CALLBACKS), timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "now"} and body["now"] == iso(NOON)
    assert [(i["contact"]["id"], i["callback_at"], i["due"]) for i in body["items"]] == [
        (due, iso(NOON - 60), True), (later, iso(NOON + 3600), False)]
    assert all(set(i) == {"contact", "callback_at", "due"} for i in body["items"])
    assert set(body["items"][0]["contact"]) == CONTACT_KEYS
    r = s1.get(srv.url(CALLBACKS), params={"due": 1}, timeout=60)
    assert [i["contact"]["id"] for i in r.json()["items"]] == [due]
    # Operators see their own only.
    assert s1.get(srv.url(CALLBACKS), params={"user_id": u1["id"]}, timeout=60).status_code == 200
    assert_error(s1.get(srv.url(CALLBACKS), params={"user_id": u2["id"]}, timeout=60),
                 403, "forbidden")
    # Admins (and the API key) ask for anyone's.
    r = admin_of.get(srv.url(CALLBACKS), params={"user_id": u2["id"]}, timeout=60)
    assert [i["contact"]["id"] for i in r.json()["items"]] == [theirs]
    r = srv.api("GET", CALLBACKS, params={"user_id": u1["id"], "due": "1"})
    assert [i["contact"]["id"] for i in r.json()["items"]] == [due]
    assert_error(srv.api("GET", CALLBACKS, params={"user_id": 987654321}), 404, "user_not_found")
    assert_error(srv.api("GET", CALLBACKS, params={"due": "maybe"}), 400, "invalid_parameter")
    assert_error(requests.get(srv.url(CALLBACKS), timeout=60), 401, "unauthenticated")
    # An archived list's callbacks are gone with it.
    assert srv.api("DELETE", "/api/v1/lists/%d" % lid).status_code == 204
    assert s1.get(srv.url(CALLBACKS), timeout=60).json()["items"] == []


@pytest.fixture
def admin_of(srv):
    return srv.login("admin", srv.admin_password)


# --- through the calls API ---------------------------------------------------------------

def test_logged_calls_feed_the_queue(srv, clock):
    s, user = operator(srv)
    lid, items, _p = make_list(srv, ["America/Chicago"] * 3)
    first, second, _third = (c["id"] for c in items)

    def call_and_log(cid, **log):
        r = s.post(srv.url("/api/v1/calls"), json={"contact_id": cid}, timeout=60)
        assert r.status_code == 201, r.text
        call = r.json()["call"]
        assert s.post(srv.url("/api/v1/calls/%d/end" % call["id"]), timeout=60).status_code == 200
        r = s.post(srv.url("/api/v1/calls/%d/log" % call["id"]), json=log, timeout=60)
        assert r.status_code == 200, r.text

    assert picked(srv, s, lid) == first
    call_and_log(first, outcome="no_answer")
    c = [c for c in contacts_of(srv, lid) if c["id"] == first][0]
    assert (c["attempts"], c["reserved_by"], c["final"]) == (1, None, False)
    retry_at = c["retry_at"]
    assert retry_at is not None
    assert picked(srv, s, lid) == second
    call_and_log(second, outcome="follow_up", callback_at=iso(NOON + 1800))
    body = s.get(srv.url(CALLBACKS), timeout=60).json()
    assert [(i["contact"]["id"], i["due"]) for i in body["items"]] == [(second, False)]
    # The callback comes due: it goes before the never-called third.
    clock.set(NOON + 1800)
    a = nxt(srv, s, lid)
    assert (a["contact"]["id"], a["reason"]) == (second, "callback")
    call_and_log(second, outcome="not_interested")
    assert [c["final"] for c in contacts_of(srv, lid) if c["id"] == second] == [True]
    # The retry comes round after the third.
    a = nxt(srv, s, lid)
    assert a["reason"] == "new"
    clock.set(calendar.timegm(time.strptime(retry_at, "%Y-%m-%dT%H:%M:%SZ")))
    a = nxt(srv, s, lid, skip=a["contact"]["id"])
    assert (a["contact"]["id"], a["reason"]) == (first, "retry")
    assert a["contact"]["reserved_by"] == user["id"]


def test_request_log_names_the_routes(srv):
    s, _u = operator(srv)
    lid, _items, _p = make_list(srv, ["America/Chicago"])
    nxt(srv, s, lid)
    s.get(srv.url(CALLBACKS), timeout=60)
    log = srv.log_text("requests.log")
    assert re.search(r'route="?/api/v1/lists/\{id\}/next"? status=200', log), log[-2000:]
    assert re.search(r'route="?/api/v1/callbacks"? status=200', log), log[-2000:]
    assert "/api/v1/lists/%d/next" % lid not in log


def test_malformed_calling_hours_are_a_setting_to_fix(server_factory, clock):
    bad = server_factory(extra_env={"DIALER_TEST_CLOCK_FILE": clock.path,
                                    "DIALER_CALLING_HOURS": "8 to 9"})
    lid, _items, _p = make_list(bad, ["America/Chicago"])
    assert_error(bad.api("POST", "/api/v1/lists/%d/next" % lid, json={}), 503, "misconfigured")
    assert_error(bad.api("GET", CONTACTS, params={"list_id": lid, "callable": 1}),
                 503, "misconfigured")
    # Listing without the filter does not need the setting.
    assert bad.api("GET", CONTACTS, params={"list_id": lid}).status_code == 200
