#!/usr/bin/python3
"""Stateful fake of Telnyx's Call Control API v2, listening on 127.0.0.1 only.

Run:  /usr/bin/python3 tests/fake/fake_telnyx.py --port 0 --api-key KEY \
          [--connection-id ID] [--credential-id ID] [--lenient] --ready-file PATH
or in-process:  f = FakeTelnyx(api_key, ...); f.start(); f.url (ends in /v2); f.public_key; f.stop()

Shapes follow team-telnyx/openapi spec3.yml (../shared/specs/spec3.yml): JSON bodies, responses
wrapped in {"data": ...}, errors {"errors": [{"code": "<digits>", "title", "detail", "source":
{"pointer": "/field"}}]}.  Auth: "Authorization: Bearer <API key>", else 401 (code 10009).
  POST /v2/calls                                       dial (200, Call; is_alive false)
  GET  /v2/calls/{call_control_id}                     call status (Call)
  POST /v2/calls/{call_control_id}/actions/{action}    answer, hangup, reject, client_state_update
                                                       change state; speak, playback_start and
                                                       record_start are checked against their
                                                       schemas and kept (a repeated command_id is
                                                       marked "duplicate", as Telnyx ignores it);
                                                       every other spec action is accepted
                                                       ({"result": "ok"}) on a live call
  GET  /v2/recordings?filter[call_control_id|call_leg_id|call_session_id|conference_id]=
  GET  /v2/recordings/{id}                             recordings (RecordingResponseData), with
                                                       download_urls that are presigned: /_media/
  GET  /_media/{token}.mp3|.wav                        a recording's bytes; like a presigned S3
                                                       URL it refuses any Authorization header
                                                       (400) and an unknown token (403); every
                                                       download is kept in /_fake/state downloads
  GET  /v2/conferences?filter[name]=&filter[status]=   list (with meta)
  POST /v2/conferences                                 create from an answered call leg
  GET  /v2/conferences/{id}                            fetch
  GET  /v2/conferences/{id}/participants               participants (Participant)
  POST /v2/conferences/{id or name}/actions/{join,leave,mute,unmute,hold,unhold,end,...}
  POST /v2/telephony_credentials/{id}/token            201 text/plain JWT (webrtc login token)
Request bodies are checked against the spec's request schemas (required fields, types, enums,
E.164 / SIP URIs, base64 client_state); unknown fields are rejected too (a fake-only
strictness to catch typos; --lenient / strict=False turns that off).  POST bodies must be JSON
objects: hangup with no body is a 400, as with real Telnyx.
The fake never sends webhooks on its own: tests drive them through /_fake/callback.

Call states (fake-internal, in /_fake/state): "initiated" -> "answered" -> "hangup".
Dialled calls are outgoing; incoming legs (the browser's, from @telnyx/webrtc) are made with
POST /_fake/calls.  Conferences need answered legs (422 90034 otherwise).

Test control (no auth, JSON bodies):
  GET  /_fake/requests      recorded API requests (method, path, query, json, body, headers, fault)
  GET  /_fake/state         calls, conferences, participants (full fake records), tokens,
                            recordings (media as its length), downloads
  GET  /_fake/stats         {"connections": API TCP connections, "requests": API requests}
  POST /_fake/reset         clear everything (state, requests, faults, counters; not the key pair)
  GET  /_fake/public_key    {"public_key": base64 raw Ed25519 public key} (TELNYX_PUBLIC_KEY)
  POST /_fake/calls         {"direction": "incoming", "from": "sip:..", "to": "..", "state"?,
                             "client_state"?, "call_control_id"?} -> new call record (201)
  POST /_fake/calls/{id}    {"state": "initiated"|"answered"|"hangup", "hangup_cause"?,
                             "hangup_source"?, "amd_result"?} set a call's state
  DELETE /_fake/calls/{id}  forget a call (Telnyx keeps ended calls only 10 minutes)
  POST /_fake/recordings    {"call_control_id", "duration_s"?: 7, "media_b64"?, "format"?: "mp3",
                             "content_type"?: what storage labels it (audio/mpeg or audio/wav)}
                            -> a saved recording of that leg (201; its id is the leg's
                            recording_id when the dial asked for one); then build
                            call.recording.saved for the leg
  POST /_fake/faults        {"method": "POST", "path": "regex", "count": 1,
                             "action": "status"|"delay"|"close"|"close_after"|"malformed",
                             "status": 503, "retry_after": 1, "delay": 0.5, "code": ..,
                             "title": .., "detail": ..}
  GET  /_fake/faults        pending faults;  DELETE /_fake/faults clears them
  POST /_fake/events        {"event_type": .., "call_control_id"?: .., "conference_id"?: ..,
                             "payload"?: {overrides}, "apply"?: bool} -> built event (no delivery)
  POST /_fake/callback      {"url": "http://127.0.0.1:..../path",
                             "event": {"data": {...}} | "build": {same as /_fake/events},
                             "tamper"?: bool (body changed after signing),
                             "wrong_key"?: bool (signed with another key),
                             "timestamp"?: int (signed telnyx-timestamp, e.g. stale),
                             "meta"?: bool (add {"meta": {"attempt": 1, "delivered_to": url}},
                                            as real deliveries carry; default true)}
                            -> {"status": N, "body": "...", "sent": raw body, "signature",
                                "timestamp"}
Webhooks are POSTed as application/json with headers telnyx-signature-ed25519 =
base64(Ed25519 signature over b"{timestamp}|{raw body}") and telnyx-timestamp = unix seconds.
"""
import argparse
import base64
import binascii
import copy
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

API = "/v2"
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
SIP = re.compile(r"^sips?:[^@\s]+@\S+$")
B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")

