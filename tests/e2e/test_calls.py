"""/api/v1/calls with the simulated provider: creating calls (limits,
idempotency, contacts), the simulated walk, mute/hold/end/log, tokens,
listing and who may see what."""
import re
import secrets
import threading
import time

import pytest
import requests

import csvgen
from conftest import assert_error

CALLS = "/api/v1/calls"
CALL_KEYS = {"id", "status", "failure_reason", "conference_name", "conference_sid", "call_sid",
             "operator_call_sid", "provider", "contact_id", "operator_id", "to_phone",
             "from_phone", "duration_s", "outcome", "notes", "created_at", "dialed_at",
             "answered_at", "ended_at", "operator_muted", "contact_muted", "on_hold",
             "callback_at", "recorded", "has_recording", "recording_duration_s"}
TOKEN_KEYS = {"token", "identity", "conference_name", "provider", "simulated", "edge", "expires_at"}
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def new_op(server):
    user, pw = server.create_user()
    return server.login(user["username"], pw), user


def post(server, s, path, body=None, **kw):
    return s.post(server.url(path), json=body, timeout=60, **kw)


def create(server, s, body, expect=201, **kw):
    r = post(server, s, CALLS, body, **kw)
    assert r.status_code == expect, (r.status_code, r.text)
    return r.json()


