"""GET /api/v1/stats: exact figures over calls written straight into the
server's database (known times, outcomes and talk), range filtering,
zero-filled days, who may see whose figures, and every number equal to what
the reporting views of sql/003_reports.sql say.

The calls live in March 2025 on a server of this module's own, so no other
test's calls (made today) can change a figure."""
import datetime
import http.client
import json
import random
import sqlite3
import uuid

import pytest
import requests

from conftest import Server, assert_common_headers, assert_error, give_back

STATS = "/api/v1/stats"
TOP_KEYS = {"from", "to", "user_id", "totals", "daily", "outcomes", "operators"}
TOTAL_KEYS = {"dials", "connects", "connect_rate", "talk_s", "avg_talk_s", "active_h",
              "calls_per_hour"}
OPERATOR_KEYS = TOTAL_KEYS | {"operator_id", "operator"}


@pytest.fixture(scope="module")
def srv():
    s = Server().start()
    yield s
    s.cleanup()


def add_call(srv, operator_id, created_at, status="completed", answered=False,
             duration=None, outcome=None):
    srv.db_write(
        "INSERT INTO calls (operator_id, provider, conference_name, to_phone, status, "
        "outcome, created_at, answered_at, duration_s) VALUES (?, 'sim', ?, '+12025550143', "
        "?, ?, ?, ?, ?)",
        operator_id, "cd-test-" + uuid.uuid4().hex, status, outcome, created_at,
        created_at if answered else None, duration)


@pytest.fixture(scope="module")
def world(srv):
    """alice and bob (operators) with calls on 3 and 5 March 2025, one call
    made with the API key, carol with none, and calls just outside."""
    alice, alice_pw = srv.create_user("alice-" + uuid.uuid4().hex[:6])
    bob, bob_pw = srv.create_user("bob-" + uuid.uuid4().hex[:6])
    carol, carol_pw = srv.create_user("carol-" + uuid.uuid4().hex[:6])
    a, b = alice["id"], bob["id"]
    # 3 March: alice 09:00-11:00 (2 active hours), bob 10:00-10:10 (counts as 1).
    add_call(srv, a, "2025-03-03T09:00:00Z", answered=True, duration=120, outcome="connected")
    add_call(srv, a, "2025-03-03T09:30:00Z", status="no-answer", duration=0, outcome="no_answer")
    add_call(srv, a, "2025-03-03T11:00:00Z", answered=True, duration=60, outcome="follow_up")
    add_call(srv, b, "2025-03-03T10:00:00Z", status="busy", outcome="busy")
    # Talk time without answered_at is still a connect (the view's rule).
    add_call(srv, b, "2025-03-03T10:10:00Z", duration=31)
    # 4 March: nothing. 5 March: alice once, the API key once.
    add_call(srv, a, "2025-03-05T14:00:00Z", answered=True, duration=45, outcome="not_interested")
    add_call(srv, None, "2025-03-05T15:00:00Z", status="failed")
    # Just outside 3-5 March, on either side.
    add_call(srv, a, "2025-03-02T23:59:59Z", answered=True, duration=600, outcome="connected")
    add_call(srv, b, "2025-03-06T00:00:00Z", answered=True, duration=700, outcome="connected")
    return {
        "alice": (alice, srv.login(alice["username"], alice_pw)),
        "bob": (bob, srv.login(bob["username"], bob_pw)),
        "carol": (carol, srv.login(carol["username"], carol_pw)),
        "admin": srv.login("admin", srv.admin_password),
    }


def stats(srv, who, expect=200, **params):
    if who == "api":
        r = srv.api("GET", STATS, params=params)
    else:
        r = who.get(srv.url(STATS), params=params, timeout=60)
    assert r.status_code == expect, (r.status_code, r.text)
    return r


