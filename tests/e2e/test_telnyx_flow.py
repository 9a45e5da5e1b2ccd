"""The Telnyx provider end to end through the real Apache, against the
stateful fake Telnyx (tests/fake/fake_telnyx.py), whose webhooks are signed
with its own Ed25519 key (python3-cryptography): an implementation
independent of our OpenSSL check.

Operator first, as with Twilio: the browser's leg arrives as call.initiated
(incoming, naming our conference in an X-Conference header); we answer it
and make the conference with it; its participant.joined makes us dial the
prospect; the prospect's call.answered makes us join them in.
"""
import os
import sys
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fake"))

from conftest import assert_error  # noqa: E402
from fake_telnyx import FakeTelnyx  # noqa: E402

API_KEY = "KEYfake0123456789abcdef0123456789"
CONNECTION_ID = "1494404757140276705"
CREDENTIAL_ID = "c215ade3-0d39-418e-94be-c5f780760199"
CALLER_ID = "+15005550006"
TO = "+12025550101"


@pytest.fixture(scope="module")
def fake():
    f = FakeTelnyx(API_KEY, CONNECTION_ID, CREDENTIAL_ID).start()
    yield f
    f.stop()


def telnyx_env(fake):
    return {
        "DIALER_PROVIDER": "telnyx", "DIALER_MAX_ACTIVE_CALLS_PER_USER": "1000",
        "TELNYX_API_KEY": API_KEY, "TELNYX_CONNECTION_ID": CONNECTION_ID,
        "TELNYX_CALLER_ID": CALLER_ID, "TELNYX_CREDENTIAL_ID": CREDENTIAL_ID,
        "TELNYX_PUBLIC_KEY": fake.public_key, "TELNYX_API_BASE": fake.url,
    }


@pytest.fixture(scope="module")
def tx(fake):
    from conftest import Server
    srv = Server(telnyx_env(fake)).start()
    yield srv
    srv.cleanup()


@pytest.fixture(autouse=True)
def clean(fake):
    requests.post(fake.base_url + "/_fake/reset", timeout=10)


def made(fake, method, suffix):
    reqs = requests.get(fake.base_url + "/_fake/requests", timeout=10).json()
    return [q for q in reqs if q["method"] == method and q["path"].endswith(suffix)]


def browser_leg(fake):
    r = requests.post(fake.base_url + "/_fake/calls", json={
        "direction": "incoming", "from": "sip:operator@sip.telnyx.com",
        "to": "sip:dialer@sip.telnyx.com"}, timeout=10)
    assert r.status_code == 201, r.text
    body = r.json()
    return body.get("call_control_id") or body["data"]["call_control_id"]


def operator_joins(fake, srv, call):
    """The browser's leg arrives, is answered, makes the room and joins it;
    returns (operator leg, conference id)."""
    leg = browser_leg(fake)
    r = fake.send_event(srv.url("/api/v1/telnyx/events"), "call.initiated", call_control_id=leg,
                        payload={"custom_headers": [{"name": "X-Conference",
                                                     "value": call["conference_name"]}]})
    assert r["status"] == 204, r
    (ans,) = made(fake, "POST", "/calls/%s/actions/answer" % leg)
    (mk,) = made(fake, "POST", "/conferences")
    assert mk["json"]["call_control_id"] == leg and mk["json"]["name"] == call["conference_name"]
    state = requests.get(fake.base_url + "/_fake/state", timeout=10).json()
    confs = state["conferences"]
    conf = (list(confs.values()) if isinstance(confs, dict) else confs)[0]["id"]
    for ev in ("conference.created", "conference.participant.joined"):
        r = fake.send_event(srv.url("/api/v1/telnyx/events"), ev, call_control_id=leg,
                            conference_id=conf)
        assert r["status"] == 204, r
    return leg, conf


