"""The dialing rules on POST /api/v1/calls and the log: do-not-call
refusals, calling hours around the window's edges in several time zones
(on a test clock), lead reservations between operators, retry scheduling,
callbacks, local caller ID, and GET /api/v1/settings."""
import calendar
import os
import secrets
import shutil
import tempfile
import time

import pytest
import requests

import csvgen
from conftest import Server, assert_error

CALLS = "/api/v1/calls"


def utc(text):
    """Unix seconds of "2026-11-24T14:00:00Z"."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class Clock:
    """The file DIALER_TEST_CLOCK_FILE names: the rules' time."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dialer-clock-")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "now")
        self.set("2026-11-24T18:00:00Z")

    def set(self, text):
        self.now = utc(text)
        with open(self.path + ".tmp", "w") as f:
            f.write("%d\n" % self.now)
        os.chmod(self.path + ".tmp", 0o644)
        os.replace(self.path + ".tmp", self.path)

    def advance(self, seconds):
        self.now += seconds
        self.set(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now)))


@pytest.fixture(scope="module")
def rules():
    """A server with the real calling window, a Florida-style rule, a
    caller-ID pool and short retry rules, on a test clock."""
    clock = Clock()
    srv = Server({
        "DIALER_TEST_CLOCK_FILE": clock.path,
        "DIALER_CALLING_HOURS": "08:00-21:00",
        "DIALER_CALLING_HOURS_RULES": "+1305=08:00-20:00",
        "DIALER_CALLER_IDS": "+13125550100,+12025550100,+442079460000",
        "DIALER_RETRY_DELAY": "3600",
        "DIALER_RETRY_MAX_ATTEMPTS": "2",
    }).start()
    srv.clock = clock
    yield srv
    srv.cleanup()
    shutil.rmtree(clock.dir, ignore_errors=True)