def report(srv, who, **params):
    r = stats(srv, who, **params)
    assert r.headers["Content-Type"].startswith("application/json")
    assert_common_headers(r)
    body = r.json()
    assert set(body) == TOP_KEYS, body
    assert set(body["totals"]) == TOTAL_KEYS
    for o in body["operators"]:
        assert set(o) == OPERATOR_KEYS, o
    return body


MARCH = {"from": "2025-03-03", "to": "2025-03-05"}


def test_admin_sees_exact_figures_for_everybody(srv, world):
    body = report(srv, world["admin"], **MARCH)
    alice, bob = world["alice"][0], world["bob"][0]
    assert body["from"] == "2025-03-03" and body["to"] == "2025-03-05"
    assert body["user_id"] is None
    # 7 dials, 4 connects, 120+60+31+45 s of talk; active hours 2+1+1+1.
    assert body["totals"] == {"dials": 7, "connects": 4, "connect_rate": 57.1, "talk_s": 256,
                              "avg_talk_s": 64.0, "active_h": 5.0, "calls_per_hour": 1.4}
    assert body["daily"] == [
        {"day": "2025-03-03", "dials": 5, "connects": 3, "talk_s": 211},
        {"day": "2025-03-04", "dials": 0, "connects": 0, "talk_s": 0},
        {"day": "2025-03-05", "dials": 2, "connects": 1, "talk_s": 45},
    ]
    assert body["outcomes"] == [
        {"outcome": "(not logged)", "calls": 2},
        {"outcome": "busy", "calls": 1},
        {"outcome": "connected", "calls": 1},
        {"outcome": "follow_up", "calls": 1},
        {"outcome": "no_answer", "calls": 1},
        {"outcome": "not_interested", "calls": 1},
    ]
    assert body["operators"] == [
        {"operator_id": alice["id"], "operator": alice["username"], "dials": 4, "connects": 3,
         "connect_rate": 75.0, "talk_s": 225, "avg_talk_s": 75.0, "active_h": 3.0,
         "calls_per_hour": 1.3},
        {"operator_id": bob["id"], "operator": bob["username"], "dials": 2, "connects": 1,
         "connect_rate": 50.0, "talk_s": 31, "avg_talk_s": 31.0, "active_h": 1.0,
         "calls_per_hour": 2.0},
        # The API key's call: no operator id, no connect, so no talk average.
        {"operator_id": None, "operator": "(api key)", "dials": 1, "connects": 0,
         "connect_rate": 0.0, "talk_s": 0, "avg_talk_s": None, "active_h": 1.0,
         "calls_per_hour": 1.0},
    ]


def test_the_api_key_sees_what_an_admin_sees(srv, world):
    assert report(srv, "api", **MARCH) == report(srv, world["admin"], **MARCH)


def test_admin_may_ask_for_one_operator(srv, world):
    bob = world["bob"][0]
    for who in (world["admin"], "api"):
        body = report(srv, who, user_id=bob["id"], **MARCH)
        assert body["user_id"] == bob["id"]
        assert body["totals"]["dials"] == 2 and body["totals"]["talk_s"] == 31
        assert [o["operator_id"] for o in body["operators"]] == [bob["id"]]
        assert body["outcomes"] == [{"outcome": "(not logged)", "calls": 1},
                                    {"outcome": "busy", "calls": 1}]
        assert [d["dials"] for d in body["daily"]] == [2, 0, 0]


def test_an_operator_sees_only_their_own(srv, world):
    alice, s = world["alice"]
    mine = report(srv, s, **MARCH)
    assert mine["user_id"] == alice["id"]
    assert mine["totals"] == {"dials": 4, "connects": 3, "connect_rate": 75.0, "talk_s": 225,
                              "avg_talk_s": 75.0, "active_h": 3.0, "calls_per_hour": 1.3}
    assert [o["operator"] for o in mine["operators"]] == [alice["username"]]
    assert [d["dials"] for d in mine["daily"]] == [3, 0, 1]
    assert {o["outcome"] for o in mine["outcomes"]} == {
        "connected", "no_answer", "follow_up", "not_interested"}
    # Naming themselves changes nothing.
    assert report(srv, s, user_id=alice["id"], **MARCH) == mine