def test_operator_first_then_prospect(tx, fake):
    r = tx.api("POST", "/api/v1/calls", json={"to_phone": TO})
    assert r.status_code == 201, r.text
    call, token = r.json()["call"], r.json()["token"]
    assert call["provider"] == "telnyx" and token["provider"] == "telnyx"
    assert token["token"].count(".") == 2  # the credential's login JWT
    assert made(fake, "POST", "/calls") == []  # nobody rung before the operator is in

    leg, conf = operator_joins(fake, tx, call)
    (dial,) = made(fake, "POST", "/calls")
    body = dial["json"]
    assert body["to"] == TO and body["from"] == CALLER_ID
    assert body["connection_id"] == CONNECTION_ID
    assert body["webhook_url"] == tx.url("/api/v1/telnyx/call-status?call=%d" % call["id"])
    c = tx.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]
    assert c["status"] == "initiated" and c["operator_call_sid"] == leg
    assert c["conference_sid"] == conf
    prospect = c["call_sid"]

    hook = tx.url("/api/v1/telnyx/call-status?call=%d" % call["id"])
    assert fake.send_event(hook, "call.answered", call_control_id=prospect)["status"] == 204
    (j,) = made(fake, "POST", "/conferences/%s/actions/join" % conf)
    assert j["json"]["call_control_id"] == prospect
    c = tx.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]
    assert c["status"] == "in-progress"

    r = tx.api("POST", "/api/v1/calls/%d/mute" % call["id"],
               json={"participant": "contact", "muted": True})
    assert r.status_code == 200, r.text
    (m,) = made(fake, "POST", "/conferences/%s/actions/mute" % conf)
    assert m["json"]["call_control_ids"] == [prospect]
    r = tx.api("POST", "/api/v1/calls/%d/hold" % call["id"], json={"hold": True})
    assert r.status_code == 200, r.text
    assert made(fake, "POST", "/conferences/%s/actions/hold" % conf)

    time.sleep(1.1)
    r = fake.send_event(hook, "call.hangup", call_control_id=prospect,
                        payload={"hangup_cause": "normal_clearing"})
    assert r["status"] == 204
    c = tx.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]
    assert c["status"] == "completed" and c["duration_s"] >= 1
    # The same event again changes nothing and is kept once.
    with tx.db() as db:
        n = db.execute("SELECT COUNT(*) FROM call_events WHERE call_id = ?",
                       (call["id"],)).fetchone()[0]
    assert n >= 5


def test_forged_tampered_and_stale_events_are_403(tx, fake):
    call = tx.api("POST", "/api/v1/calls", json={"to_phone": TO}).json()["call"]
    leg = browser_leg(fake)
    ev = fake.build_event("call.initiated", call_control_id=leg, payload={
        "custom_headers": [{"name": "X-Conference", "value": call["conference_name"]}]})
    url = tx.url("/api/v1/telnyx/events")
    for kw in ({"tamper": True}, {"wrong_key": True}, {"timestamp": int(time.time()) - 400}):
        r = fake.callback(url, ev, **kw)
        assert r["status"] == 403, (kw, r)
    r = requests.post(url, json=ev, timeout=30)
    assert_error(r, 403, "invalid_signature")
    assert made(fake, "POST", "/calls/%s/actions/answer" % leg) == []
    # An unknown conference: the leg is refused, nothing is made.
    ev2 = fake.build_event("call.initiated", call_control_id=leg, payload={
        "custom_headers": [{"name": "X-Conference", "value": "cd-nosuchroom"}]})
    assert fake.callback(url, ev2)["status"] == 204
    assert made(fake, "POST", "/conferences") == []
    assert made(fake, "POST", "/calls/%s/actions/answer" % leg) == []


def test_unanswered_hangup_is_no_answer_and_busy_is_busy(tx, fake):
    for cause, want in (("timeout", "no-answer"), ("user_busy", "busy")):
        requests.post(fake.base_url + "/_fake/reset", timeout=10)
        call = tx.api("POST", "/api/v1/calls", json={"to_phone": TO}).json()["call"]
        operator_joins(fake, tx, call)
        prospect = tx.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]["call_sid"]
        r = fake.send_event(tx.url("/api/v1/telnyx/call-status?call=%d" % call["id"]),
                            "call.hangup", call_control_id=prospect,
                            payload={"hangup_cause": cause})
        assert r["status"] == 204
        c = tx.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]
        assert c["status"] == want, (cause, c)


# --- the contract: every request we made, replayed against Telnyx's spec -----