def import_list(srv, rows):
    """Rows of (name, phone, timezone) as one new list; {name: contact}."""
    tag = secrets.token_hex(4)
    body = csvgen.rows_to_csv(["name", "company", "phone", "timezone"],
                              [[n, "Acme " + tag, p, tz] for n, p, tz in rows])
    r = requests.post(srv.url("/api/v1/contacts/import"), data=body,
                      params={"list_name": "Rules " + tag},
                      headers={"X-API-Key": srv.api_key, "Content-Type": "text/csv"},
                      timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["error_count"] == 0, r.text
    lid = r.json()["list_id"]
    r = srv.api("GET", "/api/v1/contacts", params={"list_id": lid, "per_page": 200})
    assert r.status_code == 200, r.text
    return {c["name"]: c for c in r.json()["items"]}


def op(srv):
    user, pw = srv.create_user()
    return srv.login(user["username"], pw), user


def dial(srv, s, **body):
    return s.post(srv.url(CALLS), json=body, timeout=60)


def dial_and_end(srv, s, release=True, **body):
    """Dial; when the dial is accepted, end the call at once (an operator
    may have one call in flight) and, with `release`, log it, which gives
    back the contact's reservation. Returns the create response."""
    r = dial(srv, s, **body)
    if r.status_code == 201:
        cid = r.json()["call"]["id"]
        e = s.post(srv.url("%s/%d/end" % (CALLS, cid)), timeout=60)
        assert e.status_code == 200, e.text
        if release:
            assert log(srv, s, cid, outcome="connected").status_code == 200
    return r


def log(srv, s, cid, **body):
    return s.post(srv.url("%s/%d/log" % (CALLS, cid)), json=body, timeout=60)


def call_count(srv):
    return srv.db_scalar("SELECT COUNT(*) FROM calls")


# --- calling hours ----------------------------------------------------------

# (contact, UTC instant, allowed, local time in the message). November:
# Chicago is UTC-6, London UTC+0, Kolkata UTC+5:30 (no DST), Sydney UTC+11
# (its summer time), New York (305, by number) UTC-5 with the 20:00 rule.
EDGES = [
    ("Chicago", "2026-11-24T13:59:00Z", False, "07:59"),
    ("Chicago", "2026-11-24T14:00:00Z", True, None),
    ("Chicago", "2026-11-25T02:59:00Z", True, None),
    ("Chicago", "2026-11-25T03:00:00Z", False, "21:00"),
    ("London", "2026-11-24T07:59:00Z", False, "07:59"),
    ("London", "2026-11-24T08:00:00Z", True, None),
    ("London", "2026-11-24T20:59:00Z", True, None),
    ("London", "2026-11-24T21:00:00Z", False, "21:00"),
    ("Kolkata", "2026-11-24T02:29:00Z", False, "07:59"),
    ("Kolkata", "2026-11-24T02:30:00Z", True, None),
    ("Kolkata", "2026-11-24T15:29:00Z", True, None),
    ("Kolkata", "2026-11-24T15:30:00Z", False, "21:00"),
    ("Sydney", "2026-11-23T20:59:00Z", False, "07:59"),
    ("Sydney", "2026-11-23T21:00:00Z", True, None),
    ("Miami", "2026-11-25T00:59:00Z", True, None),
    ("Miami", "2026-11-25T01:00:00Z", False, "20:00"),
]
ZONES = {"Chicago": "America/Chicago", "London": "Europe/London",
         "Kolkata": "Asia/Kolkata", "Sydney": "Australia/Sydney",
         "Miami": "America/New_York"}


@pytest.fixture(scope="module")
def hours_list(rules):
    return import_list(rules, [
        ("Chicago", "+1 202 555 0161", "America/Chicago"),
        ("London", "+1 202 555 0162", "Europe/London"),
        ("Kolkata", "+1 202 555 0163", "Asia/Kolkata"),
        ("Sydney", "+1 202 555 0164", "Australia/Sydney"),
        # No zone column: the number says (305: Florida, Eastern), and
        # the prefix rule ends its day at 20:00.
        ("Miami", "+1 305 555 0165", ""),
    ])


@pytest.mark.parametrize("who,at,allowed,local", EDGES)
def test_calling_hours_edges(rules, hours_list, who, at, allowed, local):
    rules.clock.set(at)
    s, _ = op(rules)
    before = call_count(rules)
    r = dial_and_end(rules, s, contact_id=hours_list[who]["id"])
    if allowed:
        assert r.status_code == 201, r.text
        return
    err = assert_error(r, 409, "outside_calling_hours")
    zone = ZONES[who]
    assert err["message"].startswith("It is %s in %s;" % (local, zone)), err
    assert err["details"]["zone"] == zone and err["details"]["local_time"] == local
    assert err["details"]["window"] == ("08:00-20:00" if who == "Miami" else "08:00-21:00")
    # opens_at is when the window opens next, and a dial then is allowed.
    opens = err["details"]["opens_at"]
    assert opens is not None and utc(opens) > rules.clock.now
    # Nothing reached a provider and no call row was made.
    assert call_count(rules) == before
    rules.clock.set(opens)
    assert dial_and_end(rules, s, contact_id=hours_list[who]["id"]).status_code == 201


def test_bare_number_judged_by_its_zone(rules):
    s, _ = op(rules)
    rules.clock.set("2026-11-24T12:00:00Z")  # 06:00 in Chicago
    err = assert_error(dial(rules, s, to_phone="+1 312 555 0166"), 409, "outside_calling_hours")
    assert "America/Chicago" in err["message"]
    rules.clock.set("2026-11-24T16:00:00Z")
    assert dial_and_end(rules, s, to_phone="+1 312 555 0166").status_code == 201


def test_seed_route_obeys_the_rules(rules):
    rules.clock.set("2026-11-24T12:00:00Z")
    r = rules.api("POST", "/aicallgo/api/v1/cold-call/initiate",
                  json={"to_phone": "+13125550167", "provider": "sim"})
    assert_error(r, 409, "outside_calling_hours")


# --- do-not-call ------------------------------------------------------------

def test_dnc_refusal_in_words(rules):
    rules.clock.set("2026-11-24T18:00:00Z")
    people = import_list(rules, [("Dee", "+1 202 555 0170", "America/New_York")])
    r = rules.api("POST", "/api/v1/dnc", json={"phone": "(202) 555-0170",
                                                "reason": "asked by letter"})
    assert r.status_code == 201, r.text
    s, _ = op(rules)
    before = call_count(rules)
    err = assert_error(dial(rules, s, contact_id=people["Dee"]["id"]), 409, "do_not_call")
    assert err["message"].startswith("+1 202-555-0170 is on the do-not-call list"), err
    assert "asked by letter" in err["message"]
    assert err["details"]["reason"] == "asked by letter"
    assert_error(dial(rules, s, to_phone="202-555-0170"), 409, "do_not_call")
    r = rules.api("POST", "/aicallgo/api/v1/cold-call/initiate",
                  json={"to_phone": "+12025550170", "provider": "sim"})
    assert_error(r, 409, "do_not_call")
    assert call_count(rules) == before
    # Off the list again: the dial goes through.
    r = rules.api("DELETE", "/api/v1/dnc/%2B12025550170")
    assert r.status_code == 204, r.text
    assert dial_and_end(rules, s, contact_id=people["Dee"]["id"]).status_code == 201


def test_replay_answers_whatever_the_rules_say_now(rules):
    rules.clock.set("2026-11-24T18:00:00Z")
    s, _ = op(rules)
    key = {"Idempotency-Key": "k-" + secrets.token_hex(8)}
    r = s.post(rules.url(CALLS), json={"to_phone": "+1 202 555 0168"}, headers=key, timeout=60)
    assert r.status_code == 201, r.text
    first = r.json()["call"]["id"]
    assert rules.api("POST", "/api/v1/dnc", json={"phone": "+12025550168"}).status_code == 201
    try:
        before = call_count(rules)
        r = s.post(rules.url(CALLS), json={"to_phone": "+1 202 555 0168"}, headers=key, timeout=60)
        assert r.status_code == 200 and r.json()["call"]["id"] == first, r.text
        assert s.post(rules.url("%s/%d/end" % (CALLS, first)), timeout=60).status_code == 200
        # A new key is a new dial: refused, nothing stored.
        r = s.post(rules.url(CALLS), json={"to_phone": "+1 202 555 0168"},
                   headers={"Idempotency-Key": "k-" + secrets.token_hex(8)}, timeout=60)
        assert_error(r, 409, "do_not_call")
        assert call_count(rules) == before
    finally:
        rules.api("DELETE", "/api/v1/dnc/%2B12025550168")
        s.post(rules.url("%s/%d/end" % (CALLS, first)), timeout=60)


def test_do_not_call_outcome_lists_the_number(rules):
    rules.clock.set("2026-11-24T18:00:00Z")
    people = import_list(rules, [("Noel", "+1 202 555 0171", "")])
    s, user = op(rules)
    r = dial_and_end(rules, s, release=False, contact_id=people["Noel"]["id"])
    assert r.status_code == 201, r.text
    cid = r.json()["call"]["id"]
    r = log(rules, s, cid, outcome="do_not_call", notes="please stop")
    assert r.status_code == 200, r.text
    assert r.json()["call"]["outcome"] == "do_not_call"
    with rules.db() as c:
        row = c.execute("SELECT source, added_by, call_id FROM dnc "
                        "WHERE phone_e164 = '+12025550171'").fetchone()
    assert tuple(row) == ("outcome", user["id"], cid)
    err = assert_error(dial(rules, s, contact_id=people["Noel"]["id"]), 409, "do_not_call")
    assert "Asked not to be called" in err["message"]
    # The contact says so too, and is final.
    r = rules.api("GET", "/api/v1/contacts", params={"list_id": people["Noel"]["list_id"]})
    c = r.json()["items"][0]
    assert c["do_not_call"] is True and c["final"] is True and c["attempts"] == 1


# --- retries and callbacks ----------------------------------------------------

def test_retry_scheduling(rules):
    rules.clock.set("2026-11-24T18:00:00Z")
    people = import_list(rules, [("Rita", "+1 202 555 0172", "")])
    contact = people["Rita"]["id"]
    s, _ = op(rules)

    def contact_row():
        r = rules.api("GET", "/api/v1/contacts", params={"list_id": people["Rita"]["list_id"]})
        return r.json()["items"][0]

    cid = dial_and_end(rules, s, release=False, contact_id=contact).json()["call"]["id"]
    assert log(rules, s, cid, outcome="no_answer").status_code == 200
    c = contact_row()
    assert c["attempts"] == 1 and c["retry_at"] == "2026-11-24T19:00:00Z" and not c["final"]
    # Logged again (a corrected note): still one attempt.
    assert log(rules, s, cid, outcome="no_answer", notes="rang out").status_code == 200
    assert contact_row()["attempts"] == 1
    rules.clock.set("2026-11-24T19:30:00Z")
    cid = dial_and_end(rules, s, release=False, contact_id=contact).json()["call"]["id"]
    assert log(rules, s, cid, outcome="busy").status_code == 200
    c = contact_row()
    # Two attempts of two: no more retries.
    assert c["attempts"] == 2 and c["retry_at"] is None and c["final"] is True


def test_callback(rules):
    rules.clock.set("2026-11-24T18:00:00Z")
    people = import_list(rules, [("Cal", "+1 202 555 0173", "")])
    s, user = op(rules)
    cid = dial_and_end(rules, s, release=False, contact_id=people["Cal"]["id"]).json()["call"]["id"]
    for body, reason in (({"outcome": "busy", "callback_at": "2026-11-25T15:00:00Z"}, "not_allowed"),
                         ({"outcome": "follow_up", "callback_at": "tomorrow"}, "invalid"),
                         ({"outcome": "follow_up", "callback_at": "2026-11-25T15:00:00"}, "invalid"),
                         ({"outcome": "follow_up", "callback_at": "2026-11-24T17:00:00Z"}, "out_of_range"),
                         ({"outcome": "follow_up", "callback_at": "2028-01-01T00:00:00Z"}, "out_of_range")):
        err = assert_error(log(rules, s, cid, **body), 422)
        assert err["details"]["field"] == "callback_at", err
        assert err["details"]["reason"] == reason, err
    r = log(rules, s, cid, outcome="follow_up", callback_at="2026-11-25T16:00:00+01:00")
    assert r.status_code == 200, r.text
    assert r.json()["call"]["callback_at"] == "2026-11-25T15:00:00Z"
    r = rules.api("GET", "/api/v1/contacts", params={"list_id": people["Cal"]["list_id"]})
    c = r.json()["items"][0]
    assert c["callback_at"] == "2026-11-25T15:00:00Z" and c["callback_by"] == user["id"]
    # Logging the call again as something else drops the callback.
    assert log(rules, s, cid, outcome="not_interested").status_code == 200
    r = rules.api("GET", "/api/v1/contacts", params={"list_id": people["Cal"]["list_id"]})
    c = r.json()["items"][0]
    assert c["callback_at"] is None and c["final"] is True


# --- lead reservation ---------------------------------------------------------

def test_reservation_between_operators(rules):
    rules.clock.set("2026-11-24T18:00:00Z")
    people = import_list(rules, [("Res", "+1 202 555 0174", "")])
    contact = people["Res"]["id"]
    a, _ = op(rules)
    b, _ = op(rules)
    r = dial(rules, a, contact_id=contact)
    assert r.status_code == 201, r.text
    cid = r.json()["call"]["id"]
    assert_error(dial(rules, b, contact_id=contact), 409, "contact_in_call")
    assert a.post(rules.url("%s/%d/end" % (CALLS, cid)), timeout=60).status_code == 200
    err = assert_error(dial(rules, b, contact_id=contact), 409, "contact_reserved")
    assert err["message"] == "Another operator has this contact until 18:05 UTC."
    assert err["details"]["reserved_until"] == "2026-11-24T18:05:00Z"
    # Logging releases it at once.
    assert log(rules, a, cid, outcome="no_answer").status_code == 200
    # (a retry is due only in an hour, but a person may still dial it.)
    assert dial_and_end(rules, b, contact_id=contact).status_code == 201


def test_reservation_lapses(rules):
    rules.clock.set("2026-11-24T18:00:00Z")
    people = import_list(rules, [("Lap", "+1 202 555 0175", "")])
    contact = people["Lap"]["id"]
    a, _ = op(rules)
    b, _ = op(rules)
    assert dial_and_end(rules, a, release=False, contact_id=contact).status_code == 201
    assert_error(dial(rules, b, contact_id=contact), 409, "contact_reserved")
    rules.clock.advance(301)
    assert dial_and_end(rules, b, contact_id=contact).status_code == 201


# --- local caller ID ----------------------------------------------------------

@pytest.mark.parametrize("to,from_,match", [
    ("+1 312 555 0176", "+13125550100", "area_code"),   # Chicago: the 312 number
    ("+1 202 555 0177", "+12025550100", "area_code"),   # Washington: the 202 number
    ("+1 415 555 0178", "+13125550100", "region"),      # no 415: the first US number
    ("+44 20 7946 0018", "+442079460000", "area_code"),  # London 020
    ("+44 161 496 0018", "+442079460000", "region"),     # Manchester: no 0161 number
])
def test_caller_id_pool(rules, to, from_, match):
    rules.clock.set("2026-11-24T16:30:00Z")  # inside the window in both countries
    s, _ = op(rules)
    r = dial_and_end(rules, s, to_phone=to)
    assert r.status_code == 201, r.text
    call = r.json()["call"]
    assert call["from_phone"] == from_ and call["caller_id_match"] == match
    assert rules.db_scalar("SELECT from_phone FROM calls WHERE id = ?", call["id"]) == from_


def test_caller_id_given_and_none(rules, server):
    rules.clock.set("2026-11-24T16:30:00Z")
    s, _ = op(rules)
    r = dial_and_end(rules, s, to_phone="+1 312 555 0179", from_phone="+1 202 555 0100")
    assert r.json()["call"]["from_phone"] == "+12025550100"
    assert r.json()["call"]["caller_id_match"] == "given"
    # No pool and the simulator: nothing to choose.
    s, _ = op(server)
    r = dial_and_end(server, s, to_phone="+1 312 555 0179")
    assert r.status_code == 201, r.text
    assert r.json()["call"]["from_phone"] is None
    assert r.json()["call"]["caller_id_match"] == "none"


# --- settings -----------------------------------------------------------------

def test_settings(rules, server):
    rules.clock.set("2026-11-24T16:30:00Z")
    s, _ = op(rules)
    r = s.get(rules.url("/api/v1/settings"), timeout=30)
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["calling_hours"]["window"] == "08:00-21:00"
    assert st["calling_hours"]["rules"] == [{"match": ["+1305"], "window": "08:00-20:00"}]
    assert st["retry"] == {"delay_s": 3600, "max_attempts": 2,
                           "retry_outcomes": ["no_answer", "busy"],
                           "final_outcomes": ["wrong_number", "not_interested", "do_not_call"]}
    assert st["lead_reservation_s"] == 300 and st["skip_delay_s"] == 900
    assert st["caller_ids"] == ["+13125550100", "+12025550100", "+442079460000"]
    assert st["recording"] == {"enabled": False, "consent": "text"}
    assert st["test_clock"] is True and st["now"] == "2026-11-24T16:30:00Z"
    r = server.api("GET", "/api/v1/settings")
    assert r.status_code == 200 and r.json()["test_clock"] is False
    assert_error(requests.get(server.url("/api/v1/settings"), timeout=30), 401)
    assert_error(requests.post(server.url("/api/v1/settings"), timeout=30), 405)
