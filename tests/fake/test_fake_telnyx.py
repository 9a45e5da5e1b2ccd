"""Tests for tests/fake/fake_telnyx.py.  Run: /usr/bin/python3 -m pytest -q tests/fake"""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_telnyx import FakeTelnyx  # noqa: E402

KEY = "KEY0123456789ABCDEF_test"
CONN = "1494404757140276705"
CRED = "c215ade3-0d39-418e-94be-c5f780760199"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CCID = re.compile(r"^v3:[A-Za-z0-9_-]+$")
STATE = base64.b64encode(b"call-42").decode()
DIAL = {"connection_id": CONN, "to": "+15551230001", "from": "+15559870000",
        "webhook_url": "http://127.0.0.1:9/api/v1/telnyx/events", "client_state": STATE,
        "timeout_secs": 30, "answering_machine_detection": "detect"}


@pytest.fixture(scope="module")
def server():
    f = FakeTelnyx(KEY, connection_id=CONN, credential_id=CRED).start()
    yield f
    f.stop()


@pytest.fixture
def fake(server):
    requests.post(server.base_url + "/_fake/reset").raise_for_status()
    return server


@pytest.fixture
def api(fake):
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + KEY
    s.base = fake.url
    yield s
    s.close()


def state(fake):
    return requests.get(fake.base_url + "/_fake/state").json()


def dial(api, **kw):
    r = api.post(api.base + "/calls", json=dict(DIAL, **kw))
    assert r.status_code == 200, r.text
    return r.json()["data"]


def answered_call(fake, api):
    c = dial(api)
    r = requests.post(fake.base_url + "/_fake/calls/" + c["call_control_id"],
                      json={"state": "answered"})
    assert r.status_code == 200 and r.json()["state"] == "answered"
    return c["call_control_id"]


def browser_leg(fake, api):
    """The operator's leg as Telnyx hands it to us: incoming, then answered by us."""
    r = requests.post(fake.base_url + "/_fake/calls", json={"from": "sip:op@sip.telnyx.com",
                                                            "to": "sip:dialer@sip.telnyx.com"})
    assert r.status_code == 201, r.text
    ccid = r.json()["call_control_id"]
    assert r.json()["direction"] == "incoming" and r.json()["state"] == "initiated"
    assert api.post(api.base + "/calls/%s/actions/answer" % ccid, json={}).status_code == 200
    return ccid


def codes(r):
    return [e["code"] for e in r.json()["errors"]]


def test_auth_required(fake):
    url = fake.url + "/calls/v3:nope"
    for h in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + KEY},
              {"Authorization": KEY}):
        r = requests.get(url, headers=h)
        assert r.status_code == 401
        e = r.json()["errors"]
        assert len(e) == 1 and e[0]["code"] == "10009" and e[0]["title"] and e[0]["detail"]
    r = requests.get(url, headers={"Authorization": "Bearer " + KEY})
    assert r.status_code == 404 and codes(r) == ["10005"]
    r = requests.get(fake.base_url + "/calls/x", headers={"Authorization": "Bearer " + KEY})
    assert r.status_code == 404  # no /v2 prefix