def test_an_operator_may_not_ask_for_anyone_else(srv, world):
    bob = world["bob"][0]
    s = world["alice"][1]
    err = assert_error(stats(srv, s, 403, user_id=bob["id"], **MARCH), 403, "forbidden")
    assert "own" in err["message"]
    # An id that names nobody is refused the same way: nothing is revealed.
    assert_error(stats(srv, s, 403, user_id=987654), 403, "forbidden")


def test_an_operator_without_calls_gets_zeros_and_no_rates(srv, world):
    body = report(srv, world["carol"][1], **MARCH)
    assert body["totals"] == {"dials": 0, "connects": 0, "connect_rate": None, "talk_s": 0,
                              "avg_talk_s": None, "active_h": 0.0, "calls_per_hour": None}
    assert body["operators"] == [] and body["outcomes"] == []
    assert body["daily"] == [{"day": d, "dials": 0, "connects": 0, "talk_s": 0}
                             for d in ("2025-03-03", "2025-03-04", "2025-03-05")]


def test_unknown_user_is_404_for_an_admin(srv, world):
    assert_error(stats(srv, world["admin"], 404, user_id=987654), 404, "user_not_found")
    assert_error(stats(srv, "api", 404, user_id=987654), 404, "user_not_found")


def test_range_ends_are_inclusive_to_the_second(srv, world):
    admin = world["admin"]
    one = report(srv, admin, **{"from": "2025-03-02", "to": "2025-03-02"})
    assert one["totals"]["dials"] == 1 and one["totals"]["talk_s"] == 600
    assert one["daily"] == [{"day": "2025-03-02", "dials": 1, "connects": 1, "talk_s": 600}]
    wide = report(srv, admin, **{"from": "2025-03-02", "to": "2025-03-06"})
    assert wide["totals"]["dials"] == 9
    assert [d["dials"] for d in wide["daily"]] == [1, 5, 0, 2, 1]
    assert report(srv, admin, **{"from": "2025-03-06", "to": "2025-03-31"})["totals"]["dials"] == 1
    assert report(srv, admin, **{"from": "2025-03-07", "to": "2025-03-31"})["totals"]["dials"] == 0


def test_every_day_of_the_range_is_listed_zeros_included(srv, world):
    body = report(srv, world["admin"], **{"from": "2025-02-20", "to": "2025-03-10"})
    days = [d["day"] for d in body["daily"]]
    start = datetime.date(2025, 2, 20)
    assert days == [(start + datetime.timedelta(days=i)).isoformat() for i in range(19)]
    assert sum(d["dials"] for d in body["daily"]) == body["totals"]["dials"] == 9
    assert sum(1 for d in body["daily"] if d["dials"] == 0) == 15


def test_defaults_to_the_last_30_days_ending_today(srv, world):
    before = datetime.datetime.now(datetime.timezone.utc).date()
    body = report(srv, world["admin"])
    after = datetime.datetime.now(datetime.timezone.utc).date()
    today = datetime.date.fromisoformat(body["to"])
    assert before <= today <= after
    assert body["from"] == (today - datetime.timedelta(days=29)).isoformat()
    assert len(body["daily"]) == 30 and body["daily"][-1]["day"] == body["to"]
    # Only `to`: the 30 days ending then. Only `from`: from then to today.
    body = report(srv, world["admin"], to="2025-03-05")
    assert body["from"] == "2025-02-04" and body["totals"]["dials"] == 8
    body = report(srv, world["admin"], **{"from": before.isoformat()})
    assert body["to"] in (before.isoformat(), after.isoformat())


