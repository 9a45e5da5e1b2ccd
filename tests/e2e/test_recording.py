"""Recording with consent (DIALER_RECORD_CALLS) end to end through the real
server, under Twilio and Telnyx (their stateful fakes, tests/fake) and the
simulator.

Off by default: no consent announcement, no recording asked for. On: the
call is marked recorded when the prospect is dialed, the prospect hears the
consent announcement before anything else (Twilio: a participant update
whose AnnounceUrl is our signed consent webhook, fetched by the fake as
Twilio would; Telnyx: speak or playback_start on their leg, the room only
after it ended), the provider's signed recording callback is kept once, and
GET /api/v1/calls/{id}/recording streams the provider's bytes, fetched with
our credentials, to the call's owner and admins only.
"""
import base64
import os
import secrets
import sys
import time
import xml.etree.ElementTree as ET

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fake"))

from conftest import Server, assert_error  # noqa: E402
from fake_telnyx import FakeTelnyx  # noqa: E402
from fake_twilio import FakeTwilio  # noqa: E402
import test_telnyx_flow as tx  # noqa: E402  (its helpers, not its tests)
import test_twilio_flow as tw  # noqa: E402
from test_twilio_rest import (ACCOUNT_SID, API_KEY_SECRET, API_KEY_SID,  # noqa: E402
                              AUTH_TOKEN, twilio_env)

# Markup characters, escaped in TwiML (a double quote cannot pass through
# Apache's FcgidInitialEnv; unit tests cover it).
CONSENT = "Calls are recorded & kept <30 days>, it's for training."
DEFAULT_CONSENT = "This call may be recorded for quality and training."
AUDIO = "https://media.example.test/consent.mp3?v=1&x=2"
RECORD = {"DIALER_RECORD_CALLS": "1"}


# --- fakes and servers ----------------------------------------------------

@pytest.fixture(scope="module")
def twilio():
    f = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, API_KEY_SID, API_KEY_SECRET).start()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def telnyx():
    f = FakeTelnyx(tx.API_KEY, tx.CONNECTION_ID, tx.CREDENTIAL_ID).start()
    yield f
    f.stop()