def test_dial_get_and_recorded_request(fake, api):
    c = dial(api)
    assert set(c) == {"call_control_id", "call_leg_id", "call_session_id", "is_alive",
                      "record_type", "client_state"}
    assert CCID.match(c["call_control_id"]) and UUID.match(c["call_leg_id"])
    assert UUID.match(c["call_session_id"])
    assert (c["is_alive"], c["record_type"], c["client_state"]) == (False, "call", STATE)
    r = api.get(api.base + "/calls/" + c["call_control_id"])
    assert r.status_code == 200
    g = r.json()["data"]
    assert g["is_alive"] is True and g["call_duration"] == 0 and "end_time" not in g
    assert g["call_leg_id"] == c["call_leg_id"] and g["start_time"].endswith("Z")
    reqs = requests.get(fake.base_url + "/_fake/requests").json()
    assert [(x["method"], x["path"]) for x in reqs] == [
        ("POST", "/v2/calls"), ("GET", "/v2/calls/" + c["call_control_id"])]
    assert reqs[0]["json"] == DIAL and json.loads(reqs[0]["body"]) == DIAL
    assert reqs[0]["headers"]["Authorization"] == "Bearer " + KEY
    rec = state(fake)["calls"][0]
    assert (rec["state"], rec["direction"], rec["to"], rec["from"], rec["webhook_url"]) == \
        ("initiated", "outgoing", "+15551230001", "+15559870000", DIAL["webhook_url"])
    assert rec["request"]["answering_machine_detection"] == "detect"
    # command_id makes a repeated dial a no-op
    a = dial(api, command_id="cmd-1")
    assert dial(api, command_id="cmd-1")["call_control_id"] == a["call_control_id"]
    assert len(state(fake)["calls"]) == 2


def test_dial_validation(fake, api):
    r = api.post(api.base + "/calls", json={"from": "+15559870000"})
    assert r.status_code == 422
    errs = r.json()["errors"]
    assert {e["code"] for e in errs} == {"10004"}
    assert sorted(e["source"]["pointer"] for e in errs) == ["/connection_id", "/to"]
    assert all(e["title"] == "Missing required parameter" and e["detail"] for e in errs)
    for field, value, code in (("to", "15551230001", "10016"), ("from", "+0123", "10016"),
                               ("to", "+1 555 123 0001", "10016"),
                               ("answering_machine_detection", "yes", "10032"),
                               ("timeout_secs", "30", "10015"), ("timeout_secs", True, "10015"),
                               ("client_state", "not base64!", "10015"),
                               ("time_limit_secs", 5, "10033"),
                               ("connection_id", "999", "10015"),
                               ("webhook_url", "ftp://x", "10015"),
                               ("timeout", 30, "10015")):
        r = api.post(api.base + "/calls", json=dict(DIAL, **{field: value}))
        assert r.status_code == 422, (field, value)
        e = r.json()["errors"][0]
        assert e["code"] == code and e["source"]["pointer"] == "/" + field, (field, e)
    # SIP URIs and lists of numbers are accepted
    assert dial(api, to="sip:agent@sip.telnyx.com")["record_type"] == "call"
    assert dial(api, to=["+15551230001", "+15551230002"])["record_type"] == "call"
    # bodies must be JSON objects
    for data, ctype in (("", "application/json"), ("{", "application/json"),
                        ("[]", "application/json"),
                        ("to=%2B15551230001", "application/x-www-form-urlencoded")):
        r = api.post(api.base + "/calls", data=data, headers={"Content-Type": ctype})
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == "10015"
    assert len(state(fake)["calls"]) == 2


def test_lenient_accepts_unknown_fields():
    f = FakeTelnyx(KEY, strict=False).start()
    try:
        r = requests.post(f.url + "/calls", json=dict(DIAL, foo=1),
                          headers={"Authorization": "Bearer " + KEY})
        assert r.status_code == 200
    finally:
        f.stop()


