"""Tests for tests/fake/fake_twilio.py.  Run: /usr/bin/python3 -m pytest -q tests/fake"""
import base64
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from twilio.request_validator import RequestValidator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_twilio import FakeTwilio  # noqa: E402

AC = "AC" + "0123456789abcdef" * 2
TOKEN = "f" * 32
SK = "SK" + "fedcba9876543210" * 2
SECRET = "apikeysecret"
BASE = "/2010-04-01/Accounts/%s" % AC
SID = {p: re.compile("^%s[0-9a-f]{32}$" % p) for p in ("CA", "CF")}


@pytest.fixture(scope="module")
def server():
    f = FakeTwilio(AC, TOKEN, SK, SECRET).start()
    yield f
    f.stop()


@pytest.fixture
def fake(server):
    requests.post(server.url + "/_fake/reset").raise_for_status()
    return server


@pytest.fixture
def api(fake):
    s = requests.Session()
    s.auth = (AC, TOKEN)
    s.base = fake.url + BASE
    yield s
    s.close()


def fake_conf(fake, name):
    r = requests.post(fake.url + "/_fake/conferences", json={"friendly_name": name})
    assert r.status_code == 201
    return r.json()


def test_auth_required(fake):
    url = fake.url + BASE + "/Conferences.json"
    for auth in (None, (AC, "wrong"), (SK, "wrong"), ("AC" + "1" * 32, TOKEN)):
        r = requests.get(url, auth=auth)
        assert r.status_code == 401
        assert r.json() == {"code": 20003, "message": "Authenticate",
                            "more_info": "https://www.twilio.com/docs/errors/20003",
                            "status": 401}
    assert requests.get(url, auth=(AC, TOKEN)).status_code == 200
    assert requests.get(url, auth=(SK, SECRET)).status_code == 200
    r = requests.get(fake.url + "/2010-04-01/Nope.json", auth=(AC, TOKEN))
    assert r.status_code == 404 and r.json()["code"] == 20404