@pytest.fixture(autouse=True)
def clean_fakes(request):
    for name in ("twilio", "telnyx"):
        if name in request.fixturenames:
            f = request.getfixturevalue(name)
            base = f.url if name == "twilio" else f.base_url
            requests.post(base + "/_fake/reset", timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def tw_rec(twilio):
    env = twilio_env(twilio.url)
    env.update(RECORD, DIALER_RECORDING_CONSENT_TEXT=CONSENT)
    srv = Server(env).start()
    yield srv
    srv.cleanup()


@pytest.fixture(scope="module")
def tx_rec(telnyx):
    env = tx.telnyx_env(telnyx)
    env.update(RECORD)
    srv = Server(env).start()
    yield srv
    srv.cleanup()


def operator(srv):
    user, password = srv.create_user()
    return srv.login(user["username"], password), user


def get_call(srv, session, call_id):
    r = session.get(srv.url("/api/v1/calls/%d" % call_id), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["call"]


def recording(srv, session, call_id, **kw):
    return session.get(srv.url("/api/v1/calls/%d/recording" % call_id), timeout=60, **kw)


def route_logged(srv, request_id):
    """The route the request log gave one request."""
    for line in srv.log_text("requests.log").splitlines():
        if "request_id=%s " % request_id in line + " ":
            return line.split(" route=", 1)[1].split(" ", 1)[0]
    raise AssertionError("request %s not in requests.log" % request_id)


def assert_listenable(srv, owner, call_id, media, content_type):
    """The owner and admins (session and API key) get the bytes; another
    operator gets the 404 a missing call gets."""
    admin = srv.login("admin", srv.admin_password)
    for who in (owner, admin):
        r = recording(srv, who, call_id)
        assert r.status_code == 200, r.text[:500]
        assert r.content == media
        assert r.headers["Content-Type"] == content_type
        assert r.headers["Content-Length"] == str(len(media))
        assert r.headers.get("Cache-Control") == "no-store"
        assert "X-Dialer-Simulated" not in r.headers
    r = srv.api("GET", "/api/v1/calls/%d/recording" % call_id)
    assert r.status_code == 200 and r.content == media
    assert route_logged(srv, r.headers["X-Request-Id"]) == "/api/v1/calls/{id}/recording"
    other, _ = operator(srv)
    assert_error(recording(srv, other, call_id), 404, "call_not_found")
    assert_error(srv.api("GET", "/api/v1/calls/999999/recording"), 404, "call_not_found")
    assert_error(requests.get(srv.url("/api/v1/calls/%d/recording" % call_id), timeout=30), 401)
    r = srv.api("POST", "/api/v1/calls/%d/recording" % call_id)
    assert_error(r, 405)


def call_row(srv, call_id):
    with srv.db() as db:
        return db.execute("SELECT recorded, recording_sid, recording_url, recording_duration_s, "
                          "updated_at FROM calls WHERE id = ?", (call_id,)).fetchone()


# --- Twilio -----------------------------------------------------------------

def twilio_answered(fake, srv, session, user):
    """An operator's call whose prospect was dialed and answered: (call, CF, leg)."""
    call = tw.operator_call(srv, session)["call"]
    cf = tw.join(fake, srv, call, "op_%d" % user["id"])
    leg = get_call(srv, session, call["id"])["call_sid"]
    r = tw.call_status(fake, srv, call["id"], leg, "in-progress")
    assert r["status"] == 204, r
    return call, cf, leg


def announcement(fake):
    """The one AnnounceUrl asked for, once the fake has fetched it."""
    deadline = time.monotonic() + 10
    while True:
        got = requests.get(fake.url + "/_fake/state", timeout=10).json()["announcements"]
        if got and got[0]["answer"] is not None:
            assert len(got) == 1, got
            return got[0]
        assert time.monotonic() < deadline, got
        time.sleep(0.05)


def test_twilio_off_by_default(twilio, server_factory):
    srv = server_factory(twilio_env(twilio.url))
    s, user = operator(srv)
    call, cf, leg = twilio_answered(twilio, srv, s, user)
    (dial,) = tw.ours(twilio, "POST", "/Participants.json")
    assert not [k for k in dial["params"] if "Record" in k], dial["params"]
    assert tw.ours(twilio, "POST", "/Participants/%s.json" % leg) == []
    c = get_call(srv, s, call["id"])
    assert c["status"] == "in-progress"
    assert (c["recorded"], c["has_recording"], c["recording_duration_s"]) == (False, False, None)
    err = assert_error(recording(srv, s, call["id"]), 404, "recording_not_found")
    assert err["message"] == "This call was not recorded."
    # A recording callback for a call we never asked to record is not kept.
    rec = requests.post(twilio.url + "/_fake/recordings", json={"conference_sid": cf},
                        timeout=10).json()
    r = requests.post(twilio.url + "/_fake/recordings/%s/callback" % rec["sid"], json={
        "url": srv.url("/api/v1/twilio/recording-status?call=%d" % call["id"])},
        timeout=30).json()
    assert r["status"] == 204
    assert get_call(srv, s, call["id"])["has_recording"] is False


def test_twilio_consent_recording_and_player(twilio, tw_rec):
    srv, fake = tw_rec, twilio
    s, user = operator(srv)
    call, cf, leg = twilio_answered(fake, srv, s, user)
    cid = call["id"]
    (dial,) = tw.ours(fake, "POST", "/Participants.json")
    p = dial["params"]
    assert p["ConferenceRecord"] == ["record-from-start"]
    assert p["ConferenceRecordingStatusCallback"] == [
        srv.url("/api/v1/twilio/recording-status?call=%d" % cid)]
    assert p["ConferenceRecordingStatusCallbackMethod"] == ["POST"]
    assert p["ConferenceRecordingStatusCallbackEvent"] == ["completed"]
    # The first thing after the answer: the consent, to the prospect alone.
    made = requests.get(fake.url + "/_fake/requests", timeout=10).json()
    after = made[made.index(dial) + 1:]
    assert [(q["method"], q["path"].rsplit("/", 1)[-1]) for q in after] == \
        [("POST", leg + ".json")], after
    assert after[0]["params"] == {
        "AnnounceUrl": [srv.url("/api/v1/twilio/consent?call=%d" % cid)],
        "AnnounceMethod": ["POST"]}
    a = announcement(fake)
    assert (a["conference_sid"], a["call_sid"]) == (cf, leg)
    assert a["answer"]["status"] == 200, a
    root = ET.fromstring(a["answer"]["body"])
    assert [e.tag for e in root] == ["Say"] and root.find("Say").text == CONSENT
    c = get_call(srv, s, cid)
    assert (c["status"], c["recorded"], c["has_recording"]) == ("in-progress", True, False)
    err = assert_error(recording(srv, s, cid), 404, "recording_not_found")
    assert "not delivered" in err["message"]

    # The call ends; Twilio's recording is ready and says so, signed.
    r = tw.call_status(fake, srv, cid, leg, "completed", CallDuration="42")
    assert r["status"] == 204
    media = b"ID3\x04\x00" + secrets.token_bytes(3000)
    rec = requests.post(fake.url + "/_fake/recordings", json={
        "conference_sid": cf, "duration": 41, "media_b64": base64.b64encode(media).decode()},
        timeout=10).json()
    hook = srv.url("/api/v1/twilio/recording-status?call=%d" % cid)

    # Forged first: refused, nothing kept.
    r = requests.post(fake.url + "/_fake/recordings/%s/callback" % rec["sid"],
                      json={"url": hook, "tamper": True}, timeout=30).json()
    assert r["status"] == 403 and "invalid_signature" in r["body"]
    assert get_call(srv, s, cid)["has_recording"] is False

    r = requests.post(fake.url + "/_fake/recordings/%s/callback" % rec["sid"],
                      json={"url": hook}, timeout=30).json()
    assert r["status"] == 204, r
    c = get_call(srv, s, cid)
    assert (c["recorded"], c["has_recording"], c["recording_duration_s"]) == (True, True, 41)
    # Neither the provider's id nor its URL reaches the browser.
    body = s.get(srv.url("/api/v1/calls/%d" % cid), timeout=30).text
    assert rec["sid"] not in body and "twilio.com" not in body
    row = call_row(srv, cid)
    assert row[1] == rec["sid"] and row[2].endswith("/Recordings/" + rec["sid"])

    # Delivered again: nothing changes.
    r = requests.post(fake.url + "/_fake/recordings/%s/callback" % rec["sid"],
                      json={"url": hook}, timeout=30).json()
    assert r["status"] == 204
    assert call_row(srv, cid) == row and get_call(srv, s, cid) == c

    assert_listenable(srv, s, cid, media, "audio/mpeg")
    # Fetched from the Recording resource, with our account's credentials.
    gets = tw.ours(fake, "GET", "/Recordings/%s.mp3" % rec["sid"])
    assert len(gets) == 3 and all(tw.basic_ok(q) for q in gets)

    # Twilio has lost it since: said so, nothing streamed.
    requests.post(fake.url + "/_fake/reset", timeout=10)
    err = assert_error(recording(srv, s, cid), 404, "recording_not_found")
    assert "no longer" in err["message"]


def test_twilio_consent_audio(twilio, server_factory):
    env = twilio_env(twilio.url)
    env.update(RECORD, DIALER_RECORDING_CONSENT_URL=AUDIO)
    srv = server_factory(env)
    s, user = operator(srv)
    twilio_answered(twilio, srv, s, user)
    root = ET.fromstring(announcement(twilio)["answer"]["body"])
    assert [e.tag for e in root] == ["Play"] and root.find("Play").text == AUDIO


def test_twilio_seed_order_says_it_first(twilio, tw_rec):
    r = tw_rec.api("POST", "/aicallgo/api/v1/cold-call/initiate", json={"to_phone": tw.TO})
    assert r.status_code == 200, r.text
    (q,) = tw.ours(twilio, "POST", "/Calls.json")
    assert q["params"]["Record"] == ["true"]
    assert q["params"]["RecordingStatusCallback"] == [
        tw_rec.url("/api/v1/twilio/recording-status?call=%d" % r.json()["call_id"])]
    root = ET.fromstring(q["params"]["Twiml"][0])
    assert [e.tag for e in root] == ["Say", "Dial"] and root.find("Say").text == CONSENT


# --- Telnyx -----------------------------------------------------------------

def telnyx_dialed(fake, srv):
    """An API-key call whose prospect was dialed: (call, prospect leg, conf, hook)."""
    call = srv.api("POST", "/api/v1/calls", json={"to_phone": tx.TO}).json()["call"]
    _, conf = tx.operator_joins(fake, srv, call)
    leg = srv.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]["call_sid"]
    return call, leg, conf, srv.url("/api/v1/telnyx/call-status?call=%d" % call["id"])


def requests_after(fake, first):
    made = requests.get(fake.base_url + "/_fake/requests", timeout=10).json()
    return made[[q["path"] for q in made].index(first) + 1:]


def test_telnyx_off_by_default(telnyx, server_factory):
    srv = server_factory(tx.telnyx_env(telnyx))
    call, leg, conf, hook = telnyx_dialed(telnyx, srv)
    (dial,) = tx.made(telnyx, "POST", "/calls")
    assert "record" not in dial["json"]
    assert telnyx.send_event(hook, "call.answered", call_control_id=leg)["status"] == 204
    after = requests_after(telnyx, "/v2/calls")
    assert [q["path"] for q in after] == ["/v2/conferences/%s/actions/join" % conf]
    c = srv.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]
    assert (c["status"], c["recorded"], c["has_recording"]) == ("in-progress", False, False)
    assert_error(srv.api("GET", "/api/v1/calls/%d/recording" % call["id"]), 404,
                 "recording_not_found")