def test_call_actions(fake, api):
    c = dial(api)
    ccid = c["call_control_id"]
    act = api.base + "/calls/%s/actions/" % ccid
    # hangup needs a JSON body
    r = api.post(act + "hangup")
    assert r.status_code == 400
    # commands needing media are refused before answer; answering an outgoing call is an error
    r = api.post(act + "speak", json={"payload": "hi", "voice": "female"})
    assert r.status_code == 422 and codes(r) == ["90034"]
    assert api.post(act + "answer", json={}).status_code == 422
    assert api.post(act + "frobnicate", json={}).status_code == 404
    r = api.post(act + "client_state_update", json={"client_state": "eA=="})
    assert r.status_code == 200 and r.json() == {"data": {"result": "ok"}}
    requests.post(fake.base_url + "/_fake/calls/" + ccid, json={"state": "answered"})
    assert api.post(act + "speak", json={"payload": "hi", "voice": "female"}).status_code == 200
    r = api.post(act + "hangup", json={})
    assert r.status_code == 200 and r.json() == {"data": {"result": "ok"}}
    g = api.get(api.base + "/calls/" + ccid).json()["data"]
    assert g["is_alive"] is False and g["end_time"] and g["client_state"] == "eA=="
    rec = state(fake)["calls"][0]
    assert (rec["state"], rec["hangup_cause"], rec["hangup_source"]) == \
        ("hangup", "normal_clearing", "caller")
    assert [a["action"] for a in rec["actions"]] == ["client_state_update", "speak", "hangup"]
    r = api.post(act + "hangup", json={})
    assert r.status_code == 422 and codes(r) == ["90018"]
    r = api.post(api.base + "/calls/v3:unknown/actions/hangup", json={})
    assert r.status_code == 422 and codes(r) == ["90015"]
    # incoming: answer then reject is refused; reject before answer ends it
    leg = browser_leg(fake, api)
    r = api.post(api.base + "/calls/%s/actions/reject" % leg, json={"cause": "USER_BUSY"})
    assert r.status_code == 422
    r = requests.post(fake.base_url + "/_fake/calls", json={})
    inc = r.json()["call_control_id"]
    r = api.post(api.base + "/calls/%s/actions/reject" % inc, json={"cause": "nope"})
    assert r.status_code == 422 and codes(r) == ["10032"]
    r = api.post(api.base + "/calls/%s/actions/reject" % inc, json={"cause": "USER_BUSY"})
    assert r.status_code == 200
    assert fake.call(inc)["hangup_cause"] == "user_busy"


