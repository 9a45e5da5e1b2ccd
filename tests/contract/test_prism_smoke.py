"""Smoke tests for the Prism contract-test harness (tests/contract/prism.sh).

Checks that Prism (npm @stoplight/prism-cli 5.14.2, `npm ci` at the repo root)
serves the official Twilio and Telnyx OpenAPI specs from ../shared/specs on
127.0.0.1, accepts well-formed provider requests and flags malformed ones.

How Prism 5.14.2 reports an invalid request (measured):
  * missing/invalid auth         -> 401
  * other request violations     -> the spec's own 422/400 response plus an
    `sl-violations` header (Telnyx), or, when the spec defines no 4xx (Twilio),
    a Prism-generated 422 application/problem+json whose "validation" list
    holds the violations (no header).
  * valid request                -> the spec's 2xx example, no `sl-violations`.

Known Prism limitation: its application/x-www-form-urlencoded parser keeps only
the last value of a repeated key and only builds arrays for properties with an
explicit `encoding` in the spec. Twilio's spec declares none, so ANY
StatusCallbackEvent (one value, repeated, or space-separated) is reported as
"Request body property StatusCallbackEvent must be array". The tests pin that
exact false positive, so everything else in the request is still checked.

Run: /usr/bin/python3 -m pytest tests/contract
"""
import base64
import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PRISM_SH = os.path.join(HERE, "prism.sh")
PRISM_BIN = os.path.join(ROOT, "node_modules", ".bin", "prism")

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
CONFERENCE_SID = "CF" + "fedcba9876543210" * 2
CALL_SID = "CA" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"
FROM = "+15005550006"
TO = "+15551234567"
TWIML = '<Response><Say>Hello</Say></Response>'

KNOWN_STATUS_CALLBACK_EVENT_FALSE_POSITIVE = {
    "location": ["body", "StatusCallbackEvent"],
    "code": "type",
    "message": "Request body property StatusCallbackEvent must be array",
}


def _start_prism(which, tmp_path_factory):
    if not os.access(PRISM_BIN, os.X_OK):
        pytest.skip("Prism not installed; run `npm ci` in %s" % ROOT)
    d = tmp_path_factory.mktemp("prism-" + which)
    portfile, logfile = str(d / "port"), str(d / "prism.log")
    proc = subprocess.run([PRISM_SH, "start", which, portfile, logfile],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=180)
    assert proc.returncode == 0, "prism.sh start %s failed:\n%s" % (which, proc.stderr)
    pid = proc.stdout.strip()
    with open(portfile) as f:
        port = int(f.read().strip())
    return pid, "http://127.0.0.1:%d" % port


@pytest.fixture(scope="module")
def twilio(tmp_path_factory):
    pid, base = _start_prism("twilio", tmp_path_factory)
    yield base
    subprocess.run([PRISM_SH, "stop", pid], check=False)


@pytest.fixture(scope="module")
def telnyx(tmp_path_factory):
    pid, base = _start_prism("telnyx", tmp_path_factory)
    yield base
    subprocess.run([PRISM_SH, "stop", pid], check=False)


class Resp(object):
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def violations(self):
        """sl-violations header (parsed) or None."""
        v = self.headers.get("sl-violations")
        return json.loads(v) if v else None

    def __repr__(self):
        return "<%d %s %r>" % (self.status, dict(self.headers), self.body[:600])


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    # No proxies: everything is on 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=30) as r:
            return Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, e.headers, e.read())


def basic_auth(user, password):
    tok = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return {"Authorization": "Basic " + tok}


def twilio_post(base, path, fields, account_sid=ACCOUNT_SID, auth=True):
    url = "%s/2010-04-01/Accounts/%s/%s" % (base, account_sid, path)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if auth:
        headers.update(basic_auth(ACCOUNT_SID, AUTH_TOKEN))
    return request("POST", url, urllib.parse.urlencode(fields).encode(), headers)


def problem_violations(resp):
    """Violations of a Prism-generated 422 problem+json, without severity."""
    assert resp.headers.get("Content-Type", "").startswith("application/problem+json"), resp
    return [{k: v[k] for k in ("location", "code", "message")}
            for v in resp.json()["validation"]]


