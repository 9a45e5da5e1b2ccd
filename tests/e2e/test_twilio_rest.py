"""The Twilio provider (lib/twilio.c) through the HTTP API (cgi-bin/calls.c),
against the stateful fake Twilio (tests/fake/fake_twilio.py) and, for the
contract, against Prism serving Twilio's OpenAPI spec.

These tests set conference_sid / call_sid in the database directly, to test
one request at a time; test_twilio_flow.py gets them the real way, through
the signed webhooks.
"""
import base64
import json
import os
import subprocess
import sys
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake"))

from fake_twilio import FakeTwilio  # noqa: E402

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
API_KEY_SID = "SK" + "00112233445566778899aabbccddeeff"
APP_SID = "AP" + "ffeeddccbbaa99887766554433221100"
AUTH_TOKEN = "fake-auth-token-0123456789"
API_KEY_SECRET = "fake-api-key-secret-0123456789"
CALLER_ID = "+15005550006"
TO = "+12025550101"
PRISM_SH = os.path.join(ROOT, "tests", "contract", "prism.sh")
PRISM_BIN = os.path.join(ROOT, "node_modules", ".bin", "prism")


def twilio_env(base):
    return {
        "DIALER_PROVIDER": "twilio",
        "DIALER_MAX_ACTIVE_CALLS_PER_USER": "1000",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_KEY_SID": API_KEY_SID,
        "TWILIO_API_KEY_SECRET": API_KEY_SECRET,
        "TWILIO_TWIML_APP_SID": APP_SID,
        "TWILIO_CALLER_ID": CALLER_ID,
        "TWILIO_API_BASE": base,
    }


@pytest.fixture(scope="module")
def fake():
    f = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, API_KEY_SID, API_KEY_SECRET).start()
    yield f
    f.stop()


@pytest.fixture
def tw(fake, server_factory):
    requests.post(fake.url + "/_fake/reset", timeout=10)
    return server_factory(twilio_env(fake.url))


def b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def new_call(srv):
    r = srv.api("POST", "/api/v1/calls", json={"to_phone": TO})
    assert r.status_code == 201, r.text
    return r.json()


def fake_conference(fake, name):
    """A conference with the operator in it, and the prospect's leg added
    through the fake's API (as our dial will): (CF, operator CA, contact CA)."""
    r = requests.post(fake.url + "/_fake/conferences", json={"friendly_name": name}, timeout=10)
    assert r.status_code == 201, r.text
    conf = r.json()
    r = requests.post("%s/2010-04-01/Accounts/%s/Conferences/%s/Participants.json"
                      % (fake.url, ACCOUNT_SID, conf["sid"]),
                      data={"From": CALLER_ID, "To": TO}, auth=(ACCOUNT_SID, AUTH_TOKEN),
                      timeout=10)
    assert r.status_code == 201, r.text
    return conf["sid"], conf["call_sid"], r.json()["call_sid"]


def attach(srv, call_id, cf, op, ca, status="in-progress"):
    srv.db_write("UPDATE calls SET conference_sid = ?, operator_call_sid = ?, call_sid = ?, "
                 "status = ?, dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
                 cf, op, ca, status, call_id)


def ours(fake, method, suffix):
    reqs = requests.get(fake.url + "/_fake/requests", timeout=10).json()
    return [q for q in reqs if q["method"] == method and q["path"].endswith(suffix)]


def basic_ok(req):
    want = "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT_SID, AUTH_TOKEN)).encode()).decode()
    return req["headers"].get("Authorization") == want


def test_create_returns_twilio_token(tw):
    body = new_call(tw)
    assert body["call"]["provider"] == "twilio"
    tok = body["token"]
    assert tok["identity"] == "api" and tok["simulated"] is False and tok["edge"] is None
    header, payload, _sig = tok["token"].split(".")
    assert b64json(header)["cty"] == "twilio-fpa;v=1"
    claims = b64json(payload)
    assert claims["iss"] == API_KEY_SID and claims["sub"] == ACCOUNT_SID
    assert claims["grants"]["identity"] == "api"
    assert claims["grants"]["voice"]["outgoing"]["application_sid"] == APP_SID
    assert claims["exp"] - claims["nbf"] == 3600
    assert tok["expires_at"] == claims["exp"]


def test_edge_setting_reaches_the_browser(fake, server_factory):
    env = twilio_env(fake.url)
    env["TWILIO_EDGE"] = "dublin"
    tok = new_call(server_factory(env))["token"]
    assert tok["edge"] == "dublin"


def test_missing_settings_is_503(fake, server_factory):
    env = twilio_env(fake.url)
    del env["TWILIO_AUTH_TOKEN"], env["TWILIO_TWIML_APP_SID"]
    srv = server_factory(env)
    r = srv.api("POST", "/api/v1/calls", json={"to_phone": TO})
    assert r.status_code == 503, r.text
    err = r.json()["error"]
    assert err["code"] == "provider_not_configured"
    assert "TWILIO_AUTH_TOKEN" in err["message"] and "TWILIO_TWIML_APP_SID" in err["message"]