def test_conference_lifecycle(fake, api):
    op = browser_leg(fake, api)
    prospect = dial(api)["call_control_id"]
    # a leg must be answered to be conferenced
    r = api.post(api.base + "/conferences", json={"call_control_id": prospect, "name": "x"})
    assert r.status_code == 422 and codes(r) == ["90034"]
    r = api.post(api.base + "/conferences", json={"name": "call-42"})
    assert r.status_code == 422 and codes(r) == ["10004"]
    r = api.post(api.base + "/conferences", json={"call_control_id": op, "name": "call-42",
                                                  "beep_enabled": "never"})
    assert r.status_code == 200, r.text
    conf = r.json()["data"]
    assert UUID.match(conf["id"])
    assert (conf["record_type"], conf["name"], conf["status"]) == \
        ("conference", "call-42", "in_progress")
    assert {"created_at", "updated_at", "expires_at", "region"} <= set(conf)
    assert conf["connection_id"] == CONN
    r = api.post(api.base + "/conferences", json={"call_control_id": op, "name": "call-42"})
    assert r.status_code == 422 and codes(r) == ["90033"]
    assert api.get(api.base + "/conferences/" + conf["id"]).json()["data"] == conf
    r = api.get(api.base + "/conferences/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and codes(r) == ["90058"]
    lst = api.get(api.base + "/conferences", params={"filter[name]": "call-42",
                                                     "filter[status]": "in_progress"}).json()
    assert [c["id"] for c in lst["data"]] == [conf["id"]]
    assert lst["meta"] == {"page_number": 1, "page_size": 20, "total_pages": 1,
                           "total_results": 1}

    cact = api.base + "/conferences/%s/actions/" % conf["id"]
    r = api.post(cact + "join", json={"call_control_id": prospect})
    assert r.status_code == 422 and codes(r) == ["90034"]
    requests.post(fake.base_url + "/_fake/calls/" + prospect, json={"state": "answered"})
    r = api.post(cact + "join", json={"call_control_id": prospect, "start_conference_on_enter":
                                      True, "end_conference_on_exit": "yes"})
    assert r.status_code == 422 and codes(r) == ["10015"]
    r = api.post(cact + "join", json={"call_control_id": prospect})
    assert r.status_code == 200 and r.json() == {"data": {"result": "ok"}}
    parts = api.get(api.base + "/conferences/%s/participants" % conf["id"]).json()["data"]
    assert {p["call_control_id"] for p in parts} == {op, prospect}
    p = parts[0]
    assert p["record_type"] == "participant" and p["conference"] == {"id": conf["id"],
                                                                     "name": "call-42"}
    assert (p["status"], p["muted"], p["on_hold"]) == ("joined", False, False)

    def flags():
        return {p["call_control_id"]: (p["muted"], p["on_hold"]) for p in
                state(fake)["participants"][conf["id"]]}
    assert api.post(cact + "mute", json={"call_control_ids": [op]}).status_code == 200
    assert flags() == {op: (True, False), prospect: (False, False)}
    # by name as well as id
    assert api.post(api.base + "/conferences/call-42/actions/hold",
                    json={"call_control_ids": [prospect]}).status_code == 200
    assert flags() == {op: (True, False), prospect: (False, True)}
    r = api.post(cact + "unhold", json={})
    assert r.status_code == 422 and codes(r) == ["10004"]
    assert api.post(cact + "unhold", json={"call_control_ids": [prospect]}).status_code == 200
    assert api.post(cact + "unmute", json={}).status_code == 200   # no list: everyone
    assert flags() == {op: (False, False), prospect: (False, False)}
    r = api.post(cact + "mute", json={"call_control_ids": ["v3:stranger"]})
    assert r.status_code == 422 and codes(r) == ["90015"]
    r = api.post(cact + "mute", json={"call_control_ids": op})
    assert r.status_code == 422 and codes(r) == ["10015"]
    r = api.post(cact + "mute", json={"call_control_id": [op]})  # typo in the field name
    assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == \
        "/call_control_id"

    # the prospect hangs up: it leaves; the operator hangs up: the conference ends
    assert api.post(api.base + "/calls/%s/actions/hangup" % prospect, json={}).status_code == 200
    st = state(fake)
    assert {p["call_control_id"]: p["status"] for p in st["participants"][conf["id"]]} == \
        {op: "joined", prospect: "left"}
    assert st["conferences"][0]["status"] == "in_progress"
    assert api.post(api.base + "/calls/%s/actions/hangup" % op, json={}).status_code == 200
    c = api.get(api.base + "/conferences/" + conf["id"]).json()["data"]
    assert (c["status"], c["end_reason"]) == ("completed", "all_left")
    assert c["ended_by"]["call_control_id"] == op
    r = api.post(cact + "mute", json={})
    assert r.status_code == 422 and codes(r) == ["90019"]


def test_conference_end_hangs_up_everyone(fake, api):
    op, prospect = browser_leg(fake, api), answered_call(fake, api)
    conf = api.post(api.base + "/conferences",
                    json={"call_control_id": op, "name": "c2"}).json()["data"]
    api.post(api.base + "/conferences/%s/actions/join" % conf["id"],
             json={"call_control_id": prospect, "end_conference_on_exit": True})
    r = api.post(api.base + "/conferences/%s/actions/leave" % conf["id"],
                 json={"call_control_id": prospect})
    assert r.status_code == 200
    c = api.get(api.base + "/conferences/" + conf["id"]).json()["data"]
    assert (c["status"], c["end_reason"]) == ("completed", "host_left")
    assert fake.call(op)["state"] == "hangup" and fake.call(prospect)["state"] == "answered"
    # a new conference of the same name is fine once the old one ended; end via API
    conf2 = api.post(api.base + "/conferences",
                     json={"call_control_id": prospect, "name": "c2"}).json()["data"]
    assert api.post(api.base + "/conferences/%s/actions/end" % conf2["id"],
                    json={}).status_code == 200
    assert api.get(api.base + "/conferences/" + conf2["id"]).json()["data"]["end_reason"] == \
        "ended_via_api"
    assert fake.call(prospect)["state"] == "hangup"


def test_telephony_credential_token(fake, api):
    r = api.post(api.base + "/telephony_credentials/%s/token" % CRED)
    assert r.status_code == 201 and r.headers["Content-Type"].startswith("text/plain")
    parts = r.text.split(".")
    assert len(parts) == 3
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    assert claims["sub"] == CRED and claims["exp"] > time.time() and claims["typ"] == "access"
    assert state(fake)["tokens"][0]["token"] == r.text
    assert api.post(api.base + "/telephony_credentials/other/token").status_code == 404
    assert requests.post(api.base + "/telephony_credentials/%s/token" % CRED).status_code == 401


def add_fault(fake, **kw):
    r = requests.post(fake.base_url + "/_fake/faults", json=kw)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("status,retry,code", [(500, None, "10007"), (503, "2", "10007"),
                                               (429, "1", "10011")])
def test_fault_status(fake, api, status, retry, code):
    add_fault(fake, method="POST", path=r"/calls$", count=2, status=status, retry_after=retry)
    for _ in range(2):
        r = api.post(api.base + "/calls", json=DIAL)
        assert r.status_code == status
        e = r.json()["errors"][0]
        assert e["code"] == code and e["title"] and e["detail"]
        assert r.headers.get("Retry-After") == retry
    assert api.post(api.base + "/calls", json=DIAL).status_code == 200
    assert len(state(fake)["calls"]) == 1  # faulted requests change nothing
    assert [x["fault"] for x in requests.get(fake.base_url + "/_fake/requests").json()] == \
        ["status", "status", None]


def test_fault_method_filter_and_custom_error(fake, api):
    add_fault(fake, method="GET", path="/calls/", status=422, code=90018,
              title="Call has already ended")
    ccid = dial(api)["call_control_id"]
    r = api.get(api.base + "/calls/" + ccid)
    assert r.status_code == 422 and codes(r) == ["90018"]
    assert r.json()["errors"][0]["title"] == "Call has already ended"
    assert api.get(api.base + "/calls/" + ccid).status_code == 200


def test_fault_delay(fake, api):
    add_fault(fake, path="/calls", action="delay", delay=0.3)
    t = time.monotonic()
    assert api.post(api.base + "/calls", json=DIAL).status_code == 200
    assert time.monotonic() - t >= 0.3
    add_fault(fake, path="/calls", action="delay", delay=0.5)
    with pytest.raises(requests.exceptions.Timeout):
        api.post(api.base + "/calls", json=DIAL, timeout=0.1)


def test_fault_close(fake, api):
    add_fault(fake, path=r"/calls$", action="close")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post(api.base + "/calls", json=DIAL)
    assert state(fake)["calls"] == []
    # close_after: the dial reached "Telnyx" (the call exists) but no answer came back
    add_fault(fake, path=r"/calls$", action="close_after")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post(api.base + "/calls", json=DIAL)
    assert len(state(fake)["calls"]) == 1


def test_fault_malformed(fake, api):
    add_fault(fake, path=r"/calls$", action="malformed")
    r = api.post(api.base + "/calls", json=DIAL)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()


def test_bad_fault_rejected(fake):
    r = requests.post(fake.base_url + "/_fake/faults", json={"action": "explode"})
    assert r.status_code == 400


def test_keepalive_connection_count(fake, api):
    ccid = dial(api)["call_control_id"]
    for _ in range(4):
        assert api.get(api.base + "/calls/" + ccid).status_code == 200
    assert requests.get(fake.base_url + "/_fake/stats").json() == {"connections": 1,
                                                                   "requests": 5}


class EventHandler(BaseHTTPRequestHandler):
    """A stand-in for our webhook endpoint, verifying like the spec of issue 5 says."""

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ts = self.headers.get("telnyx-timestamp", "")
        sig = self.headers.get("telnyx-signature-ed25519", "")
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.server.public_key))
        try:
            key.verify(base64.b64decode(sig), ts.encode() + b"|" + body)
            ok = abs(time.time() - int(ts)) <= 300
        except (InvalidSignature, ValueError):
            ok = False
        self.server.got.append((json.loads(body), ok,
                                {k.lower(): v for k, v in self.headers.items()}))
        self.send_response(200 if ok else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def app(fake):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), EventHandler)
    srv.got = []
    srv.public_key = requests.get(fake.base_url + "/_fake/public_key").json()["public_key"]
    assert srv.public_key == fake.public_key and len(base64.b64decode(srv.public_key)) == 32
    srv.url = "http://127.0.0.1:%d/api/v1/telnyx/events" % srv.server_address[1]
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def callback(fake, **kw):
    r = requests.post(fake.base_url + "/_fake/callback", json=kw)
    assert r.status_code == 200, r.text
    return r.json()


