"""Concurrency through the real server and the real SQLite file: many
clients at once, each request on its own connection, released together.

  * 50 simultaneous dials by one operator, with one Idempotency-Key and
    with 50: exactly the allowed calls exist and reach the (fake) provider,
    the rest are replays or 429 active_calls; never a 5xx.
  * 500 signed Twilio webhooks for 100 calls, each call's lifecycle
    shuffled with the others': every event is kept and applied.
  * 20 operators dialing and logging outcomes while a 100,000-row import
    holds the write lock: no error, no lost write, the whole import.

The other files race one thing at a time (test_calls.py: 20 creates with the
default limit; test_twilio_flow.py: one join delivered 20 times); these
race a limit above one, both endpoints that dial, and writers of different
kinds against each other.
"""
import concurrent.futures
import os
import random
import secrets
import sys
import threading
import time

import pytest
import requests

import csvgen
from conftest import ROOT, assert_error
from test_twilio_flow import call_status, conference_event, join
from test_twilio_rest import fake, TO, ours, twilio_env  # noqa: F401 -- the module's fake Twilio

sys.path.insert(0, os.path.join(ROOT, "bench"))
import gen_contacts  # noqa: E402 -- the fictional number ranges

ALLOWED = 3  # DIALER_MAX_ACTIVE_CALLS_PER_USER for the dial races
RACERS = 50
CALLS = "/api/v1/calls"
INITIATE = "/aicallgo/api/v1/cold-call/initiate"


def race(fn, args):
    """fn(arg) for every arg, each in its own thread, all released at once;
    the results in the order of args."""
    gate = threading.Barrier(len(args))

    def one(arg):
        gate.wait(timeout=30)
        return fn(arg)

    with concurrent.futures.ThreadPoolExecutor(len(args)) as ex:
        return list(ex.map(one, args))


def pool_map(fn, args, workers=16):
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, args))