def test_telnyx_consent_recording_and_player(telnyx, tx_rec):
    srv, fake = tx_rec, telnyx
    s, user = operator(srv)
    r = s.post(srv.url("/api/v1/calls"), json={"to_phone": tx.TO}, timeout=30)
    assert r.status_code == 201, r.text
    call = r.json()["call"]
    cid = call["id"]
    _, conf = tx.operator_joins(fake, srv, call)
    leg = get_call(srv, s, cid)["call_sid"]
    hook = srv.url("/api/v1/telnyx/call-status?call=%d" % cid)
    (dial,) = tx.made(fake, "POST", "/calls")
    assert dial["json"]["record"] == "record-from-answer"
    assert get_call(srv, s, cid)["recorded"] is True

    # Answered: the consent to their leg, and nothing else yet.
    assert fake.send_event(hook, "call.answered", call_control_id=leg)["status"] == 204
    after = requests_after(fake, "/v2/calls")
    assert [q["path"] for q in after] == ["/v2/calls/%s/actions/speak" % leg], after
    body = after[0]["json"]
    assert (body["payload"], body["voice"], body["language"], body["payload_type"]) == \
        (DEFAULT_CONSENT, "female", "en-US", "text")
    assert body["command_id"] == "consent-%d" % cid
    # Another leg's announcement ending is not theirs.
    other = tx.browser_leg(fake)
    requests.post(fake.base_url + "/_fake/calls/" + other, json={"state": "answered"},
                  timeout=10)
    ev = fake.build_event("call.speak.ended", call_control_id=other)
    assert fake.callback(hook, ev)["status"] == 204
    assert tx.made(fake, "POST", "/actions/join") == []
    # Heard through: into the room.
    assert fake.send_event(hook, "call.speak.ended", call_control_id=leg)["status"] == 204
    (j,) = tx.made(fake, "POST", "/conferences/%s/actions/join" % conf)
    assert j["json"]["call_control_id"] == leg
    assert get_call(srv, s, cid)["status"] == "in-progress"

    # The call ends; Telnyx saves the recording and says so, signed.
    assert fake.send_event(hook, "call.hangup", call_control_id=leg)["status"] == 204
    media = b"ID3\x04\x00" + secrets.token_bytes(2000)
    rec = requests.post(fake.base_url + "/_fake/recordings", json={
        "call_control_id": leg, "duration_s": 9,
        "media_b64": base64.b64encode(media).decode()}, timeout=10).json()
    saved = fake.build_event("call.recording.saved", call_control_id=leg)
    for bad in ({"wrong_key": True}, {"tamper": True}):
        r = fake.callback(hook, saved, **bad)
        assert r["status"] == 403, (bad, r)
    assert get_call(srv, s, cid)["has_recording"] is False
    assert fake.callback(hook, saved)["status"] == 204
    c = get_call(srv, s, cid)
    assert (c["recorded"], c["has_recording"], c["recording_duration_s"]) == (True, True, 9)
    row = call_row(srv, cid)
    assert row[1] == rec["call_leg_id"] and "/_media/" in row[2]
    assert "_media" not in s.get(srv.url("/api/v1/calls/%d" % cid), timeout=30).text
    # The same delivery again (Telnyx retries): nothing changes.
    assert fake.callback(hook, saved)["status"] == 204
    assert call_row(srv, cid) == row and get_call(srv, s, cid) == c

    assert_listenable(srv, s, cid, media, "audio/mpeg")
    # Found again with our key; downloaded from the presigned URL without it.
    lists = tx.made(fake, "GET", "/recordings")
    assert len(lists) == 3
    assert all(q["headers"]["Authorization"] == "Bearer " + tx.API_KEY for q in lists)
    assert all(q["query"]["filter[call_control_id]"] == [leg] for q in lists)
    downloads = requests.get(fake.base_url + "/_fake/state", timeout=10).json()["downloads"]
    assert len(downloads) == 3
    assert all(d["status"] == 200 and "Authorization" not in d["headers"] for d in downloads)

    # Recorded again, and this time storage answers with a web page: not
    # passed on to the browser as if it were audio.
    requests.post(fake.base_url + "/_fake/recordings", json={
        "call_control_id": leg, "content_type": "text/html"}, timeout=10).raise_for_status()
    assert fake.send_event(hook, "call.recording.saved", call_control_id=leg)["status"] == 204
    assert call_row(srv, cid)[2] != row[2]  # the newer recording replaced it
    err = assert_error(recording(srv, s, cid), 502, "provider_error")
    assert "not audio" in err["message"]