# Request schemas of spec3.yml (generated from it): (required, "field=type ...") where the
# type is s(tring) i(nteger) b(oolean) o(bject) a(rray) n(umber) or alternatives joined by |.
REQUESTS = {
    'CallRequest': (('connection_id', 'to', 'from'),
        'answering_machine_detection=s answering_machine_detection_config=o assistant=o '
        'audio_url=s billing_group_id=s bridge_intent=b bridge_on_answer=b client_state=s '
        'command_id=s conference_config=o connection_id=s conversation_relay_config=o '
        'custom_headers=a deepfake_detection=o dialogflow_config=o enable_dialogflow=b from=s '
        'from_display_name=s link_to=s media_encryption=s media_name=s park_after_unbridge=s '
        'preferred_codecs=s prevent_double_bridge=b privacy=s record=s record_channels=s '
        'record_custom_file_name=s record_format=s record_max_length=i record_timeout_secs=i '
        'record_track=s record_trim=s retry_on_timeout=b send_digits_on_answer=s '
        'send_silence_when_idle=b sip_auth_password=s sip_auth_username=s sip_headers=a '
        'sip_region=s sip_transport_protocol=s sound_modifications=o stream_auth_token=s '
        'stream_bidirectional_codec=s stream_bidirectional_mode=s '
        'stream_bidirectional_sampling_rate=i stream_bidirectional_target_legs=s '
        'stream_codec=s stream_establish_before_call_originate=b stream_track=s stream_url=s '
        'supervise_call_control_id=s supervisor_role=s time_limit_secs=i timeout_secs=i '
        'to=a|s transcription=b transcription_config=o webhook_retries_policies=o '
        'webhook_url=s webhook_url_method=s webhook_urls=o webhook_urls_method=s'),
    'AnswerRequest': ((),
        'assistant=o billing_group_id=s client_state=s command_id=s '
        'conversation_relay_config=o custom_headers=a deepfake_detection=o preferred_codecs=s '
        'record=s record_channels=s record_custom_file_name=s record_format=s '
        'record_max_length=i record_timeout_secs=i record_track=s record_trim=s '
        'send_silence_when_idle=b sip_headers=a sound_modifications=o '
        'stream_bidirectional_codec=s stream_bidirectional_mode=s '
        'stream_bidirectional_target_legs=s stream_codec=s stream_track=s stream_url=s '
        'transcription=b transcription_config=o webhook_retries_policies=o webhook_url=s '
        'webhook_url_method=s webhook_urls=o webhook_urls_method=s'),
    'HangupRequest': ((), 'client_state=s command_id=s custom_headers=a'),
    'RejectRequest': (('cause',), 'cause=s client_state=s command_id=s'),
    'ClientStateUpdateRequest': (('client_state',), 'client_state=s'),
    'CreateConferenceRequest': (('call_control_id', 'name'),
        'beep_enabled=s call_control_id=s client_state=s comfort_noise=b command_id=s '
        'duration_minutes=i hold_audio_url=s hold_media_name=s max_participants=i name=s '
        'region=s start_conference_on_create=b'),
    'JoinConferenceRequest': (('call_control_id',),
        'beep_enabled=s call_control_id=s client_state=s command_id=s '
        'end_conference_on_exit=b hold=b hold_audio_url=s hold_media_name=s mute=b region=s '
        'soft_end_conference_on_exit=b start_conference_on_enter=b supervisor_role=s '
        'whisper_call_control_ids=a'),
    'LeaveConferenceRequest': (('call_control_id',),
        'beep_enabled=s call_control_id=s command_id=s region=s'),
    'EndConferenceRequest': ((), 'command_id=s'),
    'ConferenceMuteRequest': ((), 'call_control_ids=a region=s'),
    'ConferenceUnmuteRequest': ((), 'call_control_ids=a region=s'),
    'ConferenceHoldRequest': ((), 'audio_url=s call_control_ids=a media_name=s region=s'),
    'ConferenceUnholdRequest': (('call_control_ids',), 'call_control_ids=a region=s'),
    'SpeakRequest': (('payload', 'voice'),
        'client_state=s command_id=s language=s loop=s|i payload=s payload_type=s '
        'service_level=s stop=s target_legs=s voice=s voice_settings=o'),
    'PlayAudioUrlRequest': ((),
        'audio_type=s audio_url=s cache_audio=b client_state=s command_id=s loop=s|i '
        'media_name=s overlay=b playback_content=s stop=s target_legs=s'),
    'StartRecordingRequest': (('format', 'channels'),
        'channels=s client_state=s command_id=s custom_file_name=s format=s max_length=i '
        'play_beep=b recording_track=s timeout_secs=i transcription=b transcription_engine=s '
        'transcription_language=s transcription_max_speaker_count=i '
        'transcription_min_speaker_count=i transcription_profanity_filter=b '
        'transcription_speaker_diarization=b trim=s'),
}
ENUMS = {
    "answering_machine_detection": ("premium", "detect", "detect_beep", "detect_words",
                                    "greeting_end", "disabled"),
    "media_encryption": ("disabled", "SRTP", "DTLS"),
    "privacy": ("id", "none"),
    "record": ("record-from-answer",),
    "record_channels": ("single", "dual"),
    "record_format": ("wav", "mp3"),
    "record_track": ("both", "inbound", "outbound"),
    "record_trim": ("trim-silence",),
    "sip_region": ("US", "Europe", "Canada", "Australia", "Middle East"),
    "sip_transport_protocol": ("UDP", "TCP", "TLS"),
    "stream_track": ("inbound_track", "outbound_track", "both_tracks"),
    "webhook_url_method": ("POST", "GET"),
    "webhook_urls_method": ("POST", "GET"),
    "cause": ("CALL_REJECTED", "USER_BUSY"),
    "beep_enabled": ("always", "never", "on_enter", "on_exit"),
    "region": ("Australia", "Europe", "Middle East", "US"),
    "supervisor_role": ("barge", "monitor", "none", "whisper"),
    "language": ("arb", "cmn-CN", "cy-GB", "da-DK", "de-DE", "en-AU", "en-GB", "en-GB-WLS",
                 "en-IN", "en-US", "es-ES", "es-MX", "es-US", "fr-CA", "fr-FR", "hi-IN", "is-IS",
                 "it-IT", "ja-JP", "ko-KR", "nb-NO", "nl-NL", "pl-PL", "pt-BR", "pt-PT", "ro-RO",
                 "ru-RU", "sv-SE", "tr-TR"),
    "payload_type": ("text", "ssml"),
    "service_level": ("basic", "premium"),
    "target_legs": ("self", "opposite", "both"),
    "audio_type": ("mp3", "wav"),
    "format": ("wav", "mp3"),
    "channels": ("single", "dual"),
    "recording_track": ("both", "inbound", "outbound"),
    "transcription_engine": ("A", "B", "deepgram/nova-3"),
    "trim": ("trim-silence",),
}
ENUMS_BY_SCHEMA = {("CallRequest", "supervisor_role"): ("barge", "whisper", "monitor")}
RANGES = {("CallRequest", "time_limit_secs"): (30, 14400)}

CALL_ACTIONS = {
    "ai_assistant_add_messages", "ai_assistant_join", "ai_assistant_start", "ai_assistant_stop",
    "answer", "bridge", "client_state_update", "conversation_relay_start",
    "conversation_relay_stop", "enqueue", "fork_start", "fork_stop", "gather", "gather_stop",
    "gather_using_ai", "gather_using_audio", "gather_using_speak", "hangup", "leave_queue",
    "playback_start", "playback_stop", "record_pause", "record_resume", "record_start",
    "record_stop", "refer", "reject", "send_dtmf", "send_sip_info", "siprec_start", "siprec_stop",
    "speak", "streaming_start", "streaming_stop", "suppression_start", "suppression_stop",
    "switch_supervisor_role", "transcription_start", "transcription_stop", "transfer",
}
CALL_ACTION_SCHEMA = {"answer": "AnswerRequest", "hangup": "HangupRequest",
                      "reject": "RejectRequest", "client_state_update": "ClientStateUpdateRequest",
                      "speak": "SpeakRequest", "playback_start": "PlayAudioUrlRequest",
                      "record_start": "StartRecordingRequest"}
CONF_ACTIONS = {"end", "gather_using_audio", "hold", "join", "leave", "mute", "play",
                "record_pause", "record_resume", "record_start", "record_stop", "send_dtmf",
                "speak", "stop", "unhold", "unmute", "update"}
CONF_ACTION_SCHEMA = {"join": "JoinConferenceRequest", "leave": "LeaveConferenceRequest",
                      "end": "EndConferenceRequest", "mute": "ConferenceMuteRequest",
                      "unmute": "ConferenceUnmuteRequest", "hold": "ConferenceHoldRequest",
                      "unhold": "ConferenceUnholdRequest"}
HANGUP_CAUSES = {"call_rejected", "normal_clearing", "originator_cancel", "timeout", "time_limit",
                 "user_busy", "not_found", "no_answer", "unspecified"}
STATES = {"initiated", "answered", "hangup"}
TYPES = {"s": str, "i": int, "b": bool, "o": dict, "a": list, "n": (int, float)}
STATUS_CODES = {400: ("10015", "Bad Request"), 401: ("10009", "Authentication failed"),
                404: ("10005", "Resource not found"), 422: ("10015", "Unprocessable entity"),
                429: ("10011", "Too many requests"), 500: ("10007", "Internal server error"),
                502: ("10007", "Bad gateway"), 503: ("10007", "Service unavailable"),
                504: ("10007", "Gateway timeout")}