def test_mute_hold_end_reach_twilio(tw, fake):
    call = new_call(tw)["call"]
    cf, op, ca = fake_conference(fake, call["conference_name"])
    attach(tw, call["id"], cf, op, ca)

    r = tw.api("POST", "/api/v1/calls/%d/mute" % call["id"],
               json={"participant": "contact", "muted": True})
    assert r.status_code == 200, r.text
    (q,) = ours(fake, "POST", "/Conferences/%s/Participants/%s.json" % (cf, ca))
    assert q["params"] == {"Muted": ["true"]} and basic_ok(q)

    r = tw.api("POST", "/api/v1/calls/%d/mute" % call["id"],
               json={"participant": "operator", "muted": True})
    assert r.status_code == 200, r.text
    (q,) = ours(fake, "POST", "/Conferences/%s/Participants/%s.json" % (cf, op))
    assert q["params"] == {"Muted": ["true"]}

    r = tw.api("POST", "/api/v1/calls/%d/hold" % call["id"], json={"hold": True})
    assert r.status_code == 200, r.text
    qs = ours(fake, "POST", "/Conferences/%s/Participants/%s.json" % (cf, ca))
    assert qs[-1]["params"] == {"Hold": ["true"]}

    state = requests.get(fake.url + "/_fake/state", timeout=10).json()
    part = [p for p in state["participants"][cf] if p["call_sid"] == ca][0]
    assert part["muted"] is True and part["hold"] is True

    r = tw.api("POST", "/api/v1/calls/%d/end" % call["id"])
    assert r.status_code == 200, r.text
    (q,) = ours(fake, "POST", "/Conferences/%s.json" % cf)
    assert q["path"] == "/2010-04-01/Accounts/%s/Conferences/%s.json" % (ACCOUNT_SID, cf)
    assert q["params"] == {"Status": ["completed"]} and basic_ok(q)


def test_mute_retries_503_with_retry_after(tw, fake):
    call = new_call(tw)["call"]
    cf, op, ca = fake_conference(fake, call["conference_name"])
    attach(tw, call["id"], cf, op, ca)
    r = requests.post(fake.url + "/_fake/faults", json={
        "method": "POST", "path": "/Participants/%s\\.json$" % ca, "count": 1,
        "action": "status", "status": 503, "retry_after": 1}, timeout=10)
    assert r.status_code == 201
    t0 = time.monotonic()
    r = tw.api("POST", "/api/v1/calls/%d/mute" % call["id"],
               json={"participant": "contact", "muted": True})
    assert r.status_code == 200, r.text
    assert time.monotonic() - t0 >= 0.9  # Retry-After honoured
    qs = ours(fake, "POST", "/Participants/%s.json" % ca)
    assert [q["fault"] for q in qs] == ["status", None]
    assert qs[1]["params"] == {"Muted": ["true"]}


def test_end_400_is_provider_rejected(tw, fake):
    call = new_call(tw)["call"]
    cf, op, ca = fake_conference(fake, call["conference_name"])
    attach(tw, call["id"], cf, op, ca)
    requests.post(fake.url + "/_fake/faults", json={
        "method": "POST", "path": "/Conferences/%s\\.json$" % cf, "count": 1,
        "action": "status", "status": 400, "code": 21220, "message": "Invalid call state"},
        timeout=10)
    r = tw.api("POST", "/api/v1/calls/%d/end" % call["id"])
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "provider_rejected"
    assert err["details"]["provider_code"] == "21220"
    assert err["details"]["provider_status"] == 400
    assert len(ours(fake, "POST", "/Conferences/%s.json" % cf)) == 1  # a 4xx is not retried


def test_refresh_maps_fake_status(tw, fake):
    call = new_call(tw)["call"]
    cf, op, ca = fake_conference(fake, call["conference_name"])
    attach(tw, call["id"], cf, op, ca, status="ringing")
    r = tw.api("GET", "/api/v1/calls/%d?refresh=1" % call["id"])
    assert r.status_code == 200, r.text
    got = r.json()["call"]["status"]
    fake_status = requests.get(fake.url + "/_fake/state", timeout=10).json()
    fake_status = [c for c in fake_status["calls"] if c["sid"] == ca][0]["status"]
    assert got == {"answered": "in-progress"}.get(fake_status, fake_status) or got == "ringing"
    requests.post(fake.url + "/_fake/calls/" + ca, json={"status": "busy"}, timeout=10)
    r = tw.api("GET", "/api/v1/calls/%d?refresh=1" % call["id"])
    assert r.status_code == 200, r.text
    assert r.json()["call"]["status"] == "busy"
    assert ours(fake, "GET", "/Calls/%s.json" % ca)


@pytest.fixture(scope="module")
def prism(tmp_path_factory):
    if not os.access(PRISM_BIN, os.X_OK):
        pytest.skip("Prism not installed; run `npm ci` in %s" % ROOT)
    d = tmp_path_factory.mktemp("prism-twilio")
    portfile, logfile = str(d / "port"), str(d / "prism.log")
    proc = subprocess.run([PRISM_SH, "start", "twilio", portfile, logfile],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    with open(portfile) as f:
        yield "http://127.0.0.1:%d" % int(f.read().strip())
    subprocess.run([PRISM_SH, "stop", proc.stdout.strip()], check=False)


def test_contract_mute_passes_prism(prism, server_factory):
    srv = server_factory(twilio_env(prism))
    call = new_call(srv)["call"]
    cf = "CF" + "fedcba9876543210" * 2
    ca = "CA" + "0123456789abcdef" * 2
    attach(srv, call["id"], cf, "CA" + "1" * 32, ca)
    r = srv.api("POST", "/api/v1/calls/%d/mute" % call["id"],
                json={"participant": "contact", "muted": True})
    assert r.status_code == 200, r.text