def test_a_range_of_366_days_is_the_most(srv, world):
    admin = world["admin"]
    # A leap year, whole.
    body = report(srv, admin, **{"from": "2024-01-01", "to": "2024-12-31"})
    assert len(body["daily"]) == 366 and body["daily"][59]["day"] == "2024-02-29"
    err = assert_error(stats(srv, admin, 422, **{"from": "2024-01-01", "to": "2025-01-01"}),
                       422, "validation_failed")
    assert err["details"] == {"field": "to", "reason": "range"}
    assert "367" in err["message"] and "366" in err["message"]


@pytest.mark.parametrize("params,field,reason", [
    ({"from": "2025-3-01"}, "from", "length"),
    ({"from": "2025-02-30", "to": "2025-03-05"}, "from", "format"),
    ({"from": "03/01/2025"}, "from", "format"),
    ({"to": "2025-13-01"}, "to", "format"),
    ({"to": "1969-12-31"}, "to", "format"),
    ({"to": "2025-03-05T00"}, "to", "length"),
    ({"from": "2025-03-05", "to": "2025-03-04"}, "to", "range"),
    ({"user_id": "abc"}, "user_id", "type"),
    ({"user_id": "0"}, "user_id", "range"),
    ({"user_id": "-3"}, "user_id", "range"),
    ({"user_id": "1.5"}, "user_id", "type"),
])
def test_bad_parameters_are_422_naming_the_field(srv, world, params, field, reason):
    for who in (world["admin"], world["alice"][1]):
        err = assert_error(stats(srv, who, 422, **params), 422, "validation_failed")
        assert err["details"] == {"field": field, "reason": reason}
        assert '"%s"' % field in err["message"]


def test_a_malformed_query_string_is_400(srv, world):
    # requests would re-quote "%zz"; http.client sends it as written.
    for qs in ("from=%zz", "to=2025-03-0%", "user_id=1%00"):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        c.request("GET", STATS + "?" + qs, headers={"X-API-Key": srv.api_key})
        resp = c.getresponse()
        status, data = resp.status, resp.read()
        c.close()
        assert status == 400, (qs, status, data)
        assert json.loads(data)["error"]["code"] == "invalid_parameter", (qs, data)


def test_sign_in_first(srv, world):
    assert_error(requests.get(srv.url(STATS), timeout=60), 401, "unauthenticated")
    r = requests.get(srv.url(STATS), headers={"X-API-Key": "wrong"}, timeout=60)
    assert_error(r, 401, "unauthenticated")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_only_get_and_head(srv, world, method):
    r = srv.api(method, STATS, params=MARCH)
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "GET, HEAD"


def test_head_is_get_without_the_body(srv, world):
    r = srv.api("HEAD", STATS, params=MARCH)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Content-Type"].startswith("application/json")


def test_no_other_path(srv, world):
    assert_error(srv.api("GET", STATS + "/x"), 404)


# --- the same numbers as the views ------------------------------------

def views(srv, frm, to, user_id=None):
    """The report computed in Python from the views' rows alone."""
    with srv.db() as c:
        rows = c.execute(
            "SELECT day, operator_id, operator, dials, connects, talk_s, active_h "
            "FROM v_operator_daily WHERE day BETWEEN ? AND ? AND (? IS NULL OR operator_id = ?)",
            (frm, to, user_id, user_id)).fetchall()
        if user_id is None:
            outcomes = c.execute(
                "SELECT outcome, sum(calls) FROM v_outcomes_daily WHERE day BETWEEN ? AND ? "
                "GROUP BY outcome", (frm, to)).fetchall()
        else:
            outcomes = c.execute(
                "SELECT COALESCE(outcome, '(not logged)'), count(*) FROM v_calls "
                "WHERE day BETWEEN ? AND ? AND operator_id = ? GROUP BY 1",
                (frm, to, user_id)).fetchall()
    per_op, per_day = {}, {}
    for day, oid, name, dials, connects, talk, active in rows:
        o = per_op.setdefault(oid, [name, 0, 0, 0, 0.0])
        o[1] += dials
        o[2] += connects
        o[3] += talk
        o[4] += active
        d = per_day.setdefault(day, [0, 0, 0])
        d[0] += dials
        d[1] += connects
        d[2] += talk
    return per_op, per_day, dict(outcomes)