def no_5xx(responses):
    bad = [(r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    assert bad == [], bad


@pytest.fixture(scope="module")
def tw(fake):
    from conftest import Server
    env = twilio_env(fake.url)
    env.update({"DIALER_MAX_ACTIVE_CALLS_PER_USER": str(ALLOWED),
                "DIALER_MAX_CALLS_PER_MINUTE": "100000"})
    srv = Server(env).start()
    yield srv
    srv.cleanup()


@pytest.fixture
def racer(tw, fake):
    """A fresh operator: (cookies, CSRF token, user), and a clean fake."""
    requests.post(fake.url + "/_fake/reset", timeout=10)
    user, password = tw.create_user()
    s = tw.login(user["username"], password)
    return s.cookies.get_dict(), s.headers["X-CSRF-Token"], user


def dial_all(srv, racer, path, keys):
    """POST path from RACERS threads at once, one Idempotency-Key each."""
    cookies, csrf, _user = racer

    def one(key):
        return requests.post(srv.url(path), json={"to_phone": TO}, cookies=cookies,
                             headers={"X-CSRF-Token": csrf, "Idempotency-Key": key},
                             timeout=60)
    res = race(one, keys)
    no_5xx(res)
    return res


def operator_joins(fake, srv, user, calls):
    """The browser of every call enters its room the way Twilio reports it
    (voice URL, conference-start, participant-join), all calls at once."""
    identity = "op_%d" % user["id"]

    return race(lambda i: join(fake, srv, calls[i], identity, "CA%032x" % (0xc0c0 + i)),
                list(range(len(calls))))


def calls_of(srv, user):
    with srv.db() as db:
        return db.execute("SELECT COUNT(*) FROM calls WHERE operator_id = ?",
                          (user["id"],)).fetchone()[0]


def test_fifty_dials_with_one_key_make_one_call(tw, fake, racer):
    key = "race-" + secrets.token_hex(8)
    res = dial_all(tw, racer, CALLS, [key] * RACERS)
    codes = sorted(r.status_code for r in res)
    assert codes == [200] * (RACERS - 1) + [201], codes
    ids = {r.json()["call"]["id"] for r in res}
    names = {r.json()["token"]["conference_name"] for r in res}
    assert len(ids) == 1 and len(names) == 1, (ids, names)
    assert calls_of(tw, racer[2]) == 1
    # Operator first: nothing reaches Twilio before the browser is in the room.
    assert requests.get(fake.url + "/_fake/requests", timeout=10).json() == []
    cf = operator_joins(fake, tw, racer[2], [res[0].json()["call"]])
    (dial,) = ours(fake, "POST", "/Participants.json")
    assert dial["path"].endswith("/Conferences/%s/Participants.json" % cf[0])


def test_fifty_dials_with_fifty_keys_make_the_allowed_calls(tw, fake, racer):
    keys = ["race-%d-%s" % (i, secrets.token_hex(4)) for i in range(RACERS)]
    res = dial_all(tw, racer, CALLS, keys)
    made = [r for r in res if r.status_code == 201]
    assert len(made) == ALLOWED, sorted(r.status_code for r in res)
    for r in res:
        if r.status_code != 201:
            assert_error(r, 429, "active_calls")
            assert int(r.headers["Retry-After"]) > 0
    calls = [r.json()["call"] for r in made]
    assert len({c["id"] for c in calls}) == ALLOWED
    assert len({c["conference_name"] for c in calls}) == ALLOWED
    assert calls_of(tw, racer[2]) == ALLOWED
    # At the limit, a winner's key still answers with its call; a loser's
    # key made nothing, so it is refused again rather than replayed.
    cookies, csrf, _ = racer
    won = {r.json()["call"]["id"]: keys[i] for i, r in enumerate(res) if r.status_code == 201}
    lost = [keys[i] for i, r in enumerate(res) if r.status_code == 429]
    for cid, key in won.items():
        r = requests.post(tw.url(CALLS), json={"to_phone": TO}, cookies=cookies,
                          headers={"X-CSRF-Token": csrf, "Idempotency-Key": key}, timeout=60)
        assert r.status_code == 200 and r.json()["call"]["id"] == cid, r.text
    r = requests.post(tw.url(CALLS), json={"to_phone": TO}, cookies=cookies,
                      headers={"X-CSRF-Token": csrf, "Idempotency-Key": lost[0]}, timeout=60)
    assert_error(r, 429, "active_calls")
    assert requests.get(fake.url + "/_fake/requests", timeout=10).json() == []
    cfs = operator_joins(fake, tw, racer[2], calls)
    dials = ours(fake, "POST", "/Participants.json")
    assert sorted(q["path"].split("/")[-2] for q in dials) == sorted(cfs)


@pytest.mark.parametrize("same_key", [True, False], ids=["one_key", "fifty_keys"])
def test_fifty_seed_initiates_dial_the_allowed_number(tw, fake, racer, same_key):
    """The seed's initiate rings the prospect inside the request: the
    dials counted at the fake are the calls made."""
    keys = (["init-" + secrets.token_hex(8)] * RACERS if same_key else
            ["init-%d-%s" % (i, secrets.token_hex(4)) for i in range(RACERS)])
    res = dial_all(tw, racer, INITIATE, keys)
    want = 1 if same_key else ALLOWED
    ok = [r for r in res if r.status_code == 200]
    if same_key:
        assert len(ok) == RACERS, sorted(r.status_code for r in res)
    else:
        assert len(ok) == ALLOWED, sorted(r.status_code for r in res)
        for r in res:
            if r.status_code != 200:
                assert_error(r, 429, "active_calls")
    assert len({r.json()["call_id"] for r in ok}) == want
    dials = ours(fake, "POST", "/Calls.json")
    assert len(dials) == want, [q["params"].get("To") for q in dials]
    assert calls_of(tw, racer[2]) == want
    # Each call's own leg: every dial answer was kept on its call.
    with tw.db() as db:
        sids = {row[0] for row in db.execute(
            "SELECT call_sid FROM calls WHERE operator_id = ?", (racer[2]["id"],))}
    state = requests.get(fake.url + "/_fake/state", timeout=10).json()
    assert sids == {c["sid"] for c in state["calls"]}, (sids, state["calls"])


# --- webhooks ----------------------------------------------------------------

HOOK_CALLS = 100
LIFECYCLE = ("initiated", "ringing", "in-progress", "completed")


def test_five_hundred_webhooks_for_a_hundred_calls(fake, server_factory):
    requests.post(fake.url + "/_fake/reset", timeout=10)
    env = twilio_env(fake.url)
    env.update({"DIALER_MAX_ACTIVE_CALLS": "10000", "DIALER_MAX_CALLS_PER_MINUTE": "100000"})
    srv = server_factory(env)

    # 100 calls, each dialed the real way (room, operator's join, dial).
    def make(i):
        r = srv.api("POST", CALLS, json={"to_phone": "+1202555%04d" % (100 + i)})
        assert r.status_code == 201, r.text
        call = r.json()["call"]
        cf = join(fake, srv, call, "api", "CA%032x" % (0xa000 + i))
        return call["id"], cf, call["conference_name"]
    made = pool_map(make, list(range(HOOK_CALLS)))
    with srv.db() as db:
        prospect = dict(db.execute("SELECT id, call_sid FROM calls WHERE status = 'initiated'"))
    assert len(prospect) == HOOK_CALLS and all(prospect.values()), prospect

    # Each call's whole life after the dial, five events, all 500 shuffled:
    # a call often hears it completed before it rang.
    events = []
    for i, (cid, cf, name) in enumerate(made):
        for word in LIFECYCLE:
            extra = {"CallDuration": str(30 + i)} if word == "completed" else {}
            events.append(("call", cid, prospect[cid], word, extra))
        events.append(("conference", cid, cf, name, {}))
    random.Random(7).shuffle(events)
    assert len(events) == 500

    def deliver(ev):
        kind, cid, sid, what, extra = ev
        if kind == "call":
            return call_status(fake, srv, cid, sid, what, **extra)
        return conference_event(fake, srv, sid, what, "conference-end", seq=9)
    t0 = time.monotonic()
    res = pool_map(deliver, events, workers=32)
    took = time.monotonic() - t0
    statuses = sorted({r["status"] for r in res})
    assert statuses == [204], ([(ev, r) for ev, r in zip(events, res) if r["status"] != 204][:5],
                               took)

    ids = [cid for cid, _, _ in made]
    with srv.db() as db:
        rows = db.execute(
            "SELECT call_id, event_type, COUNT(*) FROM call_events WHERE call_id IN (%s) "
            "GROUP BY call_id, event_type" % ",".join("?" * len(ids)), ids).fetchall()
        calls = {r[0]: r[1:] for r in db.execute(
            "SELECT id, status, duration_s, ended_at, failure_reason FROM calls "
            "WHERE id IN (%s)" % ",".join("?" * len(ids)), ids)}
        stray = db.execute("SELECT COUNT(*) FROM call_events WHERE call_id IS NULL").fetchone()[0]
    kept = {(cid, t): n for cid, t, n in rows}
    for i, cid in enumerate(ids):
        for t in ["call-" + w for w in LIFECYCLE] + ["conference-end"]:
            assert kept.get((cid, t)) == 1, (cid, t, kept.get((cid, t)))
        status, duration, ended, reason = calls[cid]
        assert (status, duration, reason) == ("completed", 30 + i, None), (cid, calls[cid])
        assert ended
    assert stray == 0
    assert sum(n for (_, t), n in kept.items()
               if t.startswith("call-") or t == "conference-end") == 500
    # The dial of each call went out once, and nothing else was asked of Twilio.
    assert len(ours(fake, "POST", "/Participants.json")) == HOOK_CALLS
    assert len(requests.get(fake.url + "/_fake/requests", timeout=10).json()) == HOOK_CALLS


# --- outcomes logged during a large import ------------------------------------

LOGGERS = 20
PER_LOGGER = 5  # contacts each operator works in turn
IMPORT_ROWS = 100_000
OUTCOMES = ["connected", "voicemail", "no_answer", "busy", "not_interested", "follow_up"]


def distinct_numbers(n):
    """n E.164 numbers from the fictional ranges, NANP first, then
    Australia's (together 108,500)."""
    out = ["+1%s555%s" % (a, b) for _k, a, b in gen_contacts.nanp_pool()]
    out += ["+61" + (a + b).replace(" ", "")
            for _k, a, b in gen_contacts.intl_pool("AU", gen_contacts.AU_RANGES)]
    assert len(out) >= n
    return out[:n]


def test_outcomes_logged_during_a_large_import(server_factory):
    srv = server_factory({"DIALER_MAX_CALLS_PER_MINUTE": "100000"})
    numbers = distinct_numbers(IMPORT_ROWS + LOGGERS * PER_LOGGER)
    work, big = numbers[:LOGGERS * PER_LOGGER], numbers[LOGGERS * PER_LOGGER:]

    # The operators' own small list, and the operators.
    body = csvgen.rows_to_csv(["name", "company", "phone"],
                              [["Worked %d" % i, "Co %d" % i, p] for i, p in enumerate(work)])
    r = srv.api("POST", "/api/v1/contacts/import", data=body, params={"list_name": "worked"},
                headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["imported"] == len(work), r.text
    with srv.db() as db:
        contact_ids = [row[0] for row in db.execute(
            "SELECT id FROM contacts WHERE list_id = ? ORDER BY id", (r.json()["list_id"],))]

    def new_operator(_i):
        user, password = srv.create_user()
        s = srv.login(user["username"], password)
        return s.cookies.get_dict(), s.headers["X-CSRF-Token"]
    ops = pool_map(new_operator, list(range(LOGGERS)), workers=8)

    big_csv = csvgen.rows_to_csv(["name", "company", "phone"],
                                 [["Bulk %d" % i, "Bulk Co %d" % (i % 997), p]
                                  for i, p in enumerate(big)])
    importing = threading.Event()
    imported = threading.Event()
    result = {}

    def run_import():
        importing.set()
        result["t0"] = time.monotonic()
        result["r"] = srv.api("POST", "/api/v1/contacts/import", data=big_csv,
                              params={"list_name": "bulk"},
                              headers={"Content-Type": "text/csv"}, timeout=120)
        result["t1"] = time.monotonic()
        imported.set()

    def operate(k):
        """Dial, end and log this operator's contacts in turn until the
        import has answered (three rounds at least): (logged, the first
        refusal or None)."""
        cookies, csrf = ops[k]
        mine = contact_ids[k * PER_LOGGER:(k + 1) * PER_LOGGER]

        def post(path, body):
            return requests.post(srv.url(path), json=body, cookies=cookies,
                                 headers={"X-CSRF-Token": csrf}, timeout=120)
        done = []
        importing.wait(30)
        i = 0
        while not imported.is_set() or i < 3:
            contact = mine[i % PER_LOGGER]
            outcome = OUTCOMES[(k + i) % len(OUTCOMES)]
            notes = "op %d round %d %s" % (k, i, secrets.token_hex(4))
            t = time.monotonic()
            r = post(CALLS, {"contact_id": contact})
            if r.status_code != 201:
                return done, ("create", r.status_code, r.text[:300])
            cid = r.json()["call"]["id"]
            for action, body in (("end", None), ("log", {"outcome": outcome, "notes": notes})):
                r = post("%s/%d/%s" % (CALLS, cid, action), body)
                if r.status_code != 200:
                    return done, (action, r.status_code, r.text[:300])
            done.append((cid, contact, outcome, notes, t))
            i += 1
        return done, None

    importer = threading.Thread(target=run_import)
    importer.start()
    out = pool_map(operate, list(range(LOGGERS)), workers=LOGGERS)
    importer.join(120)
    refused = [e for _, e in out if e is not None]
    assert refused == [], refused[:5]

    r = result["r"]
    assert r.status_code == 200, r.text[:500]
    rep = r.json()
    assert (rep["imported"], rep["error_count"]) == (IMPORT_ROWS, 0), rep
    logged = [d for done, _ in out for d in done]
    during = [d for d in logged if result["t0"] <= d[4] < result["t1"]]
    # Every operator had writes waiting on the import's transaction.
    assert len({d[3].split(" round")[0] for d in during}) == LOGGERS, (len(during), len(logged))

    with srv.db() as db:
        assert db.execute("SELECT COUNT(*) FROM contacts WHERE list_id = ?",
                          (rep["list_id"],)).fetchone()[0] == IMPORT_ROWS
        got = {row[0]: row[1:] for row in db.execute(
            "SELECT id, outcome, notes, status FROM calls")}
        contacts = {row[0]: row[1:] for row in db.execute(
            "SELECT id, attempts, last_outcome FROM contacts WHERE id IN (%s)"
            % ",".join("?" * len(contact_ids)), contact_ids)}
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert len(got) == len(logged)
    for cid, contact, outcome, notes, _t in logged:
        assert got[cid][:2] == (outcome, notes), (cid, got[cid])
    # Every log counted one attempt on its contact; each contact shows the
    # outcome its operator logged last.
    for contact in contact_ids:
        mine = [d for d in logged if d[1] == contact]
        attempts, last = contacts[contact]
        assert attempts == len(mine), (contact, attempts, len(mine))
        assert last == (mine[-1][2] if mine else None), (contact, last)