def participant_fields(with_events=True):
    fields = [("From", FROM), ("To", TO), ("EarlyMedia", "true"), ("Beep", "false"),
              ("EndConferenceOnExit", "true"),
              ("StatusCallback", "https://dialer.example.com/cb/participant")]
    if with_events:
        fields += [("StatusCallbackEvent", e)
                   for e in ("initiated", "ringing", "answered", "completed")]
    return fields


# ---------------------------------------------------------------- Twilio --

def test_twilio_participant_well_formed(twilio):
    r = twilio_post(twilio, "Conferences/%s/Participants.json" % CONFERENCE_SID,
                    participant_fields(with_events=False))
    assert 200 <= r.status < 300, r
    assert r.violations is None, r
    assert r.json()["conference_sid"].startswith("CF")


def test_twilio_participant_status_callback_event_only_known_false_positive(twilio):
    # Full request incl. repeated StatusCallbackEvent: Prism 5.14 can't parse
    # repeated form keys into an array (see module docstring); the only
    # violation must be that known false positive.
    r = twilio_post(twilio, "Conferences/%s/Participants.json" % CONFERENCE_SID,
                    participant_fields(with_events=True))
    assert r.status == 422, r
    assert problem_violations(r) == [KNOWN_STATUS_CALLBACK_EVENT_FALSE_POSITIVE], r


def test_twilio_participant_missing_to_flagged(twilio):
    fields = [(k, v) for k, v in participant_fields(with_events=False) if k != "To"]
    r = twilio_post(twilio, "Conferences/%s/Participants.json" % CONFERENCE_SID, fields)
    assert r.status == 422, r
    assert {"location": ["body"], "code": "required",
            "message": "Request body must have required property 'To'"} in problem_violations(r)


def test_twilio_participant_bad_boolean_flagged(twilio):
    fields = [(k, "maybe" if k == "EarlyMedia" else v)
              for k, v in participant_fields(with_events=False)]
    r = twilio_post(twilio, "Conferences/%s/Participants.json" % CONFERENCE_SID, fields)
    assert r.status == 422, r
    assert [v["location"] for v in problem_violations(r)] == [["body", "EarlyMedia"]]


def test_twilio_call_with_twiml(twilio):
    r = twilio_post(twilio, "Calls.json", [("To", TO), ("From", FROM), ("Twiml", TWIML)])
    assert r.status == 201, r
    assert r.violations is None, r
    assert r.json()["sid"].startswith("CA")


def test_twilio_call_missing_to_flagged(twilio):
    r = twilio_post(twilio, "Calls.json", [("From", FROM), ("Twiml", TWIML)])
    assert r.status == 422, r
    assert {"location": ["body"], "code": "required",
            "message": "Request body must have required property 'To'"} in problem_violations(r)


def test_twilio_call_bad_account_sid_flagged(twilio):
    r = twilio_post(twilio, "Calls.json", [("To", TO), ("From", FROM), ("Twiml", TWIML)],
                    account_sid="AC" + "z" * 32)
    assert r.status == 422, r
    assert {"location": ["path", "accountsid"], "code": "pattern",
            "message": 'Request path parameter accountsid must match pattern "^AC[0-9a-fA-F]{32}$"'} \
        in problem_violations(r)


def test_twilio_participant_announce_well_formed(twilio):
    # The consent announcement: a participant update with AnnounceUrl.
    r = twilio_post(twilio, "Conferences/%s/Participants/%s.json" % (CONFERENCE_SID, CALL_SID),
                    [("AnnounceUrl", "https://dialer.example.com/api/v1/twilio/consent?call=7"),
                     ("AnnounceMethod", "POST")])
    assert 200 <= r.status < 300, r
    assert r.violations is None, r


def test_twilio_participant_announce_bad_method_flagged(twilio):
    r = twilio_post(twilio, "Conferences/%s/Participants/%s.json" % (CONFERENCE_SID, CALL_SID),
                    [("AnnounceUrl", "https://dialer.example.com/c"), ("AnnounceMethod", "PUT")])
    assert r.status == 422, r
    assert [v["location"] for v in problem_violations(r)] == [["body", "AnnounceMethod"]]