def test_signed_callback(fake, api, app):
    ev = {"data": {"record_type": "event", "event_type": "call.answered",
                   "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
                   "occurred_at": "2026-01-02T03:04:05.678901Z",
                   "payload": {"call_control_id": "v3:abc", "state": "answered",
                               "note": "ünïcode & | pipes"}}}
    res = callback(fake, url=app.url, event=ev)
    assert res["status"] == 200, res
    got, ok, headers = app.got[-1]
    assert ok and got["data"] == ev["data"]
    assert got["meta"] == {"attempt": 1, "delivered_to": app.url}
    assert headers["content-type"] == "application/json"
    assert headers["telnyx-timestamp"] == str(res["timestamp"])
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(fake.public_key))
    key.verify(base64.b64decode(res["signature"]),
               ("%d|%s" % (res["timestamp"], res["sent"])).encode())
    for bad in ({"tamper": True}, {"wrong_key": True},
                {"timestamp": int(time.time()) - 600}):
        res = callback(fake, url=app.url, event=ev, **bad)
        assert res["status"] == 403, bad
        assert app.got[-1][1] is False
    # a stale timestamp still carries a valid signature over that timestamp
    key.verify(base64.b64decode(res["signature"]), ("%d|" % res["timestamp"]).encode()
               + res["sent"].encode())
    res = callback(fake, url=app.url, event=ev, meta=False)
    assert "meta" not in app.got[-1][0]
    r = requests.post(fake.base_url + "/_fake/callback",
                      json={"url": "http://example.com/cb", "event": ev})
    assert r.status_code == 400