def test_telnyx_consent_audio(telnyx, server_factory):
    env = tx.telnyx_env(telnyx)
    env.update(RECORD, DIALER_RECORDING_CONSENT_URL=AUDIO)
    srv = server_factory(env)
    call, leg, conf, hook = telnyx_dialed(telnyx, srv)
    assert telnyx.send_event(hook, "call.answered", call_control_id=leg)["status"] == 204
    (play,) = tx.made(telnyx, "POST", "/calls/%s/actions/playback_start" % leg)
    assert play["json"]["audio_url"] == AUDIO and "audio_type" not in play["json"]
    assert tx.made(telnyx, "POST", "/actions/speak") == []
    assert tx.made(telnyx, "POST", "/actions/join") == []
    # The audio cannot be played: the prospect is hung up on, not recorded unheard.
    r = telnyx.send_event(hook, "call.playback.ended", call_control_id=leg,
                          payload={"status": "file_not_found"})
    assert r["status"] == 204
    assert tx.made(telnyx, "POST", "/calls/%s/actions/hangup" % leg)
    assert tx.made(telnyx, "POST", "/actions/join") == []
    c = srv.api("GET", "/api/v1/calls/%d" % call["id"]).json()["call"]
    assert (c["status"], c["failure_reason"]) == ("failed", "consent_failed")