def test_numbers_equal_the_views(srv, world):
    """Many calls at scattered times, then every figure of several reports
    checked against sums of v_operator_daily and v_outcomes_daily."""
    rnd = random.Random(20250301)
    ops = [world["alice"][0]["id"], world["bob"][0]["id"], None]
    outcomes = [None, "connected", "voicemail", "no_answer", "not_interested", "follow_up",
                "wrong_number", "busy"]
    con = sqlite3.connect(srv.db_path, timeout=10)
    try:
        for _ in range(400):
            t = datetime.datetime(2025, 4, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
                seconds=rnd.randrange(0, 40 * 86400))
            answered = rnd.random() < 0.4
            con.execute(
                "INSERT INTO calls (operator_id, provider, conference_name, to_phone, status, "
                "outcome, created_at, answered_at, duration_s) VALUES (?, 'sim', ?, "
                "'+12025550143', 'completed', ?, ?, ?, ?)",
                (rnd.choice(ops), "cd-r-" + uuid.uuid4().hex, rnd.choice(outcomes),
                 t.strftime("%Y-%m-%dT%H:%M:%SZ"), t.strftime("%Y-%m-%dT%H:%M:%SZ")
                 if answered else None, rnd.randrange(1, 900) if answered else rnd.choice([None, 0])))
        con.commit()
    finally:
        con.close()
    give_back(srv.var)
    checked = 0
    for frm, to, uid in [("2025-04-01", "2025-05-10", None), ("2025-04-07", "2025-04-20", None),
                         ("2025-04-01", "2025-05-10", ops[0]), ("2025-04-15", "2025-04-15", ops[1]),
                         ("2025-03-01", "2025-05-31", None)]:
        body = report(srv, world["admin"], **{"from": frm, "to": to},
                      **({"user_id": uid} if uid else {}))
        per_op, per_day, outs = views(srv, frm, to, uid)
        assert {o["outcome"]: o["calls"] for o in body["outcomes"]} == outs
        assert {d["day"]: [d["dials"], d["connects"], d["talk_s"]]
                for d in body["daily"] if d["dials"]} == per_day
        assert len(body["operators"]) == len(per_op)
        for o in body["operators"]:
            name, dials, connects, talk, active = per_op[o["operator_id"]]
            assert (o["operator"], o["dials"], o["connects"], o["talk_s"]) == (
                name, dials, connects, talk)
            assert o["active_h"] == pytest.approx(active, abs=0.006)
            assert o["connect_rate"] == pytest.approx(100.0 * connects / dials, abs=0.05)
            assert o["calls_per_hour"] == pytest.approx(dials / active, abs=0.05)
            if connects:
                assert o["avg_talk_s"] == pytest.approx(talk / connects, abs=0.05)
            else:
                assert o["avg_talk_s"] is None
            checked += 1
        t = body["totals"]
        assert t["dials"] == sum(v[1] for v in per_op.values()) == sum(
            d["dials"] for d in body["daily"]) == sum(outs.values())
        assert t["connects"] == sum(v[2] for v in per_op.values())
        assert t["talk_s"] == sum(v[3] for v in per_op.values())
        assert t["active_h"] == pytest.approx(sum(v[4] for v in per_op.values()), abs=0.006)
        assert t["calls_per_hour"] == pytest.approx(t["dials"] / t["active_h"], abs=0.05)
    assert checked >= 8


def test_zz_no_crash_or_sanitizer_report_in_the_error_log(srv, world):
    """Last in the file: every request above left the stats program whole
    (under `make SAN=1` a sanitizer report lands in error.log)."""
    text = srv.log_text("error.log")
    for mark in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Segmentation fault",
                 "event=internal_error"):
        assert mark not in text, mark
    # The stats program answered (its name is on its log lines).
    assert "stats" in srv.log_text("requests.log")