def test_built_events_follow_the_call(fake, api, app):
    ccid = dial(api)["call_control_id"]
    call = fake.call(ccid)

    def send(event_type, **kw):
        res = callback(fake, url=app.url, build=dict(event_type=event_type, **kw))
        assert res["status"] == 200
        return app.got[-1][0]["data"]

    d = send("call.initiated", call_control_id=ccid)
    assert UUID.match(d["id"]) and d["record_type"] == "event" and d["occurred_at"]
    p = d["payload"]
    assert (p["call_control_id"], p["call_leg_id"], p["call_session_id"]) == \
        (ccid, call["call_leg_id"], call["call_session_id"])
    assert (p["client_state"], p["connection_id"], p["from"], p["to"], p["direction"],
            p["state"]) == (STATE, CONN, "+15559870000", "+15551230001", "outgoing", "bridging")
    p = send("call.answered", call_control_id=ccid)["payload"]
    assert p["state"] == "answered" and fake.call(ccid)["state"] == "answered"
    requests.post(fake.base_url + "/_fake/calls/" + ccid, json={"amd_result": "machine"})
    p = send("call.machine.detection.ended", call_control_id=ccid)["payload"]
    assert p["result"] == "machine"
    p = send("call.machine.detection.ended", call_control_id=ccid,
             payload={"result": "human"})["payload"]
    assert p["result"] == "human"

    op = browser_leg(fake, api)
    assert send("call.initiated", call_control_id=op, apply=False)["payload"]["direction"] \
        == "incoming"
    conf = api.post(api.base + "/conferences",
                    json={"call_control_id": op, "name": "call-42"}).json()["data"]
    d = send("conference.created", conference_id=conf["id"])
    assert "occurred_at" not in d and d["payload"]["occurred_at"]
    assert d["payload"]["conference_id"] == conf["id"] and d["payload"]["call_control_id"] == op
    p = send("conference.participant.joined", conference_id=conf["id"],
             call_control_id=ccid)["payload"]
    assert (p["conference_id"], p["call_control_id"]) == (conf["id"], ccid)
    assert {x["call_control_id"] for x in state(fake)["participants"][conf["id"]]} == {op, ccid}

    p = send("call.hangup", call_control_id=ccid, payload={"hangup_cause": "user_busy",
                                                           "hangup_source": "callee"})["payload"]
    assert (p["state"], p["hangup_cause"], p["hangup_source"], p["sip_hangup_cause"]) == \
        ("hangup", "user_busy", "callee", "486")
    c = fake.call(ccid)
    assert (c["state"], c["hangup_cause"]) == ("hangup", "user_busy")
    assert api.get(api.base + "/calls/" + ccid).json()["data"]["is_alive"] is False
    api.post(api.base + "/calls/%s/actions/hangup" % op, json={})
    p = send("conference.ended", conference_id=conf["id"])["payload"]
    assert p["reason"] == "all_left"
    # in-process helpers
    ev = fake.build_event("call.hangup", call_control_id=op, apply=False)
    assert ev["data"]["payload"]["hangup_cause"] == "normal_clearing"
    res = fake.send_event(app.url, "call.hangup", call_control_id=op, tamper=True)
    assert res["status"] == 403
    r = requests.post(fake.base_url + "/_fake/events", json={"event_type": "call.answered"})
    assert r.status_code == 400