def test_create_call_and_recorded_params(fake, api):
    body = ("To=%2B15551230001&From=%2B15559870000&Twiml=%3CResponse%2F%3E"
            "&StatusCallback=https%3A%2F%2Fex.test%2Fcb&StatusCallbackEvent=initiated"
            "&StatusCallbackEvent=ringing&StatusCallbackEvent=answered"
            "&StatusCallbackEvent=completed&Timeout=20")
    r = api.post(api.base + "/Calls.json", data=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 201, r.text
    c = r.json()
    assert SID["CA"].match(c["sid"])
    assert (c["status"], c["to"], c["from"], c["account_sid"]) == \
        ("queued", "+15551230001", "+15559870000", AC)
    assert c["uri"] == BASE + "/Calls/%s.json" % c["sid"] and c["date_created"]
    reqs = requests.get(fake.url + "/_fake/requests").json()
    assert len(reqs) == 1
    rec = reqs[0]
    assert rec["method"] == "POST" and rec["path"] == BASE + "/Calls.json"
    assert rec["body"] == body
    assert rec["params"]["StatusCallbackEvent"] == ["initiated", "ringing", "answered",
                                                    "completed"]
    assert rec["params"]["To"] == ["+15551230001"]
    assert rec["headers"]["Authorization"].startswith("Basic ")
    # cancel/complete it
    r = api.post(api.base + "/Calls/%s.json" % c["sid"], data={"Status": "canceled"})
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    assert api.get(api.base + "/Calls/%s.json" % c["sid"]).json()["status"] == "canceled"


def test_call_validation(fake, api):
    r = api.post(api.base + "/Calls.json", data={"From": "+15559870000", "Twiml": "<Response/>"})
    assert r.status_code == 400 and r.json()["code"] == 21201 and "To" in r.json()["message"]
    # raw '+' decodes to a space: Twilio would reject the number
    r = api.post(api.base + "/Calls.json", data="To=+15551230001&From=%2B15559870000&Url=x",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and r.json()["code"] == 21211
    r = api.post(api.base + "/Calls.json", data={"To": "+15551230001", "From": "+15559870000",
                                                 "Twiml": "<Response/>", "StatusCallbackEvents": "x"})
    assert r.status_code == 400 and "StatusCallbackEvents" in r.json()["message"]
    r = api.post(api.base + "/Calls.json", data={"To": "+15551230001", "From": "+15559870000"})
    assert r.status_code == 400 and r.json()["code"] == 21205
    r = api.post(api.base + "/Calls/CA%s.json" % ("0" * 32), data={"Status": "completed"})
    assert r.status_code == 404 and r.json()["code"] == 20404


def test_conference_lookup_participants_and_completion(fake, api):
    made = fake_conf(fake, "call-42")
    fake_conf(fake, "call-43")
    cf = made["sid"]
    assert SID["CF"].match(cf) and SID["CA"].match(made["call_sid"])
    r = api.get(api.base + "/Conferences.json",
                params={"FriendlyName": "call-42", "Status": "in-progress"})
    assert r.status_code == 200
    page = r.json()
    assert [c["sid"] for c in page["conferences"]] == [cf]
    assert page["conferences"][0]["friendly_name"] == "call-42"
    assert {"page", "page_size", "uri", "first_page_uri", "next_page_uri"} <= set(page)
    assert api.get(api.base + "/Conferences.json",
                   params={"FriendlyName": "nope"}).json()["conferences"] == []

    r = api.post(api.base + "/Conferences/%s/Participants.json" % cf, data=[
        ("From", "+15559870000"), ("To", "+15551230001"), ("Timeout", "20"),
        ("EarlyMedia", "true"), ("Beep", "false"), ("EndConferenceOnExit", "true"),
        ("StatusCallback", "https://ex.test/cb"), ("StatusCallbackEvent", "initiated"),
        ("StatusCallbackEvent", "ringing"), ("StatusCallbackEvent", "answered"),
        ("StatusCallbackEvent", "completed")])
    assert r.status_code == 201, r.text
    p = r.json()
    assert SID["CA"].match(p["call_sid"]) and p["conference_sid"] == cf
    assert (p["status"], p["muted"], p["hold"]) == ("queued", False, False)
    ca = p["call_sid"]

    purl = api.base + "/Conferences/%s/Participants/%s.json" % (cf, ca)
    r = api.post(purl, data={"Muted": "true"})
    assert r.status_code == 200 and r.json()["muted"] is True
    r = api.post(purl, data={"Hold": "true"})
    assert r.status_code == 200 and r.json()["hold"] is True and r.json()["muted"] is True
    r = api.post(purl, data={"Muted": "false", "Hold": "false"})
    assert (r.json()["muted"], r.json()["hold"]) == (False, False)
    assert api.post(purl, data={"Muted": "yes"}).status_code == 400
    assert api.post(purl, data={"Mute": "true"}).status_code == 400
    lst = api.get(api.base + "/Conferences/%s/Participants.json" % cf).json()
    assert {x["call_sid"] for x in lst["participants"]} == {made["call_sid"], ca}

    r = api.post(api.base + "/Conferences/%s.json" % cf, data={"Status": "completed"})
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert api.get(api.base + "/Conferences/%s.json" % cf).json()["status"] == "completed"
    assert api.get(api.base + "/Conferences/%s/Participants.json" % cf).json()[
        "participants"] == []
    assert api.get(api.base + "/Calls/%s.json" % ca).json()["status"] == "completed"
    assert api.get(api.base + "/Conferences.json", params={
        "FriendlyName": "call-42", "Status": "in-progress"}).json()["conferences"] == []
    r = api.post(api.base + "/Conferences/%s/Participants.json" % cf,
                 data={"From": "+15559870000", "To": "+15551230001"})
    assert r.status_code == 400


def add_fault(fake, **kw):
    r = requests.post(fake.url + "/_fake/faults", json=kw)
    assert r.status_code == 201, r.text


CALL = {"To": "+15551230001", "From": "+15559870000", "Twiml": "<Response/>"}


@pytest.mark.parametrize("status,retry", [(500, None), (503, "2"), (429, "1")])
def test_fault_status(fake, api, status, retry):
    add_fault(fake, method="POST", path=r"/Calls\.json$", count=2, status=status,
              retry_after=retry)
    for _ in range(2):
        r = api.post(api.base + "/Calls.json", data=CALL)
        assert r.status_code == status
        j = r.json()
        assert j["status"] == status and isinstance(j["code"], int) and j["message"]
        assert j["more_info"].startswith("https://www.twilio.com/docs/errors/")
        assert r.headers.get("Retry-After") == retry
    assert api.post(api.base + "/Calls.json", data=CALL).status_code == 201
    st = requests.get(fake.url + "/_fake/state").json()
    assert len(st["calls"]) == 1  # faulted requests change nothing
    assert [x["fault"] for x in requests.get(fake.url + "/_fake/requests").json()] == \
        ["status", "status", None]


def test_fault_method_filter(fake, api):
    add_fault(fake, method="GET", path="Conferences", status=500)
    assert api.post(api.base + "/Calls.json", data=CALL).status_code == 201
    assert api.get(api.base + "/Conferences.json").status_code == 500
    assert api.get(api.base + "/Conferences.json").status_code == 200


def test_fault_delay(fake, api):
    add_fault(fake, path="Conferences", action="delay", delay=0.4)
    t = time.monotonic()
    assert api.get(api.base + "/Conferences.json").status_code == 200
    assert time.monotonic() - t >= 0.4
    with pytest.raises(requests.exceptions.Timeout):
        add_fault(fake, path="Conferences", action="delay", delay=0.5)
        api.get(api.base + "/Conferences.json", timeout=0.1)


def test_fault_close(fake, api):
    add_fault(fake, path=r"/Calls\.json", action="close")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post(api.base + "/Calls.json", data=CALL)
    assert requests.get(fake.url + "/_fake/state").json()["calls"] == []
    # close_after: the request reached "Twilio" (call exists) but no answer came back
    add_fault(fake, path=r"/Calls\.json", action="close_after")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post(api.base + "/Calls.json", data=CALL)
    assert len(requests.get(fake.url + "/_fake/state").json()["calls"]) == 1


def test_fault_malformed(fake, api):
    add_fault(fake, path=r"/Calls\.json", action="malformed", status=201)
    r = api.post(api.base + "/Calls.json", data=CALL)
    assert r.status_code == 201
    with pytest.raises(ValueError):
        r.json()


def test_keepalive_connection_count(fake, api):
    for _ in range(5):
        assert api.get(api.base + "/Conferences.json").status_code == 200
    assert requests.get(fake.url + "/_fake/stats").json() == {"connections": 1, "requests": 5}


class SigHandler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
        url = self.server.public_base + self.path
        ok = RequestValidator(TOKEN).validate(url, params, self.headers.get("X-Twilio-Signature", ""))
        self.server.got.append(params)
        self.send_response(204 if ok else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def app():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), SigHandler)
    srv.got = []
    srv.public_base = "http://127.0.0.1:%d" % srv.server_address[1]
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_signed_callback(fake, app):
    url = app.public_base + "/api/v1/twilio/conference-status?x=1"
    params = {"AccountSid": AC, "ConferenceSid": "CF" + "a" * 32, "FriendlyName": "call-42",
              "StatusCallbackEvent": "participant-join", "Muted": "false", "Note": "a+b & c"}
    r = requests.post(fake.url + "/_fake/callback", json={"url": url, "params": params})
    assert r.status_code == 200 and r.json()["status"] == 204, r.text
    assert app.got == [params]
    r = requests.post(fake.url + "/_fake/callback",
                      json={"url": url, "params": params, "tamper": True})
    assert r.json()["status"] == 403
    # app behind a proxy: sign the public URL, deliver to loopback
    app.public_base = "https://dialer.example.test"
    r = requests.post(fake.url + "/_fake/callback", json={
        "url": url, "signature_url": "https://dialer.example.test/api/v1/twilio/conference-status?x=1",
        "params": params})
    assert r.json()["status"] == 204
    r = requests.post(fake.url + "/_fake/callback",
                      json={"url": "http://example.com/cb", "params": params})
    assert r.status_code == 400


def test_recording_params_checked(fake, api):
    conf = fake_conf(fake, "rec-1")
    part = api.base + "/Conferences/%s/Participants.json" % conf["sid"]
    ok = {"From": "+15559870000", "To": "+15551230001", "ConferenceRecord": "record-from-start",
          "ConferenceRecordingStatusCallback": "https://ex.test/rec?call=1",
          "ConferenceRecordingStatusCallbackMethod": "POST",
          "ConferenceRecordingStatusCallbackEvent": "completed"}
    assert api.post(part, data=ok).status_code == 201
    for bad in ({"ConferenceRecord": "always"},
                {"ConferenceRecordingStatusCallback": "not a url"},
                {"ConferenceRecordingStatusCallbackMethod": "PUT"},
                {"ConferenceRecordingStatusCallbackEvent": "done"}):
        r = api.post(part, data=dict(ok, **bad))
        assert r.status_code == 400, bad
    call = {"From": "+15559870000", "To": "+15551230001", "Twiml": "<Response/>",
            "Record": "true", "RecordingStatusCallback": "https://ex.test/rec",
            "RecordingStatusCallbackEvent": "completed"}
    assert api.post(api.base + "/Calls.json", data=call).status_code == 201
    assert api.post(api.base + "/Calls.json", data=dict(call, Record="yes")).status_code == 400


def test_announce_url_fetched_signed(fake, api, app):
    conf = fake_conf(fake, "rec-2")
    op = conf["call_sid"]
    url = app.public_base + "/api/v1/twilio/consent?call=9"
    path = api.base + "/Conferences/%s/Participants/%s.json" % (conf["sid"], op)
    assert api.post(path, data={"AnnounceUrl": "nope"}).status_code == 400
    assert api.post(path, data={"AnnounceUrl": url, "AnnounceMethod": "PUT"}).status_code == 400
    r = api.post(path, data={"AnnounceUrl": url, "AnnounceMethod": "POST"})
    assert r.status_code == 200, r.text
    for _ in range(100):
        (a,) = requests.get(fake.url + "/_fake/state").json()["announcements"]
        if a["answer"] is not None:
            break
        time.sleep(0.05)
    assert (a["conference_sid"], a["call_sid"], a["url"], a["method"]) == \
        (conf["sid"], op, url, "POST")
    assert a["answer"]["status"] == 204  # the stand-in app verified the signature
    assert app.got[-1] == {"AccountSid": AC, "ApiVersion": "2010-04-01",
                           "ConferenceSid": conf["sid"], "CallSid": op}
    # Not on loopback: kept, not fetched.
    api.post(path, data={"AnnounceUrl": "https://dialer.example.test/consent"})
    for _ in range(100):
        b = requests.get(fake.url + "/_fake/state").json()["announcements"][1]
        if b["answer"] is not None:
            break
        time.sleep(0.05)
    assert b["answer"]["status"] == 0 and "loopback" in b["answer"]["error"]


def test_recording_media_and_callback(fake, api, app):
    conf = fake_conf(fake, "rec-3")
    media = bytes(range(256)) * 4
    r = requests.post(fake.url + "/_fake/recordings", json={
        "conference_sid": conf["sid"], "duration": 12,
        "media_b64": base64.b64encode(media).decode()})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert re.match("^RE[0-9a-f]{32}$", rec["sid"]) and rec["duration"] == "12"
    base = api.base + "/Recordings/" + rec["sid"]
    assert requests.get(base + ".mp3").status_code == 401  # our credentials only
    r = api.get(base + ".mp3")
    assert r.status_code == 200 and r.content == media
    assert r.headers["Content-Type"] == "audio/mpeg"
    assert api.get(base + ".wav").headers["Content-Type"] == "audio/x-wav"
    j = api.get(base + ".json").json()
    assert j["sid"] == rec["sid"] and j["conference_sid"] == conf["sid"]
    assert not any(k.startswith("_") for k in j)
    assert api.get(api.base + "/Recordings/RE" + "0" * 32 + ".mp3").status_code == 404
    url = app.public_base + "/api/v1/twilio/recording-status?call=9"
    r = requests.post(fake.url + "/_fake/recordings/%s/callback" % rec["sid"], json={"url": url})
    assert r.status_code == 200 and r.json()["status"] == 204
    got = app.got[-1]
    assert (got["RecordingSid"], got["RecordingStatus"], got["RecordingDuration"],
            got["ConferenceSid"], got["AccountSid"]) == \
        (rec["sid"], "completed", "12", conf["sid"], AC)
    assert got["RecordingUrl"].endswith("/Recordings/" + rec["sid"])
    r = requests.post(fake.url + "/_fake/recordings/%s/callback" % rec["sid"],
                      json={"url": url, "tamper": True})
    assert r.json()["status"] == 403
    r = requests.post(fake.url + "/_fake/recordings/%s/callback" % rec["sid"],
                      json={"url": url, "status": "absent"})
    assert "RecordingDuration" not in app.got[-1] and app.got[-1]["RecordingStatus"] == "absent"
    assert requests.post(fake.url + "/_fake/recordings/RE%s/callback" % ("1" * 32),
                         json={"url": url}).status_code == 404
    st = requests.get(fake.url + "/_fake/state").json()
    assert st["recordings"][0]["media_length"] == len(media)


def test_cli_ready_file(tmp_path):
    ready = tmp_path / "port"
    p = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "fake_twilio.py"),
                          "--port", "0", "--account-sid", AC, "--auth-token", TOKEN,
                          "--ready-file", str(ready)])
    try:
        for _ in range(100):
            if ready.exists():
                break
            time.sleep(0.05)
        port = int(ready.read_text())
        r = requests.get("http://127.0.0.1:%d%s/Conferences.json" % (port, BASE), auth=(AC, TOKEN))
        assert r.status_code == 200 and r.json()["conferences"] == []
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=5) == 0