def test_twilio_participant_recording_callback_event_only_known_false_positive(twilio):
    # ConferenceRecordingStatusCallbackEvent is typed array too: the same
    # Prism false positive as StatusCallbackEvent, and nothing else.
    fields = participant_fields(with_events=False) + [
        ("ConferenceRecord", "record-from-start"),
        ("ConferenceRecordingStatusCallback", "https://dialer.example.com/rec?call=7"),
        ("ConferenceRecordingStatusCallbackMethod", "POST"),
        ("ConferenceRecordingStatusCallbackEvent", "completed")]
    r = twilio_post(twilio, "Conferences/%s/Participants.json" % CONFERENCE_SID, fields)
    assert r.status == 422, r
    assert problem_violations(r) == [{
        "location": ["body", "ConferenceRecordingStatusCallbackEvent"], "code": "type",
        "message": "Request body property ConferenceRecordingStatusCallbackEvent must be array"}]
    r = twilio_post(twilio, "Conferences/%s/Participants.json" % CONFERENCE_SID, fields[:-1])
    assert 200 <= r.status < 300 and r.violations is None, r


def test_twilio_call_without_auth_flagged(twilio):
    r = twilio_post(twilio, "Calls.json", [("To", TO), ("From", FROM), ("Twiml", TWIML)],
                    auth=False)
    assert r.status == 401, r
    assert r.headers.get("WWW-Authenticate", "").startswith("Basic")


# ---------------------------------------------------------------- Telnyx --

def telnyx_post(base, path, body, auth=True):
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = "Bearer KEYtest0123456789"
    return request("POST", base + path, json.dumps(body).encode(), headers)


TELNYX_CALL = {"connection_id": "1234567890", "to": TO, "from": FROM}


def test_telnyx_call_well_formed(telnyx):
    r = telnyx_post(telnyx, "/calls", TELNYX_CALL)
    assert r.status == 200, r
    assert r.violations is None, r
    assert r.json()["data"]["record_type"] == "call"


def test_telnyx_call_missing_to_flagged(telnyx):
    body = {k: v for k, v in TELNYX_CALL.items() if k != "to"}
    r = telnyx_post(telnyx, "/calls", body)
    assert r.status == 422, r
    assert r.violations == [{"location": ["request", "body"], "severity": "Error",
                             "code": "required",
                             "message": "Request body must have required property 'to'"}], r


def test_telnyx_call_wrong_type_flagged(telnyx):
    r = telnyx_post(telnyx, "/calls", dict(TELNYX_CALL, timeout_secs="thirty"))
    assert r.status == 422, r
    assert [v["location"] for v in r.violations] == [["request", "body", "timeout_secs"]], r


def test_telnyx_call_without_auth_flagged(telnyx):
    r = telnyx_post(telnyx, "/calls", TELNYX_CALL, auth=False)
    assert r.status == 401, r
    assert r.violations and r.violations[0]["code"] == 401, r


CCID = "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg"


def test_telnyx_consent_speak_and_playback_well_formed(telnyx):
    r = telnyx_post(telnyx, "/calls/%s/actions/speak" % CCID, {
        "payload": "This call may be recorded.", "payload_type": "text", "voice": "female",
        "language": "en-US", "command_id": "consent-7", "client_state": "Nw=="})
    assert r.status == 200 and r.violations is None, r
    r = telnyx_post(telnyx, "/calls/%s/actions/playback_start" % CCID, {
        "audio_url": "https://media.example.test/c.wav", "audio_type": "wav",
        "command_id": "consent-7"})
    assert r.status == 200 and r.violations is None, r


def test_telnyx_speak_without_voice_flagged(telnyx):
    r = telnyx_post(telnyx, "/calls/%s/actions/speak" % CCID, {"payload": "hi"})
    assert r.status == 422, r
    assert [v["message"] for v in r.violations] == \
        ["Request body must have required property 'voice'"], r


def test_telnyx_recordings_by_leg(telnyx):
    url = "%s/recordings?filter%%5Bcall_control_id%%5D=%s" % (telnyx, urllib.parse.quote(CCID))
    r = request("GET", url, headers={"Authorization": "Bearer KEYtest0123456789"})
    assert r.status == 200 and r.violations is None, r
    assert r.json()["data"][0]["record_type"] == "recording"


def test_telnyx_paths_have_no_v2_prefix(telnyx):
    # The spec's server is https://api.telnyx.com/v2; Prism serves paths bare.
    r = telnyx_post(telnyx, "/v2/calls", TELNYX_CALL)
    assert r.status == 404, r