def test_consent_actions_checked_and_kept(fake, api):
    ccid = answered_call(fake, api)
    act = api.base + "/calls/%s/actions/" % ccid
    speak = {"payload": "This call may be recorded.", "voice": "female", "language": "en-US",
             "payload_type": "text", "command_id": "consent-7", "client_state": STATE}
    for bad, field in (({"payload": "hi"}, "/voice"), ({"voice": "female"}, "/payload"),
                       (dict(speak, language="xx-XX"), "/language"),
                       (dict(speak, payload_type="html"), "/payload_type"),
                       (dict(speak, volume=3), "/volume")):
        r = api.post(act + "speak", json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert field in [e["source"]["pointer"] for e in r.json()["errors"]], (bad, r.text)
    assert api.post(act + "speak", json=speak).status_code == 200
    assert api.post(act + "speak", json=speak).status_code == 200  # Telnyx ignores the repeat
    play = {"audio_url": "https://media.example.test/consent.wav", "audio_type": "wav",
            "command_id": "consent-8"}
    assert api.post(act + "playback_start", json=play).status_code == 200
    r = api.post(act + "playback_start", json={"command_id": "x"})
    assert r.status_code == 422  # nothing to play
    r = api.post(act + "playback_start", json=dict(play, audio_type="ogg"))
    assert r.status_code == 422
    assert api.post(act + "record_start", json={"format": "mp3"}).status_code == 422
    assert api.post(act + "record_start",
                    json={"format": "mp3", "channels": "single"}).status_code == 200
    acts = [(a["action"], a["duplicate"]) for a in fake.call(ccid)["actions"]]
    assert acts == [("speak", False), ("speak", True), ("playback_start", False),
                    ("record_start", False)]


def test_recordings_listed_and_downloaded_presigned(fake, api, app):
    c = dial(api, record="record-from-answer")
    ccid = c["call_control_id"]
    other = dial(api)["call_control_id"]
    media = b"ID3" + bytes(range(256))
    r = requests.post(fake.base_url + "/_fake/recordings", json={
        "call_control_id": ccid, "duration_s": 12,
        "media_b64": base64.b64encode(media).decode()})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["id"] == c["recording_id"]  # the dial's answer named it
    assert rec["duration_millis"] == 12000 and rec["call_control_id"] == ccid
    requests.post(fake.base_url + "/_fake/recordings", json={"call_control_id": other})
    # Listed by leg, fetched by id, with our key only.
    assert requests.get(fake.url + "/recordings").status_code == 401
    got = api.get(api.base + "/recordings", params={"filter[call_control_id]": ccid}).json()
    assert [x["id"] for x in got["data"]] == [rec["id"]] and got["meta"]["total_results"] == 1
    got = api.get(api.base + "/recordings", params={"filter[call_leg_id]": rec["call_leg_id"]})
    assert [x["id"] for x in got.json()["data"]] == [rec["id"]]
    assert len(api.get(api.base + "/recordings").json()["data"]) == 2
    one = api.get(api.base + "/recordings/" + rec["id"]).json()["data"]
    assert "media_b64" not in one and not any(k.startswith("_") for k in one)
    assert api.get(api.base + "/recordings/nope").status_code == 404
    # The presigned URL: no key wanted, and a key refused.
    url = one["download_urls"]["mp3"]
    r = requests.get(url)
    assert r.status_code == 200 and r.content == media
    assert r.headers["Content-Type"] == "audio/mpeg"
    assert requests.get(url, headers={"Authorization": "Bearer " + KEY}).status_code == 400
    assert requests.get(url.replace("/_media/", "/_media/x")).status_code == 403
    downloads = state(fake)["downloads"]
    assert [d["status"] for d in downloads] == [200, 400, 403]
    assert state(fake)["recordings"][0]["media_length"] == len(media)
    # call.recording.saved as the spec has it.
    res = callback(fake, url=app.url, build={"event_type": "call.recording.saved",
                                             "call_control_id": ccid})
    assert res["status"] == 200
    p = app.got[-1][0]["data"]["payload"]
    assert p["recording_urls"] == {"mp3": url, "wav": None}
    assert p["call_leg_id"] == rec["call_leg_id"] and p["channels"] == "single"
    assert (p["recording_started_at"], p["recording_ended_at"]) == \
        (rec["recording_started_at"], rec["recording_ended_at"])
    r = requests.post(fake.base_url + "/_fake/events", json={
        "event_type": "call.recording.saved", "call_control_id": dial(api)["call_control_id"]})
    assert r.status_code == 400  # that leg was never recorded
    for ended in ("call.speak.ended", "call.playback.ended"):
        res = callback(fake, url=app.url, build={"event_type": ended, "call_control_id": ccid})
        assert app.got[-1][0]["data"]["payload"]["status"] == "completed"


def test_cli_ready_file(tmp_path):
    ready, pub = tmp_path / "port", tmp_path / "pub"
    p = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__),
                                                       "fake_telnyx.py"),
                          "--port", "0", "--api-key", KEY, "--ready-file", str(ready),
                          "--public-key-file", str(pub)])
    try:
        for _ in range(100):
            if ready.exists():
                break
            time.sleep(0.05)
        port = int(ready.read_text())
        base = "http://127.0.0.1:%d" % port
        r = requests.post(base + "/v2/calls", json=dict(DIAL, connection_id="any"),
                          headers={"Authorization": "Bearer " + KEY})
        assert r.status_code == 200 and r.json()["data"]["record_type"] == "call"
        key = requests.get(base + "/_fake/public_key").json()["public_key"]
        assert pub.read_text().strip() == key
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=5) == 0