PRISM_SH = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "contract", "prism.sh")
PRISM_BIN = os.path.join(os.path.dirname(os.path.dirname(HERE)), "node_modules", ".bin", "prism")


@pytest.fixture(scope="module")
def prism(tmp_path_factory):
    import subprocess
    if not os.access(PRISM_BIN, os.X_OK):
        pytest.skip("Prism not installed; run `npm ci`")
    d = tmp_path_factory.mktemp("prism-telnyx")
    portfile, logfile = str(d / "port"), str(d / "prism.log")
    proc = subprocess.run([PRISM_SH, "start", "telnyx", portfile, logfile],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    with open(portfile) as f:
        yield "http://127.0.0.1:%d" % int(f.read().strip())
    subprocess.run([PRISM_SH, "stop", proc.stdout.strip()], check=False)


def test_every_request_we_make_passes_prism(tx, fake, prism):
    call = tx.api("POST", "/api/v1/calls", json={"to_phone": TO}).json()["call"]
    leg, conf = operator_joins(fake, tx, call)
    prospect = tx.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]["call_sid"]
    hook = tx.url("/api/v1/telnyx/call-status?call=%d" % call["id"])
    fake.send_event(hook, "call.answered", call_control_id=prospect)
    for action, body in (("mute", {"participant": "operator", "muted": True}),
                         ("mute", {"participant": "contact", "muted": False}),
                         ("hold", {"hold": True}), ("hold", {"hold": False})):
        r = tx.api("POST", "/api/v1/calls/%d/%s" % (call["id"], action), json=body)
        assert r.status_code == 200, r.text
    assert tx.api("GET", "/api/v1/calls/%d?refresh=1" % call["id"]).status_code == 200
    assert tx.api("POST", "/api/v1/calls/%d/end" % call["id"]).status_code == 200

    made_all = requests.get(fake.base_url + "/_fake/requests", timeout=10).json()
    assert len(made_all) >= 10, [q["path"] for q in made_all]
    for q in made_all:
        # Prism serves the spec's paths without the /v2 prefix.
        path = q["path"][3:] if q["path"].startswith("/v2/") else q["path"]
        headers = {"Authorization": q["headers"]["Authorization"]}
        if q["method"] == "POST":
            headers["Content-Type"] = "application/json"
        r = requests.request(q["method"], prism + path + ("?" + q["query"] if q.get("query") else ""),
                             data=(q.get("body") or "").encode() or None, headers=headers,
                             timeout=30)
        assert 200 <= r.status_code < 300, (q["method"], q["path"], q.get("body"), r.status_code,
                                            r.text[:600])
        assert "sl-violations" not in r.headers, (q["path"], r.headers["sl-violations"])


def test_recording_requests_pass_prism(fake, prism, server_factory):
    """What recording adds (tests/e2e/test_recording.py drives it): the
    recorded dial, the consent spoken or played, the join after it, and the
    recordings list the player's download starts with. The download itself
    goes to a presigned storage URL, not to the API: no spec covers it."""
    made_all = []
    for extra in ({}, {"DIALER_RECORDING_CONSENT_URL": "https://media.example.test/c.wav"}):
        requests.post(fake.base_url + "/_fake/reset", timeout=10)
        env = telnyx_env(fake)
        env.update({"DIALER_RECORD_CALLS": "1"}, **extra)
        srv = server_factory(env)
        call = srv.api("POST", "/api/v1/calls", json={"to_phone": TO}).json()["call"]
        operator_joins(fake, srv, call)
        leg = srv.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]["call_sid"]
        hook = srv.url("/api/v1/telnyx/call-status?call=%d" % call["id"])
        ended = "call.playback.ended" if extra else "call.speak.ended"
        for ev in ("call.answered", ended, "call.hangup"):
            assert fake.send_event(hook, ev, call_control_id=leg)["status"] == 204
        requests.post(fake.base_url + "/_fake/recordings", json={"call_control_id": leg},
                      timeout=10).raise_for_status()
        assert fake.send_event(hook, "call.recording.saved", call_control_id=leg)["status"] == 204
        r = srv.api("GET", "/api/v1/calls/%d/recording" % call["id"])
        assert r.status_code == 200, r.text
        made_all += requests.get(fake.base_url + "/_fake/requests", timeout=10).json()
    paths = {q["path"].rsplit("/", 1)[-1] for q in made_all}
    assert {"speak", "playback_start", "join", "recordings"} <= paths, paths
    for q in made_all:
        path = q["path"][3:] if q["path"].startswith("/v2/") else q["path"]
        headers = {"Authorization": q["headers"]["Authorization"]}
        if q["method"] == "POST":
            headers["Content-Type"] = "application/json"
        query = "&".join("%s=%s" % (k, requests.utils.quote(v, safe=""))
                         for k, vs in q["query"].items() for v in vs)
        r = requests.request(q["method"], prism + path + ("?" + query if query else ""),
                             data=(q.get("body") or "").encode() or None, headers=headers,
                             timeout=30)
        assert 200 <= r.status_code < 300, (q["method"], q["path"], q.get("body"), r.status_code,
                                            r.text[:600])
        assert "sl-violations" not in r.headers, (q["path"], r.headers["sl-violations"])