# --- the simulator ------------------------------------------------------------

def sim_call(srv, session, talked_s):
    """A simulated call dialed talked_s + 4 seconds ago (answered after 4)."""
    r = session.post(srv.url("/api/v1/calls"), json={"to_phone": "+12025550143"}, timeout=30)
    assert r.status_code == 201, r.text
    call = r.json()["call"]
    srv.db_write("UPDATE calls SET dialed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?) "
                 "WHERE id = ?", "-%d seconds" % (talked_s + 4), call["id"])
    return call


def test_sim_off_by_default(server, operator):
    s, user, _ = operator
    call = sim_call(server, s, 40)
    c = get_call(server, s, call["id"])
    assert (c["status"], c["recorded"], c["has_recording"]) == ("completed", False, False)
    assert_error(recording(server, s, call["id"]), 404, "recording_not_found")


def test_sim_recording_is_a_generated_wav(server_factory):
    srv = server_factory(RECORD)
    s, user = operator(srv)
    call = sim_call(srv, s, 40)
    c = get_call(srv, s, call["id"])
    assert (c["status"], c["recorded"], c["has_recording"], c["recording_duration_s"]) == \
        ("completed", True, True, 30)
    admin = srv.login("admin", srv.admin_password)
    for who in (s, admin):
        r = recording(srv, who, call["id"])
        assert r.status_code == 200, r.text[:300]
        assert r.headers["Content-Type"] == "audio/wav"
        assert r.headers["X-Dialer-Simulated"] == "1"
        assert r.content[:4] == b"RIFF" and r.content[8:16] == b"WAVEfmt "
        assert len(r.content) == 44 + 3 * 8000 * 2  # capped at three seconds
        assert r.headers["Content-Length"] == str(len(r.content))
    other, _ = operator(srv)
    assert_error(recording(srv, other, call["id"]), 404, "call_not_found")
    # Still talking: no recording yet.
    call = sim_call(srv, s, 1)
    c = get_call(srv, s, call["id"])
    assert (c["status"], c["has_recording"]) == ("in-progress", False)
    assert_error(recording(srv, s, call["id"]), 404, "recording_not_found")