def get_call(server, s, cid):
    r = s.get(server.url("%s/%d" % (CALLS, cid)), timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["call"]


def backdate(server, cid, seconds):
    """Pretend the call was dialed `seconds` ago."""
    server.db_write("UPDATE calls SET dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?) "
                    "WHERE id = ?", "-%d seconds" % seconds, cid)


def end(server, s, cid):
    r = post(server, s, "%s/%d/end" % (CALLS, cid))
    assert r.status_code == 200, r.text
    return r.json()["call"]


@pytest.fixture(scope="module")
def contacts(server):
    """Two lists: one live with three contacts, one archived with one."""
    tok = "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(8))
    rows = [["Calla %s One" % tok, "Acme", "+1 202 555 0181", "CEO"],
            ["Calla %s Two" % tok, "Acme", "(202) 555-0182", ""],
            ["Calla %s Three" % tok, "Acme", "202.555.0183", ""]]
    out = {}
    for name, rs in (("live", rows), ("gone", [["Gone %s" % tok, "X", "+1 202 555 0184", ""]])):
        body = csvgen.rows_to_csv(["name", "company", "phone", "title"], rs)
        r = requests.post(server.url("/api/v1/contacts/import"), data=body,
                          params={"list_name": "Calls %s %s" % (name, tok)},
                          headers={"X-API-Key": server.api_key, "Content-Type": "text/csv"},
                          timeout=60)
        assert r.status_code == 200, r.text
        lid = r.json()["list_id"]
        r = server.api("GET", "/api/v1/contacts", params={"list_id": lid, "per_page": 50})
        assert r.status_code == 200, r.text
        out[name] = {"list_id": lid, "items": sorted(r.json()["items"], key=lambda c: c["id"])}
    r = server.api("DELETE", "/api/v1/lists/%d" % out["gone"]["list_id"])
    assert r.status_code in (200, 204), r.text
    return out


# --- creating ------------------------------------------------------------

@pytest.mark.parametrize("phone", ["(202) 555-0101", "+12025550101", "202-555-0101"])
def test_create_with_phone(server, phone):
    s, user = new_op(server)
    before = int(time.time())
    body = create(server, s, {"to_phone": phone})
    assert set(body) == {"call", "token"}
    c, t = body["call"], body["token"]
    # A new call also says how its caller id was chosen.
    assert set(c) == CALL_KEYS | {"caller_id_match"}
    assert c["caller_id_match"] == "none"
    assert c["status"] == "initiated"
    assert c["to_phone"] == "+12025550101"
    assert c["provider"] == "sim" and c["operator_id"] == user["id"]
    assert c["contact_id"] is None and c["outcome"] is None and c["duration_s"] is None
    assert re.fullmatch(ISO, c["created_at"]) and re.fullmatch(ISO, c["dialed_at"])
    assert c["answered_at"] is None and c["ended_at"] is None
    assert c["call_sid"] and c["call_sid"].startswith("SIM")
    assert re.fullmatch(r"cd-[0-9a-f]{24}", c["conference_name"])
    assert "5550101" not in c["conference_name"] and "2025550101" not in c["conference_name"]
    assert set(t) == TOKEN_KEYS
    assert t["provider"] == "sim" and t["conference_name"] == c["conference_name"]
    assert t["simulated"] is True
    assert t["identity"] == "op_%d" % user["id"]
    assert t["token"].startswith("sim.") and len(t["token"]) > 20
    assert before + 3000 <= t["expires_at"] <= int(time.time()) + 3700
    with server.db() as db:
        row = db.execute("SELECT operator_id, to_phone, status, provider FROM calls WHERE id = ?",
                         (c["id"],)).fetchone()
    assert row == (user["id"], "+12025550101", "initiated", "sim")
    end(server, s, c["id"])


def test_conference_names_are_unique(server):
    names = set()
    for _ in range(3):
        s, _u = new_op(server)
        c = create(server, s, {"to_phone": "+12025550102"})["call"]
        names.add(c["conference_name"])
        end(server, s, c["id"])
    assert len(names) == 3


def test_create_with_contact(server, contacts):
    s, _u = new_op(server)
    ct = contacts["live"]["items"][1]
    c = create(server, s, {"contact_id": ct["id"]})["call"]
    assert c["contact_id"] == ct["id"] and c["to_phone"] == "+12025550182"
    assert server.db_scalar("SELECT contact_id FROM calls WHERE id = ?", c["id"]) == ct["id"]
    end(server, s, c["id"])


def test_unknown_or_archived_contact(server, contacts):
    s, user = new_op(server)
    assert_error(post(server, s, CALLS, {"contact_id": 999999999}), 404, "contact_not_found")
    gone = contacts["gone"]["items"][0]["id"]
    assert_error(post(server, s, CALLS, {"contact_id": gone}), 404, "contact_not_found")
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE operator_id = ?", user["id"]) == 0


@pytest.mark.parametrize("body", [{}, {"contact_id": 1, "to_phone": "+12025550103"},
                                  {"provider": "sim"}])
def test_exactly_one_target(server, body):
    s, user = new_op(server)
    assert_error(post(server, s, CALLS, body), 422)
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE operator_id = ?", user["id"]) == 0


@pytest.mark.parametrize("phone", ["12", "not a phone", "+1 202 555 01234567890", ""])
def test_invalid_phone(server, phone):
    s, user = new_op(server)
    err = assert_error(post(server, s, CALLS, {"to_phone": phone}), 422)
    if phone:
        assert err["code"] == "invalid_phone"
        assert err["details"]["field"] == "to_phone"
        assert isinstance(err["details"]["reason"], str) and err["details"]["reason"]
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE operator_id = ?", user["id"]) == 0


@pytest.mark.parametrize("body", [{"to_phone": 2025550104}, {"contact_id": "x"},
                                  {"contact_id": 0}, {"to_phone": "+12025550104", "provider": 5}])
def test_wrong_types_are_422(server, body):
    s, _u = new_op(server)
    assert_error(post(server, s, CALLS, body), 422)


def test_bad_json_and_media_type(server):
    s, user = new_op(server)
    r = s.post(server.url(CALLS), data="{\"to_phone\":", timeout=60,
               headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_json")
    r = s.post(server.url(CALLS), data="to_phone=%2B12025550105", timeout=60,
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 415, "unsupported_media_type")
    r = s.post(server.url(CALLS), data="[1,2]", timeout=60,
               headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE operator_id = ?", user["id"]) == 0


def test_providers(server):
    s, user = new_op(server)
    err = assert_error(post(server, s, CALLS, {"to_phone": "+12025550106", "provider": "telnyx"}),
                       503, "provider_not_configured")
    assert "TELNYX_API_KEY" in err["message"]
    assert_error(post(server, s, CALLS, {"to_phone": "+12025550106", "provider": "nope"}),
                 400, "unsupported_provider")
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE operator_id = ?", user["id"]) == 0
    c = create(server, s, {"to_phone": "+12025550106", "provider": "sim"})["call"]
    assert c["provider"] == "sim"
    end(server, s, c["id"])


# --- limits and idempotency ------------------------------------------------

def test_one_active_call(server):
    s, user = new_op(server)
    first = create(server, s, {"to_phone": "+12025550107"})["call"]
    r = post(server, s, CALLS, {"to_phone": "+12025550108"})
    assert_error(r, 429, "active_calls")
    assert int(r.headers["Retry-After"]) > 0
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE operator_id = ?", user["id"]) == 1
    end(server, s, first["id"])
    second = create(server, s, {"to_phone": "+12025550108"})["call"]
    assert second["id"] > first["id"]
    end(server, s, second["id"])


def test_a_finished_call_frees_the_slot_without_end(server):
    s, _u = new_op(server)
    first = create(server, s, {"to_phone": "+12025550109"})["call"]
    backdate(server, first["id"], 40)
    c = create(server, s, {"to_phone": "+12025550109"})["call"]
    assert get_call(server, s, first["id"])["status"] == "completed"
    end(server, s, c["id"])


def test_parallel_creates_make_one_call(server):
    s, user = new_op(server)
    results = []
    lock = threading.Lock()
    cookies = s.cookies.get_dict()
    csrf = s.headers["X-CSRF-Token"]

    def one():
        r = requests.post(server.url(CALLS), json={"to_phone": "+12025550110"}, cookies=cookies,
                          headers={"X-CSRF-Token": csrf}, timeout=60)
        with lock:
            results.append(r)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 1 and codes.count(429) == 19, codes
    for r in results:
        if r.status_code == 429:
            assert r.json()["error"]["code"] == "active_calls"
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE operator_id = ?", user["id"]) == 1
    cid = [r for r in results if r.status_code == 201][0].json()["call"]["id"]
    end(server, s, cid)


def test_idempotency_key(server):
    s, user = new_op(server)
    key = "idem-" + secrets.token_hex(8)
    r1 = post(server, s, CALLS, {"to_phone": "+12025550111"}, headers={"Idempotency-Key": key})
    assert r1.status_code == 201, r1.text
    r2 = post(server, s, CALLS, {"to_phone": "+12025550111"}, headers={"Idempotency-Key": key})
    assert r2.status_code == 200, r2.text
    assert r2.json()["call"]["id"] == r1.json()["call"]["id"]
    assert r2.json()["token"]["conference_name"] == r1.json()["call"]["conference_name"]
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE operator_id = ?", user["id"]) == 1
    assert_error(post(server, s, CALLS, {"to_phone": "+12025550111"},
                      headers={"Idempotency-Key": "x" * 256}), 400, "invalid_idempotency_key")
    end(server, s, r1.json()["call"]["id"])


def test_idempotency_key_is_per_operator(server):
    a, ua = new_op(server)
    b, ub = new_op(server)
    key = "shared-" + secrets.token_hex(6)
    ca = create(server, a, {"to_phone": "+12025550112"}, headers={"Idempotency-Key": key})["call"]
    cb = create(server, b, {"to_phone": "+12025550112"}, headers={"Idempotency-Key": key})["call"]
    assert ca["id"] != cb["id"] and cb["operator_id"] == ub["id"]
    end(server, a, ca["id"])
    end(server, b, cb["id"])


# --- the simulated walk ------------------------------------------------------

def test_sim_walk(server):
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550113"})["call"]
    assert c["status"] == "initiated"
    backdate(server, c["id"], 2)
    c = get_call(server, s, c["id"])
    assert c["status"] == "ringing" and c["answered_at"] is None
    backdate(server, c["id"], 5)
    c = get_call(server, s, c["id"])
    assert c["status"] == "in-progress" and re.fullmatch(ISO, c["answered_at"])
    assert c["ended_at"] is None and c["duration_s"] is None
    backdate(server, c["id"], 40)
    c = get_call(server, s, c["id"])
    assert c["status"] == "completed" and c["duration_s"] == 30
    assert re.fullmatch(ISO, c["ended_at"])
    assert server.db_scalar("SELECT status FROM calls WHERE id = ?", c["id"]) == "completed"
    # A late state never goes back.
    backdate(server, c["id"], 2)
    c = get_call(server, s, c["id"])
    assert c["status"] == "completed" and c["duration_s"] == 30


def test_sim_walk_in_real_time(server):
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550114"})["call"]
    time.sleep(2.1)
    assert get_call(server, s, c["id"])["status"] == "ringing"
    backdate(server, c["id"], 5)
    assert get_call(server, s, c["id"])["status"] == "in-progress"
    backdate(server, c["id"], 2)  # a "ringing" clock now: must not go back
    assert get_call(server, s, c["id"])["status"] == "in-progress"
    end(server, s, c["id"])


# --- mute, hold, end -------------------------------------------------------------

def test_mute_hold(server):
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550115"})["call"]
    base = "%s/%d" % (CALLS, c["id"])
    for part in ("contact", "operator"):
        r = post(server, s, base + "/mute", {"participant": part, "muted": True})
        assert r.status_code == 200, r.text
        assert r.json()["call"]["id"] == c["id"] and set(r.json()["call"]) == CALL_KEYS
    r = post(server, s, base + "/hold", {"hold": True})
    assert r.status_code == 200 and r.json()["call"]["id"] == c["id"]
    # The controls' state is the call's, for a reloaded page.
    got = s.get(server.url(base), timeout=60).json()["call"]
    assert got["operator_muted"] is True and got["contact_muted"] is True and got["on_hold"] is True
    r = post(server, s, base + "/hold", {"hold": False})
    assert r.status_code == 200 and r.json()["call"]["on_hold"] is False
    r = post(server, s, base + "/mute", {"participant": "operator", "muted": False})
    assert r.json()["call"]["operator_muted"] is False and r.json()["call"]["contact_muted"] is True
    for bad in ({}, {"participant": "contact"}, {"participant": "boss", "muted": True},
                {"participant": "contact", "muted": "yes"}):
        assert_error(post(server, s, base + "/mute", bad), 422)
    for bad in ({}, {"hold": 1}, {"hold": "true"}):
        assert_error(post(server, s, base + "/hold", bad), 422)
    assert_error(s.post(server.url(base + "/hold"), data="{", timeout=60,
                        headers={"Content-Type": "application/json"}), 400, "invalid_json")
    end(server, s, c["id"])
    assert_error(post(server, s, base + "/mute", {"participant": "contact", "muted": True}),
                 409, "call_ended")
    assert_error(post(server, s, base + "/hold", {"hold": True}), 409, "call_ended")
    assert_error(post(server, s, base + "/end"), 409, "call_ended")


def test_end_before_answer_is_canceled(server):
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550116"})["call"]
    e = end(server, s, c["id"])
    assert e["status"] == "canceled" and re.fullmatch(ISO, e["ended_at"])
    assert e["answered_at"] is None
    assert server.db_scalar("SELECT status FROM calls WHERE id = ?", c["id"]) == "canceled"


def test_end_while_ringing_is_canceled(server):
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550117"})["call"]
    backdate(server, c["id"], 2)
    assert end(server, s, c["id"])["status"] == "canceled"


def test_end_after_answer_is_completed(server):
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550118"})["call"]
    backdate(server, c["id"], 10)
    assert get_call(server, s, c["id"])["status"] == "in-progress"
    e = end(server, s, c["id"])
    assert e["status"] == "completed" and e["ended_at"] and e["answered_at"]
    assert server.db_scalar("SELECT status FROM calls WHERE id = ?", c["id"]) == "completed"


def test_end_answered_call_not_read_since(server):
    """Ended without a read in between: the answer is settled first."""
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550119"})["call"]
    backdate(server, c["id"], 10)
    assert end(server, s, c["id"])["status"] == "completed"


# --- log ------------------------------------------------------------------------

def test_log_bare_call(server):
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550120"})["call"]
    base = "%s/%d" % (CALLS, c["id"])
    r = post(server, s, base + "/log", {"outcome": "follow_up", "notes": "Call back Tuesday."})
    assert r.status_code == 200, r.text
    lc = r.json()["call"]
    assert lc["outcome"] == "follow_up" and lc["notes"] == "Call back Tuesday."
    assert lc["status"] == "initiated"
    r = post(server, s, base + "/log", {"outcome": "voicemail"})
    assert r.status_code == 200
    assert r.json()["call"]["outcome"] == "voicemail"
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE id = ?", c["id"]) == 1
    assert server.db_scalar("SELECT outcome FROM calls WHERE id = ?", c["id"]) == "voicemail"
    end(server, s, c["id"])


def test_log_updates_contact(server, contacts):
    s, _u = new_op(server)
    ct = contacts["live"]["items"][0]
    c = create(server, s, {"contact_id": ct["id"]})["call"]
    backdate(server, c["id"], 10)
    assert end(server, s, c["id"])["status"] == "completed"
    base = "%s/%d" % (CALLS, c["id"])
    r = post(server, s, base + "/log", {"outcome": "connected", "notes": "First."})
    assert r.status_code == 200
    r = post(server, s, base + "/log", {"outcome": "follow_up", "notes": "Second."})
    assert r.status_code == 200
    got = r.json()["call"]
    assert got["status"] == "completed" and got["outcome"] == "follow_up"
    assert got["notes"] == "Second."
    with server.db() as db:
        assert db.execute("SELECT COUNT(*), outcome, notes FROM calls WHERE id = ?",
                          (c["id"],)).fetchone() == (1, "follow_up", "Second.")
    r = server.api("GET", "/api/v1/contacts",
                   params={"list_id": contacts["live"]["list_id"], "per_page": 50})
    item = [i for i in r.json()["items"] if i["id"] == ct["id"]][0]
    assert item["status"] == "called" and item["last_outcome"] == "follow_up"
    assert item["last_called_at"] and item["last_called_at"].startswith(got["dialed_at"][:10])
    others = [i for i in r.json()["items"] if i["id"] != ct["id"]]
    assert all(i["status"] == "not_called" for i in others if i["id"] != contacts["live"]["items"][1]["id"])


def test_log_validation(server):
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550121"})["call"]
    base = "%s/%d/log" % (CALLS, c["id"])
    for bad in ({}, {"outcome": "great"}, {"outcome": "connected", "notes": 5},
                {"outcome": "connected", "notes": "n" * 4001}):
        assert_error(post(server, s, base, bad), 422)
    r = post(server, s, base, {"outcome": "busy", "notes": "é" * 4000})
    assert r.status_code == 200, r.text
    assert r.json()["call"]["notes"] == "é" * 4000
    assert_error(s.post(server.url(base), data="nope", timeout=60,
                        headers={"Content-Type": "application/json"}), 400, "invalid_json")
    end(server, s, c["id"])


# --- tokens -------------------------------------------------------------------------

def test_token_needs_no_body(server):
    """README: POST /api/v1/calls/{id}/token takes no body (like /end)."""
    s, _u = new_op(server)
    c = create(server, s, {"to_phone": "+12025550131"})["call"]
    try:
        r = post(server, s, "%s/%d/token" % (CALLS, c["id"]))
        assert r.status_code == 200, r.text
        assert set(r.json()) == TOKEN_KEYS
    finally:
        end(server, s, c["id"])


def test_fresh_token(server):
    s, user = new_op(server)
    body = create(server, s, {"to_phone": "+12025550122"})
    r = post(server, s, "%s/%d/token" % (CALLS, body["call"]["id"]), {})
    assert r.status_code == 200, r.text
    t = r.json()
    assert set(t) == TOKEN_KEYS
    assert t["token"] != body["token"]["token"] and t["token"].startswith("sim.")
    assert t["conference_name"] == body["call"]["conference_name"]
    assert t["identity"] == "op_%d" % user["id"] and t["provider"] == "sim"
    assert t["expires_at"] > time.time() + 3000
    end(server, s, body["call"]["id"])


# --- listing ---------------------------------------------------------------------------

def test_list_own_calls(server, contacts):
    a, ua = new_op(server)
    b, ub = new_op(server)
    ids = []
    ct = contacts["live"]["items"][2]
    for i, target in enumerate([{"to_phone": "+12025550123"}, {"contact_id": ct["id"]},
                                {"to_phone": "+12025550124"}]):
        ids.append(create(server, a, target)["call"]["id"])
        end(server, a, ids[-1])
    cb = create(server, b, {"to_phone": "+12025550125"})["call"]
    end(server, b, cb["id"])

    r = a.get(server.url(CALLS), timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert body["total"] == 3 and [c["id"] for c in body["items"]] == ids[::-1]
    assert all(set(c) == CALL_KEYS for c in body["items"])
    # paging
    r = a.get(server.url(CALLS), params={"per_page": 2, "page": 2}, timeout=60)
    assert r.json()["total"] == 3 and [c["id"] for c in r.json()["items"]] == [ids[0]]
    assert (r.json()["page"], r.json()["per_page"]) == (2, 2)
    # contact filter
    r = a.get(server.url(CALLS), params={"contact_id": ct["id"]}, timeout=60)
    assert [c["id"] for c in r.json()["items"]] == [ids[1]]
    # another's user_id: still only their own
    r = a.get(server.url(CALLS), params={"user_id": ub["id"]}, timeout=60)
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["items"]] == ids[::-1]
    r = b.get(server.url(CALLS), timeout=60)
    assert [c["id"] for c in r.json()["items"]] == [cb["id"]]


def test_admin_and_api_key_see_all(server, admin):
    a, ua = new_op(server)
    b, ub = new_op(server)
    ca = create(server, a, {"to_phone": "+12025550126"})["call"]
    cb = create(server, b, {"to_phone": "+12025550127"})["call"]
    for get in (lambda **p: admin.get(server.url(CALLS), params=p, timeout=60),
                lambda **p: server.api("GET", CALLS, params=p)):
        r = get(per_page=200)
        assert r.status_code == 200
        got = {c["id"] for c in r.json()["items"]}
        assert {ca["id"], cb["id"]} <= got
        assert r.json()["total"] == server.db_scalar("SELECT COUNT(*) FROM calls")
        r = get(user_id=ua["id"])
        assert [c["id"] for c in r.json()["items"]] == [ca["id"]]
        r = get(user_id=ub["id"])
        assert [c["id"] for c in r.json()["items"]] == [cb["id"]]
    r = admin.get(server.url("%s/%d" % (CALLS, ca["id"])), timeout=60)
    assert r.status_code == 200 and r.json()["call"]["id"] == ca["id"]
    r = server.api("GET", "%s/%d" % (CALLS, cb["id"]))
    assert r.status_code == 200 and r.json()["call"]["operator_id"] == ub["id"]
    end(server, a, ca["id"])
    end(server, b, cb["id"])


@pytest.mark.parametrize("params", [{"page": "0"}, {"per_page": "201"}, {"user_id": "x"},
                                    {"contact_id": "-1"}])
def test_list_bad_params(server, params):
    assert_error(server.api("GET", CALLS, params=params), 400, "invalid_parameter")


# --- authorization -----------------------------------------------------------------------

def test_other_operator_gets_404(server):
    a, _ua = new_op(server)
    b, _ub = new_op(server)
    c = create(server, a, {"to_phone": "+12025550128"})["call"]
    base = "%s/%d" % (CALLS, c["id"])
    assert_error(b.get(server.url(base), timeout=60), 404, "call_not_found")
    for action, body in (("token", None), ("mute", {"participant": "contact", "muted": True}),
                         ("hold", {"hold": True}), ("end", None),
                         ("log", {"outcome": "busy", "notes": "x"})):
        assert_error(post(server, b, base + "/" + action, body), 404, "call_not_found")
    with server.db() as db:
        row = db.execute("SELECT status, outcome FROM calls WHERE id = ?", (c["id"],)).fetchone()
    assert row == ("initiated", None)
    assert_error(b.get(server.url(CALLS + "/999999999"), timeout=60), 404, "call_not_found")
    end(server, a, c["id"])


def test_unauthenticated(server):
    assert_error(requests.get(server.url(CALLS), timeout=60), 401, "unauthenticated")
    assert_error(requests.post(server.url(CALLS), json={"to_phone": "+12025550129"},
                               timeout=60), 401, "unauthenticated")
    assert_error(requests.get(server.url(CALLS + "/1"), timeout=60), 401, "unauthenticated")
    assert_error(requests.post(server.url(CALLS + "/1/end"), timeout=60), 401)


def test_csrf(server):
    s, user = new_op(server)
    del s.headers["X-CSRF-Token"]
    assert_error(post(server, s, CALLS, {"to_phone": "+12025550130"}), 403, "csrf")
    assert server.db_scalar("SELECT COUNT(*) FROM calls WHERE operator_id = ?", user["id"]) == 0
    assert s.get(server.url(CALLS), timeout=60).status_code == 200


# --- routing -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/calls/1/nope", "/api/v1/calls/abc",
                                  "/api/v1/calls/0", "/api/v1/calls/1/", "/api/v1/calls/1x",
                                  "/api/v1/calls/1/end/more"])
def test_unknown_subpaths(server, path):
    assert_error(server.api("GET", path), 404, "not_found")
    assert_error(server.api("POST", path, json={}), 404, "not_found")


@pytest.mark.parametrize("method,path,allow", [
    ("DELETE", "/api/v1/calls", "GET, POST"),
    ("PUT", "/api/v1/calls", "GET, POST"),
    ("POST", "/api/v1/calls/1", "GET"),
    ("DELETE", "/api/v1/calls/1", "GET"),
    ("GET", "/api/v1/calls/1/end", "POST"),
    ("GET", "/api/v1/calls/1/log", "POST"),
    ("PUT", "/api/v1/calls/1/mute", "POST"),
])
def test_wrong_methods(server, method, path, allow):
    r = server.api(method, path)
    assert_error(r, 405)
    assert r.headers.get("Allow") == allow
