"""The seed's API, /aicallgo/api/v1/cold-call/..., for clients written
against it: the seed's field names and order (the prospect is rung at once,
the browser joins after), on our calls, limits and providers."""
import xml.etree.ElementTree as ET

import pytest
import requests

from conftest import assert_error
from test_twilio_rest import (fake,  # noqa: F401 -- the module's fake Twilio
                              ACCOUNT_SID, CALLER_ID, TO, basic_ok, ours, twilio_env)

BASE = "/aicallgo/api/v1/cold-call/"


@pytest.fixture(scope="module")
def tw(fake):
    from conftest import Server
    srv = Server(twilio_env(fake.url)).start()
    yield srv
    srv.cleanup()


def initiate(srv, **body):
    body.setdefault("to_phone", TO)
    r = srv.api("POST", BASE + "initiate", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_sim_initiate_join_control_end_status(server):
    out = initiate(server, provider="sim")
    assert set(out) >= {"conference_sid", "conference_id", "call_sid", "access_token",
                        "status", "provider"}
    assert out["provider"] == "sim" and out["status"] == "initiated"
    assert out["conference_id"].startswith("cd-") and out["call_sid"].startswith("SIM")
    conf = out["conference_sid"]

    r = server.api("POST", BASE + "webrtc-join",
                   json={"conference_id": out["conference_id"], "client_id": "browser-1"})
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["access_token"] and j["identity"] == "api" and j["client_id"] == "browser-1"
    assert j["conference_name"] == out["conference_id"] and j["ice_servers"] is None

    for action, key, want in (("mute", "muted", True), ("unmute", "muted", False),
                              ("hold", "hold", True), ("unhold", "hold", False)):
        r = server.api("POST", BASE + "control/mute", json={
            "conference_sid": conf, "participant_sid": out["call_sid"], "action": action})
        assert r.status_code == 200, r.text
        assert r.json()["success"] is True and r.json()[key] is want
    r = server.api("POST", BASE + "control/mute", json={
        "conference_sid": conf, "participant_sid": out["call_sid"], "action": "mute",
        "value": False})
    assert r.json()["muted"] is False

    r = server.api("GET", BASE + "status/" + conf)
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["friendly_name"] == out["conference_id"] and st["participant_count"] == 1
    assert st["participants"] == [{"sid": out["call_sid"], "role": "contact"}]
    assert st["call"]["to_phone"] == TO

    r = server.api("POST", BASE + "end?conference_sid=" + conf)
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True and r.json()["status"] in ("canceled", "completed")
    # Ending again is harmless; controlling an ended call is a 409.
    assert server.api("POST", BASE + "end", json={"conference_sid": conf}).status_code == 200
    assert_error(server.api("POST", BASE + "control/mute", json={
        "conference_sid": conf, "participant_sid": out["call_sid"], "action": "mute"}),
        409, "call_ended")


def test_twilio_initiate_rings_first_with_twiml(tw, fake):
    requests.post(fake.url + "/_fake/reset", timeout=10)
    out = initiate(tw, provider="twilio", from_phone="+12025550100")
    assert out["status"] == "initiated" and out["call_sid"].startswith("CA")
    # No CF yet: Twilio makes the room when the first leg enters it.
    assert out["conference_sid"] == out["conference_id"]
    (q,) = ours(fake, "POST", "/Calls.json")
    assert basic_ok(q)
    p = q["params"]
    assert p["To"] == [TO] and p["From"] == ["+12025550100"]
    assert p["StatusCallback"][0].endswith("/api/v1/twilio/call-status?call=%d" % out["call_id"])
    assert p["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    conf = ET.fromstring(p["Twiml"][0]).find("./Dial/Conference")
    assert conf.text == out["conference_id"] and conf.get("beep") == "false"
    assert conf.get("startConferenceOnEnter") == "true"
    assert conf.get("statusCallback") == tw.url("/api/v1/twilio/conference-status")
    # "+" travels URL-encoded, or Twilio would read a space.
    assert "To=%2B12025550101" in q["body"]

    # The room starts: the seed's status route finds it by its CF too.
    cf = "CF" + "1e" * 16
    r = fake.callback(tw.url("/api/v1/twilio/conference-status"), {
        "AccountSid": ACCOUNT_SID, "ConferenceSid": cf, "FriendlyName": out["conference_id"],
        "StatusCallbackEvent": "participant-join", "CallSid": out["call_sid"],
        "SequenceNumber": "1"})
    assert r["status"] == 204, r
    r = tw.api("GET", BASE + "status/" + cf)
    assert r.status_code == 200, r.text
    assert r.json()["conference_sid"] == cf
    # The prospect's own join never dials anyone else.
    assert ours(fake, "POST", "/Participants.json") == []

    r = tw.api("POST", BASE + "webrtc-join",
               json={"conference_id": out["conference_id"], "client_id": "b1"})
    assert r.status_code == 200, r.text
    # The browser's leg is admitted although the call is already ringing.
    r = fake.callback(tw.url("/api/v1/twilio/voice"), {
        "AccountSid": ACCOUNT_SID, "CallSid": "CA" + "2f" * 16, "From": "client:api",
        "conference": out["conference_id"]})
    assert ET.fromstring(r["body"]).find("./Dial/Conference").text == out["conference_id"]

    r = tw.api("POST", BASE + "end", json={"conference_sid": cf})
    assert r.status_code in (200, 422), r.text  # the fake has no room with this CF
    assert ours(fake, "POST", "/Conferences/%s.json" % cf)[0]["params"] == {"Status": ["completed"]}


def test_validation_and_auth(server):
    assert_error(requests.post(server.url(BASE + "initiate"), json={"to_phone": TO},
                               timeout=30), 401)
    for body, field in (({}, "to_phone"), ({"to_phone": "2025550143"}, "to_phone"),
                        ({"to_phone": "+0123"}, "to_phone"),
                        ({"to_phone": TO, "from_phone": "555"}, "from_phone")):
        err = assert_error(server.api("POST", BASE + "initiate", json=body), 422)
        assert err["details"]["field"] == field
    err = assert_error(server.api("POST", BASE + "initiate",
                                  json={"to_phone": "+19999999999"}), 422, "invalid_phone")
    assert_error(server.api("POST", BASE + "initiate", json={"to_phone": TO, "provider": "x"}),
                 400, "unsupported_provider")
    assert_error(server.api("POST", BASE + "initiate", json={"to_phone": TO,
                                                             "provider": "telnyx"}),
                 503, "provider_not_configured")
    assert_error(server.api("POST", BASE + "control/mute", json={
        "conference_sid": "cd-x", "participant_sid": "CA1", "action": "shout"}), 422)
    assert_error(server.api("POST", BASE + "end"), 422)
    assert_error(server.api("GET", BASE + "status/cd-nosuch"), 404, "conference_not_found")
    assert_error(server.api("GET", BASE + "initiate"), 405)
    assert_error(server.api("GET", BASE + "status/a/b"), 404)
    assert_error(server.api("GET", "/aicallgo/api/v1/other"), 404)


def test_operators_see_only_their_own_conferences(server):
    out = initiate(server, provider="sim")
    user, password = server.create_user()
    s = server.login(user["username"], password)
    conf = out["conference_sid"]
    for method, path, body in (("GET", BASE + "status/" + conf, None),
                               ("POST", BASE + "webrtc-join",
                                {"conference_id": conf, "client_id": "x"}),
                               ("POST", BASE + "control/mute",
                                {"conference_sid": conf, "participant_sid": out["call_sid"],
                                 "action": "mute"}),
                               ("POST", BASE + "end", {"conference_sid": conf})):
        r = s.request(method, server.url(path), json=body, timeout=30)
        assert_error(r, 404, "conference_not_found")
    mine = s.post(server.url(BASE + "initiate"), json={"to_phone": TO, "provider": "sim"},
                  timeout=30)
    assert mine.status_code == 200, mine.text
    r = s.post(server.url(BASE + "control/mute"), json={
        "conference_sid": mine.json()["conference_sid"], "participant_sid": "CAnotinthisroom",
        "action": "mute"}, timeout=30)
    assert_error(r, 404, "participant_not_found")
    r = s.post(server.url(BASE + "end"), json={"conference_sid": mine.json()["conference_sid"]},
               timeout=30)
    assert r.status_code == 200, r.text