class FakeHTTPServer(ThreadingHTTPServer):
    """socketserver listens with a backlog of 5: the concurrency tests
    connect dozens of clients at once (and the server under test its own
    programs), and an overflowing queue shows up as connections reset."""
    request_queue_size = 128

class ApiError(Exception):
    """An API error: one or more Telnyx error objects with one HTTP status."""

    def __init__(self, status, code, title, detail=None, pointer=None, headers=None, errors=None):
        super().__init__(detail or title)
        self.status, self.headers = status, headers or {}
        self.errors = errors or [error_obj(code, title, detail, pointer)]


def error_obj(code, title, detail=None, pointer=None):
    e = {"code": str(code), "title": title}
    if detail is not None:
        e["detail"] = detail
    if pointer is not None:
        e["source"] = {"pointer": pointer}
    e["meta"] = {"url": "https://developers.telnyx.com/docs/overview/errors/%s" % code}
    return e


def now_iso(t=None):
    d = datetime.fromtimestamp(time.time() if t is None else t, timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % d.microsecond


def new_call_control_id():
    return "v3:" + base64.urlsafe_b64encode(secrets.token_bytes(30)).decode().rstrip("=")


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def parse_fields(spec):
    return dict(f.split("=", 1) for f in spec.split())


def validate(schema, body, strict=True):
    """Check a JSON body against REQUESTS[schema]; raise one 422 listing every problem."""
    required, fields = REQUESTS[schema]
    fields = parse_fields(fields)
    errs = []
    for name in required:
        v = body.get(name)
        if v is None or v == "" or v == []:
            errs.append(error_obj("10004", "Missing required parameter",
                                  "The '%s' parameter is required and cannot be blank." % name,
                                  "/" + name))
    for name, v in body.items():
        if name not in fields:
            if strict:
                errs.append(error_obj("10015", "Unknown parameter",
                                      "The '%s' parameter is not accepted here." % name,
                                      "/" + name))
            continue
        if v is None:
            continue
        types = tuple(TYPES[t] for t in fields[name].split("|") if t in TYPES)
        ok = isinstance(v, types) if types else True
        if ok and bool not in types and isinstance(v, bool):
            ok = False  # JSON true is not an integer
        if not ok:
            errs.append(error_obj("10015", "Invalid parameter type",
                                  "The '%s' parameter has the wrong type." % name, "/" + name))
            continue
        enum = ENUMS_BY_SCHEMA.get((schema, name)) or ENUMS.get(name)
        if enum and v not in enum:
            errs.append(error_obj("10032", "Invalid enumerated value",
                                  "The value must be one of: %s." % ", ".join(map(str, enum)),
                                  "/" + name))
        rng = RANGES.get((schema, name))
        if rng and not rng[0] <= v <= rng[1]:
            errs.append(error_obj("10033", "Value outside of range",
                                  "The value is outside of allowed range %d to %d" % rng,
                                  "/" + name))
        if name == "client_state" and not valid_b64(v):
            errs.append(error_obj("10015", "Invalid client_state",
                                  "client_state must be a valid Base-64 encoded string.",
                                  "/client_state"))
        if name in ("call_control_ids", "whisper_call_control_ids") and \
                not all(isinstance(x, str) and x for x in v):
            errs.append(error_obj("10015", "Invalid parameter type",
                                  "The '%s' parameter must be a list of strings." % name,
                                  "/" + name))
    if errs:
        raise ApiError(422, None, None, errors=errs)


def valid_b64(v):
    if not isinstance(v, str) or len(v) % 4 or not B64.match(v):
        return False
    try:
        base64.b64decode(v, validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


def check_address(value, name, allow_sip=True):
    vals = value if isinstance(value, list) else [value]
    for v in vals:
        if not isinstance(v, str) or not (E164.match(v) or (allow_sip and SIP.match(v))):
            raise ApiError(422, "10016", "Phone number must be in +E164 format",
                           "The '%s' parameter must be in E164 format." % name, "/" + name)


class State:
    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        self.calls = {}          # call_control_id -> call record
        self.conferences = {}    # id -> conference record
        self.participants = {}   # conference id -> {call_control_id: participant}
        self.tokens = []
        self.recordings = {}     # id -> recording record (+ "_media", "_token")
        self.downloads = []      # every GET of a /_media/ URL: path, headers, status
        self.events = []         # events built (and possibly delivered)
        self.requests = []
        self.faults = []
        self.api_connections = 0
        self.api_requests = 0

    # ---- resources -------------------------------------------------------
    def make_call(self, to, frm, direction="outgoing", state="initiated", connection_id=None,
                  client_state=None, ccid=None, extra=None):
        ccid = ccid or new_call_control_id()
        call = {
            "call_control_id": ccid, "call_leg_id": str(uuid.uuid4()),
            "call_session_id": str(uuid.uuid4()), "record_type": "call",
            "client_state": client_state, "to": to, "from": frm, "direction": direction,
            "state": state, "connection_id": connection_id, "start_time": now_iso(),
            "answer_time": None, "end_time": None, "hangup_cause": None, "hangup_source": None,
            "amd_result": None, "webhook_url": None, "request": extra or {},
        }
        if state == "answered":
            call["answer_time"] = call["start_time"]
        self.calls[ccid] = call
        return call

    @staticmethod
    def call_view(call, dial=False):
        """The API's Call object (spec: Call / CallWithRecordingId)."""
        alive = call["state"] != "hangup"
        v = {"call_control_id": call["call_control_id"], "call_leg_id": call["call_leg_id"],
             "call_session_id": call["call_session_id"], "is_alive": False if dial else alive,
             "record_type": "call"}
        if call.get("client_state"):
            v["client_state"] = call["client_state"]
        if not dial:
            v["start_time"] = call["start_time"]
            if not alive:
                v["end_time"] = call["end_time"]
            start = call["answer_time"]
            if start:
                end = call["end_time"] or now_iso()
                v["call_duration"] = max(0, int(iso_secs(end) - iso_secs(start)))
            else:
                v["call_duration"] = 0
        if call["request"].get("record") == "record-from-answer":
            v["recording_id"] = call.setdefault("recording_id", str(uuid.uuid4()))
        return v

    def set_state(self, call, state, cause=None, source=None):
        if state not in STATES:
            raise ApiError(400, "10015", "Bad Request", "unknown state %r" % state)
        if call["state"] == "hangup" and state != "hangup":
            call["end_time"] = None
        call["state"] = state
        if state == "answered" and not call["answer_time"]:
            call["answer_time"] = now_iso()
        if state == "hangup":
            call["end_time"] = call["end_time"] or now_iso()
            call["hangup_cause"] = cause or call["hangup_cause"] or "normal_clearing"
            call["hangup_source"] = source or call["hangup_source"] or "caller"
            for conf_id, parts in self.participants.items():
                p = parts.get(call["call_control_id"])
                if p and p["status"] != "left":
                    self.leave(self.conferences[conf_id], p)

    def make_conference(self, name, call, body):
        ts = now_iso()
        minutes = body.get("duration_minutes") or 240
        conf = {
            "record_type": "conference", "id": str(uuid.uuid4()), "name": name,
            "created_at": ts, "updated_at": ts,
            "expires_at": now_iso(time.time() + 60 * minutes),
            "status": "in_progress" if body.get("start_conference_on_create", True) else "init",
            "region": body.get("region") or "US", "connection_id": call["connection_id"],
            "max_participants": body.get("max_participants"),
            "beep_enabled": body.get("beep_enabled", "never"),
        }
        self.conferences[conf["id"]] = conf
        self.participants[conf["id"]] = {}
        return conf

    @staticmethod
    def conf_view(conf):
        v = {k: conf[k] for k in ("record_type", "id", "name", "created_at", "updated_at",
                                  "expires_at", "status", "region")}
        if conf.get("connection_id"):
            v["connection_id"] = conf["connection_id"]
        if conf["status"] == "completed":
            v["end_reason"] = conf["end_reason"]
            if conf.get("ended_by"):
                v["ended_by"] = conf["ended_by"]
        return v

    def join(self, conf, call, body):
        parts = self.participants[conf["id"]]
        ccid = call["call_control_id"]
        ts = now_iso()
        p = parts.get(ccid)
        if p is None or p["status"] == "left":
            p = {"record_type": "participant", "id": str(uuid.uuid4()),
                 "call_control_id": ccid, "call_leg_id": call["call_leg_id"],
                 "conference": {"id": conf["id"], "name": conf["name"]},
                 "whisper_call_control_ids": [], "created_at": ts, "updated_at": ts,
                 "end_conference_on_exit": False, "soft_end_conference_on_exit": False,
                 "status": "joined", "muted": False, "on_hold": False}
            parts[ccid] = p
        p["end_conference_on_exit"] = bool(body.get("end_conference_on_exit", False))
        p["soft_end_conference_on_exit"] = bool(body.get("soft_end_conference_on_exit", False))
        p["muted"] = bool(body.get("mute", p["muted"]))
        p["on_hold"] = bool(body.get("hold", p["on_hold"]))
        p["whisper_call_control_ids"] = list(body.get("whisper_call_control_ids") or [])
        p["updated_at"] = ts
        if body.get("start_conference_on_enter") and conf["status"] == "init":
            conf["status"] = "in_progress"
        conf["updated_at"] = ts
        return p

    def active(self, conf):
        return [p for p in self.participants[conf["id"]].values() if p["status"] != "left"]

    def leave(self, conf, p):
        p["status"] = "left"
        p["updated_at"] = now_iso()
        if conf["status"] == "completed":
            return
        if p["end_conference_on_exit"]:
            self.end_conference(conf, "host_left", p, hangup=True)
        elif p["soft_end_conference_on_exit"]:
            self.end_conference(conf, "host_left", p, hangup=False)
        elif not self.active(conf):
            self.end_conference(conf, "all_left", p, hangup=False)

    def end_conference(self, conf, reason, by=None, hangup=True):
        conf["status"] = "completed"
        conf["end_reason"] = reason
        conf["updated_at"] = now_iso()
        if by is not None:
            call = self.calls.get(by["call_control_id"])
            conf["ended_by"] = {"call_control_id": by["call_control_id"],
                                "call_session_id": call and call["call_session_id"]}
        for p in self.active(conf):
            p["status"] = "left"
            p["updated_at"] = conf["updated_at"]
            call = self.calls.get(p["call_control_id"])
            if hangup and call and call["state"] != "hangup":
                call["state"] = "hangup"
                call["end_time"] = conf["updated_at"]
                call["hangup_cause"] = "normal_clearing"
                call["hangup_source"] = "unknown"

    def make_recording(self, call, base_url, duration_s=7, media=None, fmt="mp3",
                       content_type=None):
        rid = call.get("recording_id") or call.setdefault("recording_id", str(uuid.uuid4()))
        if rid in self.recordings:  # one recording per leg: a new one is a new id
            rid = str(uuid.uuid4())
        token = secrets.token_urlsafe(24)
        end = time.time()
        rec = {"record_type": "recording", "id": rid, "call_control_id": call["call_control_id"],
               "call_leg_id": call["call_leg_id"], "call_session_id": call["call_session_id"],
               "connection_id": call["connection_id"], "channels": "single",
               "created_at": now_iso(end), "updated_at": now_iso(end),
               "recording_started_at": now_iso(end - duration_s),
               "recording_ended_at": now_iso(end), "duration_millis": int(duration_s * 1000),
               "download_urls": {fmt: "%s/_media/%s.%s?X-Amz-Expires=600" % (base_url, token, fmt)},
               "source": "call", "status": "completed", "initiated_by": "OutboundAPI",
               "from": call["from"], "to": call["to"][0] if isinstance(call["to"], list)
               else call["to"],
               "_media": media if media is not None else b"ID3\x04\x00fake-telnyx-mp3-" +
               secrets.token_bytes(64),
               "_token": token, "_format": fmt,
               "_type": content_type or ("audio/mpeg" if fmt == "mp3" else "audio/wav")}
        self.recordings[rid] = rec
        return rec

    @staticmethod
    def recording_view(rec):
        return {k: v for k, v in rec.items() if not k.startswith("_")}

    def find_conference(self, key):
        conf = self.conferences.get(key)
        if conf:
            return conf
        named = [c for c in self.conferences.values() if c["name"] == key]
        live = [c for c in named if c["status"] != "completed"]
        return (live or named or [None])[-1]


def iso_secs(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTelnyx/1.0"
    sys_version = ""
    wbufsize = -1  # headers + body leave in one write (no Nagle/delayed-ACK stalls)

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            sys.stderr.write("fake_telnyx: " + (fmt % args) + "\n")

    # ---- plumbing --------------------------------------------------------
    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def send_body(self, status, body, ctype, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def send_json(self, status, obj, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_body(status, body, "application/json; charset=utf-8", headers)

    def send_error_body(self, e):
        self.send_json(e.status, {"errors": e.errors}, e.headers)

    def drop(self):
        self.close_connection = True
        self._headers_buffer = []
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def dispatch(self):
        fake = self.server.fake
        st = fake.state
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        if path.startswith("/_fake/") or path == "/_fake":
            try:
                self.control(path, raw)
            except ApiError as e:
                self.send_error_body(e)
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                self.send_error_body(ApiError(400, "10015", "Bad Request",
                                              "bad control request: %r" % (e,)))
            return

        if path.startswith("/_media/"):
            return self.media(path)

        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        body_text = raw.decode("utf-8", "replace")
        try:
            parsed = json.loads(body_text) if body_text.strip() else None
        except ValueError:
            parsed = ValueError
        with st.lock:
            if not getattr(self, "_counted", False):
                self._counted = True
                st.api_connections += 1
            st.api_requests += 1
            fault = None
            for f in st.faults:
                if f["count"] > 0 and re.fullmatch(f["method"], self.command, re.I) \
                        and re.search(f["path"], path):
                    f["count"] -= 1
                    fault = copy.deepcopy(f)
                    break
            st.faults = [f for f in st.faults if f["count"] > 0]
            st.requests.append({
                "time": time.time(), "method": self.command, "path": path, "query": query,
                "json": None if parsed is ValueError else parsed, "body": body_text,
                "headers": {k: v for k, v in self.headers.items()},
                "fault": fault and fault["action"],
            })

        if fault:
            if fault.get("delay"):
                time.sleep(float(fault["delay"]))
            action = fault["action"]
            if action == "close":
                return self.drop()
            if action == "malformed":
                return self.send_json(int(fault.get("status") or 200), None,
                                      raw=b'{"data": {"call_control_id": "v3:abc", "is_al')
            if action == "status":
                status = int(fault.get("status") or 500)
                code, title = STATUS_CODES.get(status, ("10007", "Unexpected error"))
                hdrs = {}
                if fault.get("retry_after") is not None:
                    hdrs["Retry-After"] = fault["retry_after"]
                return self.send_error_body(ApiError(
                    status, fault.get("code") or code, fault.get("title") or title,
                    fault.get("detail") or "Injected fault", headers=hdrs))

        try:
            self.check_auth()
            status, obj, ctype = self.api(path, query, parsed)
        except ApiError as e:
            if fault and fault["action"] == "close_after":
                return self.drop()
            return self.send_error_body(e)
        if fault and fault["action"] == "close_after":
            return self.drop()
        if ctype == "text/plain":
            return self.send_body(status, obj.encode(), "text/plain; charset=utf-8")
        self.send_json(status, obj)

    def media(self, path):
        """A presigned download: the URL is the credential; S3 refuses a second."""
        st = self.server.fake.state
        m = re.fullmatch(r"/_media/([A-Za-z0-9_-]+)\.(mp3|wav)", path)
        with st.lock:
            rec = next((r for r in st.recordings.values()
                        if m and r["_token"] == m.group(1) and r["_format"] == m.group(2)), None)
            if self.command != "GET":
                status = 405
            elif "Authorization" in self.headers:
                status = 400
            else:
                status = 200 if rec else 403
            st.downloads.append({"path": path, "headers": dict(self.headers.items()),
                                 "status": status, "time": time.time()})
        if status != 200:
            msg = {400: b"<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism "
                        b"allowed</Message></Error>",
                   403: b"<Error><Code>AccessDenied</Code><Message>Request has expired"
                        b"</Message></Error>",
                   405: b"<Error><Code>MethodNotAllowed</Code></Error>"}[status]
            return self.send_body(status, msg, "application/xml")
        return self.send_body(200, rec["_media"], rec["_type"])

    def check_auth(self):
        h = self.headers.get("Authorization", "")
        key = self.server.fake.api_key.encode()
        if not (h[:7].lower() == "bearer " and
                secrets.compare_digest(h[7:].strip().encode(), key)):
            raise ApiError(401, "10009", "Authentication failed",
                           "The required authentication headers were either invalid or not "
                           "included in the request.")

    # ---- Telnyx API ------------------------------------------------------
    def api(self, path, query, body):
        st = self.server.fake.state
        if not path.startswith(API + "/"):
            raise ApiError(404, "10005", "Resource not found", "Resource not found")
        rest, meth = path[len(API):], self.command
        if meth in ("POST", "PUT", "PATCH") and not rest.endswith("/token"):
            if body is ValueError:
                raise ApiError(400, "10015", "Bad Request", "The request body is not valid JSON.")
            if body is None:
                raise ApiError(400, "10015", "Bad Request",
                               "A JSON request body is required ({} at least).")
            if not isinstance(body, dict):
                raise ApiError(400, "10015", "Bad Request", "The request body must be an object.")
            if not self.headers.get("Content-Type", "").lower().startswith("application/json"):
                raise ApiError(400, "10015", "Bad Request",
                               "Content-Type must be application/json.")
        with st.lock:
            return self.route(st, rest, meth, query, body)

    def route(self, st, rest, meth, query, body):
        fake = self.server.fake
        nf = ApiError(404, "10005", "Resource not found", "Resource not found")
        if rest == "/calls" and meth == "POST":
            validate("CallRequest", body, fake.strict)
            if fake.connection_ids and body["connection_id"] not in fake.connection_ids:
                raise ApiError(422, "10015",
                               "Invalid value for connection_id (Call Control App ID)",
                               "The requested connection_id (Call Control App ID) is either "
                               "invalid or does not exist.", "/connection_id")
            check_address(body["to"], "to")
            check_address(body["from"], "from")
            if body.get("webhook_url") is not None and \
                    not re.match(r"^https?://\S+$", body["webhook_url"]):
                raise ApiError(422, "10015", "Invalid webhook_url",
                               "webhook_url must be an http(s) URL.", "/webhook_url")
            if body.get("timeout_secs") is not None and body["timeout_secs"] <= 0:
                raise ApiError(422, "10033", "Value outside of range",
                               "timeout_secs must be positive.", "/timeout_secs")
            cmd = body.get("command_id")
            if cmd:
                for c in st.calls.values():
                    if c["request"].get("command_id") == cmd:
                        return 200, {"data": st.call_view(c, dial=True)}, None
            call = st.make_call(body["to"], body["from"], "outgoing", "initiated",
                                body["connection_id"], body.get("client_state"), extra=body)
            call["webhook_url"] = body.get("webhook_url")
            return 200, {"data": st.call_view(call, dial=True)}, None
        m = re.fullmatch(r"/calls/([^/]+)", rest)
        if m and meth == "GET":
            call = st.calls.get(urllib.parse.unquote(m.group(1)))
            if not call:
                raise nf
            return 200, {"data": st.call_view(call)}, None
        m = re.fullmatch(r"/calls/([^/]+)/actions/([a-z_]+)", rest)
        if m and meth == "POST":
            return self.call_action(st, urllib.parse.unquote(m.group(1)), m.group(2), body)

        if rest == "/conferences" and meth == "GET":
            return self.list_conferences(st, query)
        if rest == "/conferences" and meth == "POST":
            validate("CreateConferenceRequest", body, fake.strict)
            call = self.live_call(st, body["call_control_id"], "/call_control_id")
            for c in st.conferences.values():
                if c["name"] == body["name"] and c["status"] != "completed":
                    raise ApiError(422, "90033", "Unable to execute command",
                                   "Conference with given name already exists and it's active.")
            conf = st.make_conference(body["name"], call, body)
            st.join(conf, call, {})
            if body.get("client_state"):
                call["client_state"] = body["client_state"]
            return 200, {"data": st.conf_view(conf)}, None
        m = re.fullmatch(r"/conferences/([^/]+)", rest)
        if m and meth == "GET":
            conf = st.conferences.get(m.group(1))
            if not conf:
                raise ApiError(404, "90058", "Invalid conference_id",
                               "The conference does not exist.")
            return 200, {"data": st.conf_view(conf)}, None
        m = re.fullmatch(r"/conferences/([^/]+)/participants", rest)
        if m and meth == "GET":
            conf = st.conferences.get(m.group(1))
            if not conf:
                raise ApiError(404, "90058", "Invalid conference_id",
                               "The conference does not exist.")
            items = list(st.participants[conf["id"]].values())
            for name, key in (("filter[muted]", "muted"), ("filter[on_hold]", "on_hold")):
                if name in query:
                    want = query[name][-1] == "true"
                    items = [p for p in items if p[key] == want]
            return 200, {"data": items, "meta": page_meta(len(items), query)}, None
        m = re.fullmatch(r"/conferences/([^/]+)/actions/([a-z_]+)", rest)
        if m and meth == "POST":
            return self.conf_action(st, urllib.parse.unquote(m.group(1)), m.group(2), body)

        if rest == "/recordings" and meth == "GET":
            items = list(st.recordings.values())
            for name in ("call_control_id", "call_leg_id", "call_session_id", "conference_id"):
                key = "filter[%s]" % name
                if key in query:
                    items = [r for r in items if r.get(name) == query[key][-1]]
            items.sort(key=lambda r: r["created_at"], reverse=True)
            meta = page_meta(len(items), query)
            lo = (meta["page_number"] - 1) * meta["page_size"]
            return 200, {"data": [st.recording_view(r)
                                  for r in items[lo:lo + meta["page_size"]]],
                         "meta": meta}, None
        m = re.fullmatch(r"/recordings/([^/]+)", rest)
        if m and meth == "GET":
            rec = st.recordings.get(urllib.parse.unquote(m.group(1)))
            if not rec:
                raise ApiError(404, "10005", "Resource not found", "Recording not found")
            return 200, {"data": st.recording_view(rec)}, None
        m = re.fullmatch(r"/telephony_credentials/([^/]+)/token", rest)
        if m and meth == "POST":
            cred = urllib.parse.unquote(m.group(1))
            if fake.credential_ids and cred not in fake.credential_ids:
                raise ApiError(404, "10005", "Resource not found", "Resource not Found")
            tok = fake.make_token(cred)
            st.tokens.append({"credential_id": cred, "token": tok, "time": time.time()})
            return 201, tok, "text/plain"
        raise nf

    def live_call(self, st, ccid, pointer, need_answer=True):
        call = st.calls.get(ccid)
        if not call:
            raise ApiError(422, "90015", "Invalid Call Control ID",
                           "The call_control_id provided was not valid.", pointer)
        if call["state"] == "hangup":
            raise ApiError(422, "90018", "Call has already ended",
                           "This call is no longer active and can't receive commands.")
        if need_answer and call["state"] != "answered":
            raise ApiError(422, "90034", "Call not answered yet",
                           "This call can't receive this command because it has not been "
                           "answered yet.")
        return call

    def call_action(self, st, ccid, action, body):
        fake = self.server.fake
        if action not in CALL_ACTIONS:
            raise ApiError(404, "10005", "Resource not found", "Resource not found")
        if action in CALL_ACTION_SCHEMA:
            validate(CALL_ACTION_SCHEMA[action], body, fake.strict)
        call = self.live_call(st, ccid, "/call_control_id",
                              need_answer=action not in ("answer", "hangup", "reject",
                                                         "client_state_update"))
        ok = {"data": {"result": "ok"}}
        if action == "answer":
            if call["direction"] != "incoming":
                raise ApiError(422, "10015", "Unable to execute command",
                               "Only incoming calls can be answered.")
            if call["state"] == "answered":
                raise ApiError(422, "90018", "Call already answered",
                               "This call has already been answered.")
            st.set_state(call, "answered")
            if body.get("record") == "record-from-answer":
                call["request"]["record"] = "record-from-answer"
                ok["data"]["recording_id"] = call.setdefault("recording_id", str(uuid.uuid4()))
        elif action == "hangup":
            st.set_state(call, "hangup", "normal_clearing", "caller")
        elif action == "reject":
            if call["direction"] != "incoming" or call["state"] != "initiated":
                raise ApiError(422, "10015", "Unable to execute command",
                               "Only unanswered incoming calls can be rejected.")
            st.set_state(call, "hangup",
                         "call_rejected" if body["cause"] == "CALL_REJECTED" else "user_busy",
                         "callee")
        elif action == "playback_start" and bool(body.get("audio_url")) == \
                bool(body.get("media_name") or body.get("playback_content")):
            raise ApiError(422, "10015", "Invalid parameters",
                           "Exactly one of audio_url, media_name or playback_content is needed.")
        if "client_state" in body and body["client_state"]:
            call["client_state"] = body["client_state"]
        cmd = body.get("command_id")
        dup = bool(cmd) and any(a["body"].get("command_id") == cmd and a["action"] == action
                                for a in call.get("actions", []))
        call.setdefault("actions", []).append({"action": action, "body": body,
                                               "duplicate": dup})
        return 200, ok, None

    def conf_action(self, st, key, action, body):
        fake = self.server.fake
        if action not in CONF_ACTIONS:
            raise ApiError(404, "10005", "Resource not found", "Resource not found")
        if action in CONF_ACTION_SCHEMA:
            validate(CONF_ACTION_SCHEMA[action], body, fake.strict)
        conf = st.find_conference(key)
        if not conf:
            raise ApiError(404, "90058", "Invalid conference_id", "The conference does not exist.")
        if conf["status"] == "completed":
            raise ApiError(422, "90019", "Conference has already ended",
                           "This conference is no longer active and can't receive commands.")
        ok = {"data": {"result": "ok"}}
        parts = st.participants[conf["id"]]
        if action == "join":
            call = self.live_call(st, body["call_control_id"], "/call_control_id")
            active = st.active(conf)
            already = parts.get(call["call_control_id"])
            if conf.get("max_participants") and len(active) >= conf["max_participants"] and \
                    not (already and already["status"] != "left"):
                raise ApiError(422, "90032", "Maximum number of participants reached",
                               "The maximum allowed value of `max_participants` has been "
                               "reached at %d." % conf["max_participants"])
            for other in st.conferences.values():
                p = st.participants[other["id"]].get(call["call_control_id"])
                if other is not conf and p and p["status"] != "left":
                    st.leave(other, p)
            st.join(conf, call, body)
            if body.get("client_state"):
                call["client_state"] = body["client_state"]
        elif action == "leave":
            p = parts.get(body["call_control_id"])
            if not p or p["status"] == "left":
                raise ApiError(422, "90015", "Invalid Call Control ID",
                               "The call is not a participant of this conference.",
                               "/call_control_id")
            st.leave(conf, p)
        elif action == "end":
            st.end_conference(conf, "ended_via_api", hangup=True)
        elif action in ("mute", "unmute", "hold", "unhold"):
            ids = body.get("call_control_ids")
            if ids:
                bad = [i for i in ids if i not in parts or parts[i]["status"] == "left"]
                if bad:
                    raise ApiError(422, "90015", "Invalid Call Control ID",
                                   "Not a participant of this conference: %s" % ", ".join(bad),
                                   "/call_control_ids")
                targets = [parts[i] for i in ids]
            else:
                targets = st.active(conf)
            key = "muted" if action in ("mute", "unmute") else "on_hold"
            for p in targets:
                p[key] = action in ("mute", "hold")
                p["updated_at"] = now_iso()
        conf.setdefault("actions", []).append({"action": action, "body": body})
        return 200, ok, None

    def list_conferences(self, st, query):
        items = list(st.conferences.values())
        for name, key in (("filter[name]", "name"), ("filter[status]", "status"),
                          ("filter[connection_id]", "connection_id")):
            if name in query:
                items = [c for c in items if c.get(key) == query[name][-1]]
        items.sort(key=lambda c: c["expires_at"], reverse=True)
        meta = page_meta(len(items), query)
        lo = (meta["page_number"] - 1) * meta["page_size"]
        return 200, {"data": [st.conf_view(c) for c in items[lo:lo + meta["page_size"]]],
                     "meta": meta}, None

    # ---- control endpoints -----------------------------------------------
    def control(self, path, raw):
        fake = self.server.fake
        st = fake.state
        meth = self.command
        data = json.loads(raw.decode() or "{}") if meth in ("POST", "PUT") else {}
        if path == "/_fake/requests" and meth == "GET":
            with st.lock:
                return self.send_json(200, st.requests)
        if path == "/_fake/state" and meth == "GET":
            with st.lock:
                return self.send_json(200, fake.snapshot())
        if path == "/_fake/stats" and meth == "GET":
            with st.lock:
                return self.send_json(200, {"connections": st.api_connections,
                                            "requests": st.api_requests})
        if path == "/_fake/reset" and meth == "POST":
            with st.lock:
                st.reset()
            return self.send_json(200, {"ok": True})
        if path == "/_fake/public_key" and meth == "GET":
            return self.send_json(200, {"public_key": fake.public_key})
        if path == "/_fake/calls" and meth == "POST":
            return self.send_json(201, fake.add_call(**data))
        m = re.fullmatch(r"/_fake/calls/(.+)", path)
        if m and meth in ("POST", "DELETE"):
            ccid = urllib.parse.unquote(m.group(1))
            with st.lock:
                call = st.calls.get(ccid)
                if not call:
                    raise ApiError(404, "10005", "Resource not found", "no such call")
                if meth == "DELETE":
                    del st.calls[ccid]
                    return self.send_json(200, {"ok": True})
                return self.send_json(200, fake.set_call(ccid, **data))
        if path == "/_fake/faults":
            with st.lock:
                if meth == "GET":
                    return self.send_json(200, st.faults)
                if meth == "DELETE":
                    st.faults = []
                    return self.send_json(200, {"ok": True})
                if meth == "POST":
                    return self.send_json(201, fake.add_fault(**data))
        if path == "/_fake/recordings" and meth == "POST":
            return self.send_json(201, fake.add_recording(**data))
        if path == "/_fake/events" and meth == "POST":
            return self.send_json(200, fake.build_event(**data))
        if path == "/_fake/callback" and meth == "POST":
            event = data.get("event")
            if event is None:
                event = fake.build_event(**data["build"])
            return self.send_json(200, fake.callback(
                data["url"], event, tamper=bool(data.get("tamper")),
                wrong_key=bool(data.get("wrong_key")), timestamp=data.get("timestamp"),
                meta=data.get("meta", True), timeout=float(data.get("timeout", 10))))
        raise ApiError(404, "10005", "Resource not found", "no control endpoint %s" % path)


def page_meta(total, query):
    def num(name, default):
        v = (query.get(name) or [None])[-1]
        try:
            return max(1, min(250, int(v))) if v else default
        except ValueError:
            raise ApiError(400, "10015", "Bad Request", "%s must be an integer" % name)
    size, number = num("page[size]", 20), num("page[number]", 1)
    return {"page_number": number, "page_size": size,
            "total_pages": max(1, -(-total // size)), "total_results": total}


class FakeTelnyx:
    def __init__(self, api_key=None, connection_id=None, credential_id=None, port=0,
                 strict=True, verbose=False):
        self.api_key = api_key or "KEY" + secrets.token_hex(16)
        ids = connection_id if isinstance(connection_id, (list, tuple, set)) else \
            [connection_id] if connection_id else []
        self.connection_ids = set(ids)     # empty: any connection_id is accepted
        creds = credential_id if isinstance(credential_id, (list, tuple, set)) else \
            [credential_id] if credential_id else []
        self.credential_ids = set(creds)   # empty: any credential id is accepted
        self.port = port
        self.strict = strict
        self.verbose = verbose
        self.state = State()
        self.httpd = None
        self.thread = None
        self.private_key = Ed25519PrivateKey.generate()
        self.public_key_bytes = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_key = base64.b64encode(self.public_key_bytes).decode()
        self.jwt_secret = secrets.token_bytes(32)

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def url(self):
        """TELNYX_API_BASE for the server under test."""
        return self.base_url + API

    def start(self):
        self.httpd = FakeHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    # ---- in-process control (the HTTP control endpoints call these) ------
    def snapshot(self):
        st = self.state
        with st.lock:
            return copy.deepcopy({
                "calls": list(st.calls.values()),
                "conferences": list(st.conferences.values()),
                "participants": {k: list(v.values()) for k, v in st.participants.items()},
                "tokens": st.tokens,
                "recordings": [dict(st.recording_view(r), media_length=len(r["_media"]))
                               for r in st.recordings.values()],
                "downloads": st.downloads})

    def call(self, ccid):
        with self.state.lock:
            return copy.deepcopy(self.state.calls[ccid])

    def add_call(self, direction="incoming", to="+15550000000", state="initiated",
                 client_state=None, call_control_id=None, connection_id=None, **kw):
        """A call Telnyx made without our dial: the browser's leg (incoming) by default."""
        frm = kw.pop("from", "sip:operator@sip.telnyx.com")
        if kw:
            raise TypeError("unknown fields %s" % sorted(kw))
        if direction not in ("incoming", "outgoing") or state not in STATES:
            raise ApiError(400, "10015", "Bad Request", "bad direction or state")
        with self.state.lock:
            if call_control_id in self.state.calls:
                raise ApiError(400, "10015", "Bad Request", "call_control_id exists")
            cid = connection_id or (sorted(self.connection_ids) or ["1494404757140276705"])[0]
            call = self.state.make_call(to, frm, direction, "initiated", cid, client_state,
                                        call_control_id)
            if state != "initiated":
                self.state.set_state(call, state)
            return copy.deepcopy(call)

    def set_call(self, ccid, state=None, hangup_cause=None, hangup_source=None,
                 amd_result=None, client_state=None):
        if hangup_cause is not None and hangup_cause not in HANGUP_CAUSES:
            raise ApiError(400, "10015", "Bad Request", "unknown hangup_cause %s" % hangup_cause)
        with self.state.lock:
            call = self.state.calls[ccid]
            if state:
                self.state.set_state(call, state, hangup_cause, hangup_source)
            if amd_result is not None:
                call["amd_result"] = amd_result
            if client_state is not None:
                call["client_state"] = client_state
            return copy.deepcopy(call)

    def add_recording(self, call_control_id, duration_s=7, media_b64=None, format="mp3",
                      content_type=None):
        """A recording Telnyx saved of one leg; its view, with the media in base64."""
        if format not in ("mp3", "wav"):
            raise ApiError(400, "10015", "Bad Request", "format is mp3 or wav")
        with self.state.lock:
            call = self.state.calls.get(call_control_id)
            if not call:
                raise ApiError(404, "10005", "Resource not found", "no call %s" % call_control_id)
            rec = self.state.make_recording(
                call, self.base_url, float(duration_s),
                base64.b64decode(media_b64) if media_b64 is not None else None, format,
                content_type)
            return dict(self.state.recording_view(rec),
                        media_b64=base64.b64encode(rec["_media"]).decode())

    def add_fault(self, method=".*", path=".*", count=1, action=None, status=None,
                  retry_after=None, delay=None, code=None, title=None, detail=None, message=None):
        f = {"method": method, "path": path, "count": int(count),
             "action": action or ("status" if status else "delay"), "status": status,
             "retry_after": retry_after, "delay": delay, "code": code and str(code),
             "title": title, "detail": detail or message}
        if f["action"] not in ("status", "delay", "close", "close_after", "malformed"):
            raise ApiError(400, "10015", "Bad Request", "unknown fault action %s" % f["action"])
        re.compile(f["path"])
        re.compile(f["method"])
        with self.state.lock:
            self.state.faults.append(f)
        return f

    def make_token(self, credential_id):
        """A JWT like Telnyx's (HS512; claims as in the spec's example), signed by the fake."""
        now = int(time.time())
        header = {"alg": "HS512", "typ": "JWT"}
        claims = {"aud": "telnyx_telephony", "exp": now + 24 * 3600, "iat": now,
                  "iss": "telnyx_telephony", "jti": str(uuid.uuid4()), "nbf": now - 1,
                  "sub": credential_id, "tel_token": b64url(secrets.token_bytes(48)),
                  "typ": "access"}
        signing = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(self.jwt_secret, signing.encode(), hashlib.sha512).digest()
        return signing + "." + b64url(sig)

    # ---- webhook events --------------------------------------------------
    def build_event(self, event_type, call_control_id=None, conference_id=None, payload=None,
                    apply=True, occurred_at=None, event_id=None):
        """A Telnyx webhook event {"data": {...}} built from the fake's state.

        call.initiated / call.answered / call.hangup / call.machine.detection.ended /
        call.machine.greeting.ended / call.hold / call.unhold / call.bridged need
        call_control_id; conference.created / conference.ended need conference_id (and take
        the creating leg's call fields); conference.participant.joined / .left need both.
        With apply (default) the call's fake state follows the event (answered, hangup with
        payload hangup_cause, amd result, participant joined/left).  payload overrides fields.
        """
        st = self.state
        payload = dict(payload or {})
        with st.lock:
            call = conf = None
            if call_control_id is not None:
                call = st.calls.get(call_control_id)
                if not call:
                    raise ApiError(404, "10005", "Resource not found",
                                   "no call %s" % call_control_id)
            if conference_id is not None:
                conf = st.find_conference(conference_id)
                if not conf:
                    raise ApiError(404, "90058", "Invalid conference_id", "no conference")
            if event_type.startswith("conference.") and conf is None:
                raise ApiError(400, "10015", "Bad Request", "%s needs conference_id" % event_type)
            if event_type.startswith("conference.") and call is None:
                parts = list(st.participants[conf["id"]].values())
                if parts:
                    call = st.calls.get(parts[0]["call_control_id"])
            if event_type.startswith("call.") and call is None:
                raise ApiError(400, "10015", "Bad Request", "%s needs call_control_id" % event_type)
            when = occurred_at or now_iso()
            p = {}
            if call:
                p.update({"call_control_id": call["call_control_id"],
                          "call_leg_id": call["call_leg_id"],
                          "call_session_id": call["call_session_id"],
                          "connection_id": call["connection_id"]})
                if call.get("client_state"):
                    p["client_state"] = call["client_state"]
                to = call["to"][0] if isinstance(call["to"], list) else call["to"]
                if not event_type.startswith("conference."):
                    p.update({"from": call["from"], "to": to})
            if event_type == "call.initiated":
                p.update({"direction": call["direction"], "state": "parked"
                          if call["direction"] == "incoming" else "bridging",
                          "start_time": call["start_time"], "caller_id_name": call["from"]})
                if call["direction"] == "incoming":
                    p["connection_codecs"] = p["offered_codecs"] = "OPUS,G722,PCMU,PCMA"
            elif event_type == "call.answered":
                p.update({"state": "answered", "start_time": call["start_time"]})
            elif event_type == "call.hangup":
                p.update({"state": "hangup", "start_time": call["start_time"],
                          "hangup_cause": call["hangup_cause"] or "normal_clearing",
                          "hangup_source": call["hangup_source"] or "callee",
                          "sip_hangup_cause": "unspecified", "call_quality_stats": None})
                p["hangup_cause"] = payload.get("hangup_cause", p["hangup_cause"])
                p["sip_hangup_cause"] = {"normal_clearing": "200", "user_busy": "486",
                                         "call_rejected": "603", "timeout": "408",
                                         "no_answer": "480", "originator_cancel": "487",
                                         "not_found": "404"}.get(p["hangup_cause"],
                                                                 "unspecified")
            elif event_type == "call.machine.detection.ended":
                p["result"] = call["amd_result"] or "human"
            elif event_type == "call.machine.greeting.ended":
                p["result"] = "ended"
            elif event_type in ("call.speak.ended", "call.playback.ended"):
                p["status"] = "completed"
            elif event_type == "call.recording.saved":
                recs = [r for r in st.recordings.values()
                        if r["call_control_id"] == call["call_control_id"]]
                if not recs:
                    raise ApiError(400, "10015", "Bad Request",
                                   "no recording of %s: POST /_fake/recordings first"
                                   % call["call_control_id"])
                rec = max(recs, key=lambda r: r["created_at"])
                urls = {"mp3": None, "wav": None}
                urls.update(rec["download_urls"])
                p.update({"channels": rec["channels"],
                          "recording_started_at": rec["recording_started_at"],
                          "recording_ended_at": rec["recording_ended_at"],
                          "recording_urls": urls,
                          "public_recording_urls": {"mp3": None, "wav": None}})
            elif event_type.startswith("conference."):
                p["conference_id"] = conf["id"]
                if event_type in ("conference.created", "conference.ended"):
                    p["occurred_at"] = when   # the spec puts it in the payload for these two
                if event_type == "conference.ended":
                    p["reason"] = conf.get("end_reason") or "all_left"
            p.update(payload)
            data = {"record_type": "event", "event_type": event_type,
                    "id": event_id or str(uuid.uuid4()), "payload": p}
            if event_type not in ("conference.created", "conference.ended"):
                data["occurred_at"] = when
            if apply:
                self.apply_event(event_type, call, conf, p)
            event = {"data": data}
            st.events.append(copy.deepcopy(event))
            return event

    def apply_event(self, event_type, call, conf, p):
        st = self.state
        if event_type == "call.answered" and call["state"] == "initiated":
            st.set_state(call, "answered")
        elif event_type == "call.hangup":
            cause = p.get("hangup_cause")
            st.set_state(call, "hangup", cause if cause in HANGUP_CAUSES else None,
                         p.get("hangup_source"))
        elif event_type == "call.machine.detection.ended":
            call["amd_result"] = p.get("result")
        elif event_type == "conference.participant.joined" and call and \
                call["state"] != "hangup":
            cur = st.participants[conf["id"]].get(call["call_control_id"])
            if not cur or cur["status"] == "left":
                st.join(conf, call, {})
        elif event_type == "conference.participant.left" and call:
            cur = st.participants[conf["id"]].get(call["call_control_id"])
            if cur and cur["status"] != "left":
                st.leave(conf, cur)
        elif event_type == "conference.ended" and conf["status"] != "completed":
            st.end_conference(conf, p.get("reason") or "all_left", hangup=False)

    def sign(self, timestamp, body, key=None):
        key = key or self.private_key
        return base64.b64encode(key.sign(str(timestamp).encode() + b"|" + body)).decode()

    def callback(self, url, event, tamper=False, wrong_key=False, timestamp=None, meta=True,
                 timeout=10.0):
        """POST a signed webhook to url (loopback only); returns what the app answered."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or \
                parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ApiError(400, "10015", "Bad Request", "callback URL must be on loopback: %s"
                           % url)
        event = copy.deepcopy(event)
        if meta and isinstance(event, dict) and "meta" not in event:
            event["meta"] = {"attempt": 1, "delivered_to": url}
        body = json.dumps(event, separators=(",", ":")).encode()
        ts = int(time.time()) if timestamp is None else int(timestamp)
        sig = self.sign(ts, body, Ed25519PrivateKey.generate() if wrong_key else None)
        if tamper:  # same length, one character changed after signing
            body = body.replace(b'"record_type":"event"', b'"record_type":"evenT"', 1) \
                if b'"record_type":"event"' in body else body + b" "
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "telnyx-webhooks",
            "telnyx-signature-ed25519": sig, "telnyx-timestamp": str(ts)})
        res = {"signature": sig, "timestamp": ts, "sent": body.decode()}
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                res.update(status=r.status, body=r.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as e:
            res.update(status=e.code, body=e.read().decode("utf-8", "replace"))
        except (urllib.error.URLError, OSError) as e:
            res.update(status=0, body="", error=str(e))
        return res

    def send_event(self, url, event_type, **kw):
        """build_event + callback in one step (kwargs split between the two)."""
        cb = {k: kw.pop(k) for k in ("tamper", "wrong_key", "timestamp", "meta", "timeout")
              if k in kw}
        return self.callback(url, self.build_event(event_type, **kw), **cb)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", required=True)
    ap.add_argument("--connection-id", action="append",
                    help="accepted connection_id (repeatable; default: any)")
    ap.add_argument("--credential-id", action="append",
                    help="known telephony credential id (repeatable; default: any)")
    ap.add_argument("--lenient", action="store_true", help="accept unknown body fields")
    ap.add_argument("--ready-file")
    ap.add_argument("--public-key-file", help="also write the base64 public key here")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    fake = FakeTelnyx(a.api_key, a.connection_id, a.credential_id, a.port,
                      strict=not a.lenient, verbose=a.verbose).start()
    if a.public_key_file:
        tmp = a.public_key_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(fake.public_key + "\n")
        os.replace(tmp, a.public_key_file)
    if a.ready_file:
        tmp = a.ready_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("%d\n" % fake.port)
        os.replace(tmp, a.ready_file)
    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