def test_seed_initiate_rings_first_and_makes_the_room_on_answer(tx, fake):
    r = tx.api("POST", "/aicallgo/api/v1/cold-call/initiate",
               json={"to_phone": TO, "provider": "telnyx"})
    assert r.status_code == 200, r.text
    out = r.json()
    (dial,) = made(fake, "POST", "/calls")
    assert out["call_sid"] and out["status"] == "initiated" and out["provider"] == "telnyx"
    hook = dial["json"]["webhook_url"]
    assert hook.endswith("/api/v1/telnyx/call-status?call=%d" % out["call_id"])
    assert fake.send_event(hook, "call.answered", call_control_id=out["call_sid"])["status"] == 204
    (mk,) = made(fake, "POST", "/conferences")
    assert mk["json"]["call_control_id"] == out["call_sid"]
    assert mk["json"]["name"] == out["conference_id"]
    state = requests.get(fake.base_url + "/_fake/state", timeout=10).json()
    confs = state["conferences"]
    conf = (list(confs.values()) if isinstance(confs, dict) else confs)[0]["id"]
    # The room's events come to the prospect leg's URL, under an id we learn now.
    r = fake.send_event(hook, "conference.created", call_control_id=out["call_sid"],
                        conference_id=conf)
    assert r["status"] == 204
    r = tx.api("GET", "/aicallgo/api/v1/cold-call/status/" + conf)
    assert r.status_code == 200, r.text
    assert r.json()["conference_sid"] == conf and r.json()["status"] == "in-progress"


def test_telnyx_errors_reach_the_caller_in_our_envelope(tx, fake):
    call = tx.api("POST", "/api/v1/calls", json={"to_phone": TO}).json()["call"]
    leg, conf = operator_joins(fake, tx, call)
    requests.post(fake.base_url + "/_fake/faults", json={
        "method": "POST", "path": "/actions/mute$", "count": 1, "action": "status",
        "status": 422, "code": "90015", "title": "Invalid call_control_id",
        "detail": "Not in this conference"}, timeout=10)
    r = tx.api("POST", "/api/v1/calls/%d/mute" % call["id"],
               json={"participant": "operator", "muted": True})
    err = assert_error(r, 422, "provider_rejected")
    assert err["details"]["provider_code"] == "90015"
    assert err["details"]["provider_status"] == 422
    assert "Invalid call_control_id" in err["details"]["provider_message"]
    assert len(made(fake, "POST", "/actions/mute")) == 1  # a 4xx is not repeated


def test_a_public_key_setting_that_is_no_key_is_503_not_404(fake, server_factory):
    env = telnyx_env(fake)
    env["TELNYX_PUBLIC_KEY"] = "bm90IGEga2V5"  # base64, but not 32 bytes
    srv = server_factory(env)
    leg = browser_leg(fake)
    ev = fake.build_event("call.initiated", call_control_id=leg)
    r = fake.callback(srv.url("/api/v1/telnyx/events"), ev)
    assert r["status"] == 503 and "misconfigured" in r["body"], r
