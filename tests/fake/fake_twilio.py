#!/usr/bin/python3
"""Stateful fake of Twilio's 2010-04-01 REST API, listening on 127.0.0.1 only.

Run:  /usr/bin/python3 tests/fake/fake_twilio.py --port 0 --account-sid AC... \
          --auth-token TOKEN [--api-key-sid SK... --api-key-secret SECRET] --ready-file PATH
or in-process:  f = FakeTwilio(account_sid, auth_token, ...); f.start(); f.url; f.stop()

Twilio API (HTTP Basic: account SID + auth token, or API key SID + secret):
  POST /2010-04-01/Accounts/{AC}/Calls.json                         create call (201)
  GET  /2010-04-01/Accounts/{AC}/Calls/{CA}.json                    fetch call
  POST /2010-04-01/Accounts/{AC}/Calls/{CA}.json                    update call (Status=canceled|completed)
  GET  /2010-04-01/Accounts/{AC}/Conferences.json?FriendlyName=&Status=
  GET|POST /2010-04-01/Accounts/{AC}/Conferences/{CF}.json          fetch / update (Status=completed)
  GET|POST /2010-04-01/Accounts/{AC}/Conferences/{CF}/Participants.json
  GET|POST|DELETE /2010-04-01/Accounts/{AC}/Conferences/{CF}/Participants/{CA}.json
                  (an update with AnnounceUrl is kept, and a loopback AnnounceUrl is fetched
                   the way Twilio does: a signed POST; what it answered is kept too)
  GET  /2010-04-01/Accounts/{AC}/Recordings/{RE}.json|.mp3|.wav   the resource, or its media
Test control (no auth, JSON bodies):
  GET  /_fake/requests      recorded API requests (method, path, query, params, body, headers, fault)
  GET  /_fake/state         calls, conferences, participants, recordings (media as its length),
                            announcements (every AnnounceUrl asked for, and what it answered)
  GET  /_fake/stats         {"connections": API TCP connections, "requests": API requests}
  POST /_fake/reset         clear everything (state, requests, faults, counters)
  POST /_fake/conferences   {"friendly_name": ..., "operator_call_sid"?: ...} -> in-progress conference
                            with the operator's leg joined (as real Twilio does implicitly); an
                            operator_call_sid the fake does not know becomes that leg's SID
  POST /_fake/calls/{CA}    {"status": ...} set a call's status
  POST /_fake/faults        {"method": "POST", "path": "regex", "count": 1,
                             "action": "status"|"delay"|"close"|"close_after"|"malformed",
                             "status": 503, "retry_after": 1, "delay": 0.5, "code": ..., "message": ...}
  GET  /_fake/faults        pending faults;  DELETE /_fake/faults clears them
  POST /_fake/recordings    {"conference_sid"?, "call_sid"?, "duration"?: 7, "media_b64"?,
                             "content_type"?: "audio/mpeg"} -> a completed Recording (201)
  POST /_fake/recordings/{RE}/callback  {"url": ..., "status"?: "completed", "params"?: {...},
                             "tamper"?: bool} -> the recording status callback, signed
                            (RecordingSid, RecordingUrl, RecordingStatus, RecordingDuration, ...)
  POST /_fake/callback      {"url": "http://127.0.0.1:..../path", "params": {...},
                             "signature_url"?: URL to sign instead of url, "tamper"?: bool}
                            -> {"status": N, "body": "...", "signature": "..."}
"""
import argparse
import base64
import binascii
import copy
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
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twilio.request_validator import RequestValidator

API = "/2010-04-01"
SID_RE = {p: re.compile("^%s[0-9a-f]{32}$" % p) for p in ("AC", "CA", "CF", "SK")}
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
CLIENT = re.compile(r"^(client:[A-Za-z0-9_.@+\-]+|sip:\S+)$")

CALL_CREATE = {
    "To", "From", "Url", "Twiml", "ApplicationSid", "Method", "FallbackUrl", "FallbackMethod",
    "StatusCallback", "StatusCallbackEvent", "StatusCallbackMethod", "SendDigits", "Timeout",
    "Record", "RecordingChannels", "RecordingStatusCallback", "RecordingStatusCallbackMethod",
    "RecordingStatusCallbackEvent", "SipAuthUsername", "SipAuthPassword", "MachineDetection",
    "MachineDetectionTimeout", "MachineDetectionSpeechThreshold",
    "MachineDetectionSpeechEndThreshold", "MachineDetectionSilenceTimeout", "AsyncAmd",
    "AsyncAmdStatusCallback", "AsyncAmdStatusCallbackMethod", "Trim", "CallerId", "Byoc",
    "CallReason", "CallToken", "RecordingTrack", "TimeLimit",
}
CALL_UPDATE = {"Url", "Method", "Status", "FallbackUrl", "FallbackMethod", "StatusCallback",
               "StatusCallbackMethod", "Twiml", "TimeLimit"}
CONF_UPDATE = {"Status", "AnnounceUrl", "AnnounceMethod"}
CONF_LIST = {"FriendlyName", "Status", "DateCreated", "DateCreated<", "DateCreated>",
             "DateUpdated", "DateUpdated<", "DateUpdated>", "PageSize", "Page", "PageToken"}
PART_CREATE = {
    "From", "To", "StatusCallback", "StatusCallbackMethod", "StatusCallbackEvent", "Label",
    "Timeout", "Record", "Muted", "Beep", "StartConferenceOnEnter", "EndConferenceOnExit",
    "WaitUrl", "WaitMethod", "EarlyMedia", "MaxParticipants", "ConferenceRecord", "ConferenceTrim",
    "ConferenceStatusCallback", "ConferenceStatusCallbackMethod", "ConferenceStatusCallbackEvent",
    "RecordingChannels", "RecordingStatusCallback", "RecordingStatusCallbackMethod",
    "SipAuthUsername", "SipAuthPassword", "Region", "ConferenceRecordingStatusCallback",
    "ConferenceRecordingStatusCallbackMethod", "RecordingStatusCallbackEvent",
    "ConferenceRecordingStatusCallbackEvent", "Coaching", "CallSidToCoach", "JitterBufferSize",
    "Byoc", "CallerId", "CallReason", "RecordingTrack", "TimeLimit", "MachineDetection",
    "MachineDetectionTimeout", "MachineDetectionSpeechThreshold",
    "MachineDetectionSpeechEndThreshold", "MachineDetectionSilenceTimeout", "AmdStatusCallback",
    "AmdStatusCallbackMethod", "Trim", "CallToken", "ClientNotificationUrl", "CallerDisplayName",
}
PART_UPDATE = {"Muted", "Hold", "HoldUrl", "HoldMethod", "AnnounceUrl", "AnnounceMethod",
               "WaitUrl", "WaitMethod", "BeepOnExit", "EndConferenceOnExit", "Coaching",
               "CallSidToCoach"}
PAGING = {"PageSize", "Page", "PageToken"}
CALL_EVENTS = {"initiated", "ringing", "answered", "completed"}
RECORDING_EVENTS = {"in-progress", "completed", "absent", "failed"}
CONFERENCE_RECORD = {"true", "false", "record-from-start", "do-not-record"}
HTTP_URL = re.compile(r"^https?://\S+$")
BOOL = {"true", "false"}



class FakeHTTPServer(ThreadingHTTPServer):
    """socketserver listens with a backlog of 5: the concurrency tests
    connect dozens of clients at once (and the server under test its own
    programs), and an overflowing queue shows up as connections reset."""
    request_queue_size = 128

class Media:
    """A route's answer that is not JSON: a recording's bytes."""

    def __init__(self, body, content_type):
        self.body, self.content_type = body, content_type


class ApiError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def new_sid(prefix):
    return prefix + secrets.token_hex(16)


def now_rfc2822():
    return formatdate(usegmt=False).replace("-0000", "+0000")


def error_body(status, code, message):
    return {"code": code, "message": message,
            "more_info": "https://www.twilio.com/docs/errors/%d" % code, "status": status}


def one(params, name, default=None):
    v = params.get(name)
    return v[-1] if v else default


class State:
    def __init__(self, account_sid):
        self.ac = account_sid
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        self.calls = {}          # CA -> call dict
        self.conferences = {}    # CF -> conference dict
        self.participants = {}   # CF -> {CA: participant dict}
        self.recordings = {}     # RE -> recording dict (+ "_media", "_type")
        self.announcements = []  # {"conference_sid", "call_sid", "url", "method", "answer"}
        self.requests = []
        self.faults = []
        self.api_connections = 0
        self.api_requests = 0

    # ---- resources -------------------------------------------------------
    def base(self):
        return "%s/Accounts/%s" % (API, self.ac)

    def make_call(self, to, frm, status="queued", extra=None, sid=None):
        sid = sid or new_sid("CA")
        ts = now_rfc2822()
        uri = "%s/Calls/%s.json" % (self.base(), sid)
        call = {
            "sid": sid, "account_sid": self.ac, "to": to, "to_formatted": to, "from": frm,
            "from_formatted": frm, "status": status, "direction": "outbound-api",
            "date_created": ts, "date_updated": ts, "start_time": None, "end_time": None,
            "duration": None, "price": None, "price_unit": "USD", "api_version": "2010-04-01",
            "answered_by": None, "annotation": None, "caller_name": None, "forwarded_from": None,
            "group_sid": None, "parent_call_sid": None, "phone_number_sid": None,
            "queue_time": "0", "trunk_sid": None, "uri": uri,
            "subresource_uris": {k: uri[:-5] + "/%s.json" % v for k, v in (
                ("notifications", "Notifications"), ("recordings", "Recordings"),
                ("events", "Events"), ("siprec", "Siprec"), ("streams", "Streams"),
                ("payments", "Payments"), ("user_defined_message_subscriptions",
                                           "UserDefinedMessageSubscriptions"),
                ("user_defined_messages", "UserDefinedMessages"))},
        }
        if extra:
            call["_fake"] = extra
        self.calls[sid] = call
        return call

    def make_conference(self, friendly_name, status="in-progress"):
        sid = new_sid("CF")
        ts = now_rfc2822()
        uri = "%s/Conferences/%s.json" % (self.base(), sid)
        conf = {
            "sid": sid, "account_sid": self.ac, "friendly_name": friendly_name,
            "status": status, "region": "us1", "date_created": ts, "date_updated": ts,
            "api_version": "2010-04-01", "reason_conference_ended": None,
            "call_sid_ending_conference": None, "uri": uri,
            "subresource_uris": {"participants": uri[:-5] + "/Participants.json",
                                 "recordings": uri[:-5] + "/Recordings.json"},
        }
        self.conferences[sid] = conf
        self.participants[sid] = {}
        return conf

    def make_participant(self, conf, call_sid, status, params):
        ts = now_rfc2822()
        p = {
            "account_sid": self.ac, "call_sid": call_sid, "conference_sid": conf["sid"],
            "label": one(params, "Label"), "call_sid_to_coach": None,
            "coaching": one(params, "Coaching", "false") == "true",
            "date_created": ts, "date_updated": ts,
            "end_conference_on_exit": one(params, "EndConferenceOnExit", "false") == "true",
            "start_conference_on_enter": one(params, "StartConferenceOnEnter", "true") == "true",
            "muted": one(params, "Muted", "false") == "true", "hold": False,
            "status": status, "queue_time": "0", "api_version": "2010-04-01",
            "uri": "%s/Conferences/%s/Participants/%s.json" % (self.base(), conf["sid"], call_sid),
        }
        self.participants[conf["sid"]][call_sid] = p
        return p

    def make_recording(self, conference_sid=None, call_sid=None, duration=7, media=None,
                       content_type="audio/mpeg"):
        sid = new_sid("RE")
        ts = now_rfc2822()
        uri = "%s/Recordings/%s.json" % (self.base(), sid)
        rec = {
            "sid": sid, "account_sid": self.ac, "call_sid": call_sid,
            "conference_sid": conference_sid, "api_version": "2010-04-01",
            "date_created": ts, "date_updated": ts, "start_time": ts,
            "duration": str(int(duration)), "price": None, "price_unit": "USD",
            "status": "completed", "channels": 1,
            "source": "StartConferenceRecordingAPI" if conference_sid else "OutboundAPI",
            "error_code": None, "uri": uri, "encryption_details": None,
            "subresource_uris": {"add_on_results": uri[:-5] + "/AddOnResults.json",
                                 "transcriptions": uri[:-5] + "/Transcriptions.json"},
            "media_url": "https://api.twilio.com" + uri[:-5],
            "_media": media if media is not None else b"ID3\x04\x00fake-mp3-" +
            secrets.token_bytes(64),
            "_type": content_type,
        }
        self.recordings[sid] = rec
        return rec

    @staticmethod
    def recording_view(rec):
        return {k: v for k, v in rec.items() if not k.startswith("_")}

    def page(self, key, items, path, query):
        size = int(one(query, "PageSize", "50") or 50)
        return {key: items, "first_page_uri": "%s?PageSize=%d&Page=0" % (path, size),
                "previous_page_uri": None, "next_page_uri": None,
                "uri": "%s?PageSize=%d&Page=0" % (path, size), "page": 0, "page_size": size,
                "start": 0, "end": max(len(items) - 1, 0)}


def check_names(params, allowed, required=()):
    for name in params:
        if name not in allowed:
            raise ApiError(400, 20001, "Unknown parameter: %s" % name)
    for name in required:
        v = one(params, name)
        if v is None or v == "":
            raise ApiError(400, 21201, "Missing required parameter %s in the post body" % name)


def check_bool(params, *names):
    for n in names:
        v = one(params, n)
        if v is not None and v.lower() not in BOOL:
            raise ApiError(400, 20001, "Invalid value for %s: %s" % (n, v))


def check_number(value, code, what):
    if not (E164.match(value) or CLIENT.match(value)):
        raise ApiError(400, code, "Invalid '%s' Phone Number: %s" % (what, value))


def check_int(params, name):
    v = one(params, name)
    if v is not None and not re.fullmatch(r"[0-9]+", v):
        raise ApiError(400, 20001, "Invalid value for %s: %s" % (name, v))


def check_events(params, name="StatusCallbackEvent"):
    for v in params.get(name, []):
        for ev in v.split():
            if ev not in CALL_EVENTS:
                raise ApiError(400, 20001, "Invalid %s: %s" % (name, ev))


def check_recording(params, url_name, method_name, events_name):
    url = one(params, url_name)
    if url is not None and not HTTP_URL.match(url):
        raise ApiError(400, 21609, "Invalid %s: %s" % (url_name, url))
    method = one(params, method_name)
    if method is not None and method not in ("GET", "POST"):
        raise ApiError(400, 20001, "Invalid %s: %s" % (method_name, method))
    for v in params.get(events_name, []):
        for ev in v.split():
            if ev not in RECORDING_EVENTS:
                raise ApiError(400, 20001, "Invalid %s: %s" % (events_name, ev))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTwilio/1.0"
    sys_version = ""
    wbufsize = -1  # headers + body leave in one write (no Nagle/delayed-ACK stalls)

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            sys.stderr.write("fake_twilio: " + (fmt % args) + "\n")

    # ---- plumbing --------------------------------------------------------
    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def send_json(self, status, obj, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def send_error_body(self, e):
        self.send_json(e.status, error_body(e.status, e.code, e.message), e.headers)

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
            except (ValueError, KeyError, TypeError) as e:
                self.send_error_body(ApiError(400, 20001, "bad control request: %r" % (e,)))
            return

        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        body_text = raw.decode("utf-8", "replace")
        params = urllib.parse.parse_qs(body_text, keep_blank_values=True)
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
                "time": time.time(), "method": self.command, "path": path,
                "query": query, "params": params, "body": body_text,
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
                                      raw=b'{"sid": "CA0123", "status": "queu')
            if action == "status":
                status = int(fault.get("status") or 500)
                code = int(fault.get("code") or {429: 20429, 503: 20503}.get(status, 20500))
                hdrs = {}
                if fault.get("retry_after") is not None:
                    hdrs["Retry-After"] = fault["retry_after"]
                return self.send_error_body(ApiError(
                    status, code, fault.get("message") or "Injected fault", hdrs))

        try:
            self.check_auth()
            status, obj = self.api(path, query, params)
        except ApiError as e:
            if fault and fault["action"] == "close_after":
                return self.drop()
            return self.send_error_body(e)
        if fault and fault["action"] == "close_after":
            return self.drop()
        if isinstance(obj, Media):
            self.send_response(status)
            self.send_header("Content-Type", obj.content_type)
            self.send_header("Content-Length", str(len(obj.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(obj.body)
            return None
        self.send_json(status, obj)

    def check_auth(self):
        fake = self.server.fake
        h = self.headers.get("Authorization", "")
        ok = False
        if h[:6].lower() == "basic ":
            try:
                user, _, pw = base64.b64decode(h[6:].strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = pw = None
            if user is not None:
                ok = secrets.compare_digest(user.encode(), fake.account_sid.encode()) \
                    and secrets.compare_digest(pw.encode(), fake.auth_token.encode())
                if not ok and fake.api_key_sid:
                    ok = user == fake.api_key_sid and \
                        secrets.compare_digest(pw.encode(), fake.api_key_secret.encode())
        if not ok:
            raise ApiError(401, 20003, "Authenticate",
                           {"WWW-Authenticate": 'Basic realm="Twilio API"'})

    # ---- Twilio API ------------------------------------------------------
    def api(self, path, query, params):
        st = self.server.fake.state
        m = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)(/.*)", path)
        if not m:
            raise ApiError(404, 20404, "The requested resource %s was not found" % path)
        if m.group(1) != st.ac:
            raise ApiError(404, 20404, "The requested resource %s was not found" % path)
        rest, meth = m.group(2), self.command
        if meth == "POST":
            ctype = self.headers.get("Content-Type", "")
            if params and not ctype.startswith("application/x-www-form-urlencoded"):
                raise ApiError(400, 20001, "Content-Type must be application/x-www-form-urlencoded")
        with st.lock:
            return self.route(st, rest, meth, path, query, params)

    def route(self, st, rest, meth, path, query, params):
        nf = ApiError(404, 20404, "The requested resource %s was not found" % path)
        if rest == "/Calls.json" and meth == "POST":
            check_names(params, CALL_CREATE, ("To", "From"))
            srcs = [k for k in ("Url", "Twiml", "ApplicationSid") if one(params, k)]
            if len(srcs) != 1:
                raise ApiError(400, 21205, "Exactly one of Url, Twiml or ApplicationSid is required")
            check_number(one(params, "To"), 21211, "To")
            check_number(one(params, "From"), 21212, "From")
            check_events(params)
            check_int(params, "Timeout")
            check_bool(params, "Record")
            check_recording(params, "RecordingStatusCallback", "RecordingStatusCallbackMethod",
                            "RecordingStatusCallbackEvent")
            call = st.make_call(one(params, "To"), one(params, "From"))
            return 201, call
        m = re.fullmatch(r"/Calls/(CA[0-9a-f]{32})\.json", rest)
        if m:
            call = st.calls.get(m.group(1))
            if not call:
                raise nf
            if meth == "GET":
                return 200, call
            if meth == "POST":
                check_names(params, CALL_UPDATE)
                s = one(params, "Status")
                if s is not None:
                    if s not in ("canceled", "completed"):
                        raise ApiError(400, 20001, "Invalid Status: %s" % s)
                    if call["status"] not in ("completed", "canceled", "failed", "busy",
                                              "no-answer"):
                        if s == "canceled" and call["status"] not in ("queued", "ringing"):
                            pass  # Twilio ignores cancel of an answered call
                        else:
                            call["status"] = s
                            call["date_updated"] = now_rfc2822()
                            for parts in st.participants.values():
                                parts.pop(call["sid"], None)
                return 200, call
        if rest == "/Conferences.json" and meth == "GET":
            check_names(query, CONF_LIST)
            fn, status = one(query, "FriendlyName"), one(query, "Status")
            items = [c for c in st.conferences.values()
                     if (fn is None or c["friendly_name"] == fn)
                     and (status is None or c["status"] == status)]
            items.sort(key=lambda c: c["date_created"], reverse=True)
            return 200, st.page("conferences", items, path, query)
        m = re.fullmatch(r"/Conferences/(CF[0-9a-f]{32})\.json", rest)
        if m:
            conf = st.conferences.get(m.group(1))
            if not conf:
                raise nf
            if meth == "GET":
                return 200, conf
            if meth == "POST":
                check_names(params, CONF_UPDATE)
                s = one(params, "Status")
                if s is not None and s != "completed":
                    raise ApiError(400, 20001, "Invalid Status: %s" % s)
                if s == "completed" and conf["status"] != "completed":
                    self.end_conference(st, conf, "conference-ended-via-api")
                return 200, conf
        m = re.fullmatch(r"/Conferences/(CF[0-9a-f]{32})/Participants\.json", rest)
        if m:
            conf = st.conferences.get(m.group(1))
            if not conf:
                raise nf
            if meth == "GET":
                check_names(query, PAGING | {"Muted", "Hold", "Coaching"})
                items = list(st.participants[conf["sid"]].values())
                return 200, st.page("participants", items, path, query)
            if meth == "POST":
                check_names(params, PART_CREATE, ("From", "To"))
                if conf["status"] == "completed":
                    raise ApiError(400, 21220, "Conference %s is completed" % conf["sid"])
                check_number(one(params, "To"), 21211, "To")
                check_number(one(params, "From"), 21212, "From")
                check_bool(params, "EarlyMedia", "Beep", "EndConferenceOnExit", "Muted",
                           "StartConferenceOnEnter", "Record", "Coaching")
                check_events(params)
                check_int(params, "Timeout")
                rec = one(params, "ConferenceRecord")
                if rec is not None and rec not in CONFERENCE_RECORD:
                    raise ApiError(400, 20001, "Invalid ConferenceRecord: %s" % rec)
                check_recording(params, "ConferenceRecordingStatusCallback",
                                "ConferenceRecordingStatusCallbackMethod",
                                "ConferenceRecordingStatusCallbackEvent")
                call = st.make_call(one(params, "To"), one(params, "From"))
                return 201, st.make_participant(conf, call["sid"], "queued", params)
        m = re.fullmatch(r"/Conferences/(CF[0-9a-f]{32})/Participants/(CA[0-9a-f]{32})\.json",
                         rest)
        if m:
            conf = st.conferences.get(m.group(1))
            p = conf and st.participants[conf["sid"]].get(m.group(2))
            if not p:
                raise nf
            if meth == "GET":
                return 200, p
            if meth == "POST":
                check_names(params, PART_UPDATE)
                check_bool(params, "Muted", "Hold", "EndConferenceOnExit", "Coaching",
                           "BeepOnExit")
                announce = one(params, "AnnounceUrl")
                method = one(params, "AnnounceMethod", "POST")
                if announce is not None and not HTTP_URL.match(announce):
                    raise ApiError(400, 21205, "AnnounceUrl is not a valid URL: %s" % announce)
                if method not in ("GET", "POST"):
                    raise ApiError(400, 20001, "Invalid AnnounceMethod: %s" % method)
                for name, key in (("Muted", "muted"), ("Hold", "hold"),
                                  ("EndConferenceOnExit", "end_conference_on_exit")):
                    v = one(params, name)
                    if v is not None:
                        p[key] = v.lower() == "true"
                p["date_updated"] = now_rfc2822()
                if announce is not None:
                    self.server.fake.announce(conf, p, announce, method)
                return 200, p
            if meth == "DELETE":
                self.remove_participant(st, conf, p)
                return 204, None
        m = re.fullmatch(r"/Recordings/(RE[0-9a-f]{32})\.(json|mp3|wav)", rest)
        if m and meth == "GET":
            rec = st.recordings.get(m.group(1))
            if not rec:
                raise nf
            if m.group(2) == "json":
                return 200, st.recording_view(rec)
            return 200, Media(rec["_media"], "audio/mpeg" if m.group(2) == "mp3"
                              else "audio/x-wav")
        raise nf

    def remove_participant(self, st, conf, p):
        st.participants[conf["sid"]].pop(p["call_sid"], None)
        call = st.calls.get(p["call_sid"])
        if call and call["status"] not in ("completed", "canceled", "failed"):
            call["status"] = "completed"
            call["date_updated"] = now_rfc2822()
        if p["end_conference_on_exit"] and conf["status"] != "completed":
            self.end_conference(st, conf, "participant-with-end-conference-on-exit-left",
                                p["call_sid"])
        elif not st.participants[conf["sid"]] and conf["status"] != "completed":
            self.end_conference(st, conf, "last-participant-left", p["call_sid"])

    def end_conference(self, st, conf, reason, ending_sid=None):
        conf["status"] = "completed"
        conf["reason_conference_ended"] = reason
        conf["call_sid_ending_conference"] = ending_sid
        conf["date_updated"] = now_rfc2822()
        for sid in list(st.participants[conf["sid"]]):
            st.participants[conf["sid"]].pop(sid)
            call = st.calls.get(sid)
            if call and call["status"] not in ("completed", "canceled", "failed"):
                call["status"] = "completed"
                call["date_updated"] = conf["date_updated"]

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
                return self.send_json(200, {
                    "calls": list(st.calls.values()),
                    "conferences": list(st.conferences.values()),
                    "participants": {k: list(v.values()) for k, v in st.participants.items()},
                    "recordings": [dict(st.recording_view(r), media_length=len(r["_media"]))
                                   for r in st.recordings.values()],
                    "announcements": st.announcements})
        if path == "/_fake/stats" and meth == "GET":
            with st.lock:
                return self.send_json(200, {"connections": st.api_connections,
                                            "requests": st.api_requests})
        if path == "/_fake/reset" and meth == "POST":
            with st.lock:
                st.reset()
            return self.send_json(200, {"ok": True})
        if path == "/_fake/conferences" and meth == "POST":
            with st.lock:
                conf = st.make_conference(data["friendly_name"], data.get("status", "in-progress"))
                op = data.get("operator_call_sid")
                if op and op in st.calls:
                    st.calls[op]["status"] = "in-progress"
                elif op:
                    # The browser's leg: Twilio made it when the SDK connected.
                    if not SID_RE["CA"].match(op):
                        return self.send_json(400, {"error": "operator_call_sid must be CA + 32 hex"})
                    st.make_call(data.get("to", ""), data.get("from", "client:operator"),
                                 "in-progress", sid=op)
                else:
                    op = st.make_call(data.get("to", "client:operator"),
                                      data.get("from", "client:operator"), "in-progress")["sid"]
                part = st.make_participant(conf, op, "connected",
                                           {"EndConferenceOnExit": ["true"]})
                return self.send_json(201, {"sid": conf["sid"], "conference": conf,
                                            "call_sid": op, "participant": part})
        m = re.fullmatch(r"/_fake/calls/(CA[0-9a-f]{32})", path)
        if m and meth == "POST":
            with st.lock:
                call = st.calls.get(m.group(1))
                if not call:
                    raise ApiError(404, 20404, "no such call")
                call["status"] = data["status"]
                call["date_updated"] = now_rfc2822()
                if data.get("answered_by"):
                    call["answered_by"] = data["answered_by"]
                return self.send_json(200, call)
        if path == "/_fake/faults":
            with st.lock:
                if meth == "GET":
                    return self.send_json(200, st.faults)
                if meth == "DELETE":
                    st.faults = []
                    return self.send_json(200, {"ok": True})
                if meth == "POST":
                    f = {"method": data.get("method", ".*"), "path": data.get("path", ".*"),
                         "count": int(data.get("count", 1)),
                         "action": data.get("action") or ("status" if data.get("status")
                                                          else "delay"),
                         "status": data.get("status"), "retry_after": data.get("retry_after"),
                         "delay": data.get("delay"), "code": data.get("code"),
                         "message": data.get("message")}
                    if f["action"] not in ("status", "delay", "close", "close_after",
                                           "malformed"):
                        raise ApiError(400, 20001, "unknown fault action %s" % f["action"])
                    re.compile(f["path"])
                    re.compile(f["method"])
                    st.faults.append(f)
                    return self.send_json(201, f)
        if path == "/_fake/recordings" and meth == "POST":
            media = data.get("media_b64")
            with st.lock:
                rec = st.make_recording(data.get("conference_sid"), data.get("call_sid"),
                                        int(data.get("duration", 7)),
                                        base64.b64decode(media) if media is not None else None,
                                        data.get("content_type", "audio/mpeg"))
                return self.send_json(201, dict(st.recording_view(rec),
                                                media_b64=base64.b64encode(rec["_media"])
                                                .decode()))
        m = re.fullmatch(r"/_fake/recordings/(RE[0-9a-f]{32})/callback", path)
        if m and meth == "POST":
            return self.send_json(200, fake.recording_callback(
                m.group(1), data["url"], data.get("status", "completed"),
                data.get("params") or {}, bool(data.get("tamper"))))
        if path == "/_fake/callback" and meth == "POST":
            return self.send_json(200, fake.callback(data["url"], data.get("params", {}),
                                                     data.get("signature_url"),
                                                     bool(data.get("tamper")),
                                                     float(data.get("timeout", 10))))
        raise ApiError(404, 20404, "The requested resource %s was not found" % path)


class FakeTwilio:
    def __init__(self, account_sid=None, auth_token=None, api_key_sid=None, api_key_secret=None,
                 port=0, verbose=False):
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.api_key_sid = api_key_sid
        self.api_key_secret = api_key_secret or ""
        self.port = port
        self.verbose = verbose
        self.state = State(self.account_sid)
        self.httpd = None
        self.thread = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

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

    def callback(self, url, params, signature_url=None, tamper=False, timeout=10.0,
                 method="POST"):
        host = urllib.parse.urlsplit(url).hostname
        if urllib.parse.urlsplit(url).scheme not in ("http", "https") or \
                host not in ("127.0.0.1", "localhost", "::1"):
            raise ApiError(400, 20001, "callback URL must be on loopback: %s" % url)
        params = {str(k): str(v) for k, v in params.items()}
        token = self.auth_token + ("-tampered" if tamper else "")
        if method == "GET":  # the parameters go in the query, which is what is signed
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
            params = {}
        sig = RequestValidator(token).compute_signature(signature_url or url, params)
        body = urllib.parse.urlencode(params).encode() if method == "POST" else None
        headers = {"X-Twilio-Signature": sig, "User-Agent": "TwilioProxy/1.1",
                   "I-Twilio-Idempotency-Token": secrets.token_hex(16)}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return {"status": r.status, "body": r.read().decode("utf-8", "replace"),
                        "signature": sig}
        except urllib.error.HTTPError as e:
            return {"status": e.code, "body": e.read().decode("utf-8", "replace"),
                    "signature": sig}
        except (urllib.error.URLError, OSError) as e:
            return {"status": 0, "body": "", "error": str(e), "signature": sig}


    def announce(self, conf, part, url, method):
        """Play AnnounceUrl to a participant: fetch it as Twilio does (a signed
        request, in the background), and keep what it answered."""
        entry = {"conference_sid": conf["sid"], "call_sid": part["call_sid"], "url": url,
                 "method": method, "time": time.time(), "answer": None}
        self.state.announcements.append(entry)
        params = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01",
                  "ConferenceSid": conf["sid"], "CallSid": part["call_sid"]}

        def fetch():
            try:
                res = self.callback(url, params, method=method)
            except ApiError as e:  # not on loopback: nothing to fetch here
                res = {"status": 0, "body": "", "error": e.message}
            with self.state.lock:
                entry["answer"] = res
        threading.Thread(target=fetch, daemon=True).start()

    def recording_callback(self, sid, url, status="completed", extra=None, tamper=False):
        """The recording status callback Twilio posts for one recording."""
        with self.state.lock:
            rec = self.state.recordings.get(sid)
            if rec is None:
                raise ApiError(404, 20404, "no such recording %s" % sid)
            params = {"AccountSid": self.account_sid, "RecordingSid": sid,
                      "RecordingUrl": rec["media_url"], "RecordingStatus": status,
                      "RecordingDuration": rec["duration"], "RecordingChannels": "1",
                      "RecordingStartTime": rec["start_time"], "RecordingSource": rec["source"],
                      "ErrorCode": "0"}
            if rec["conference_sid"]:
                params["ConferenceSid"] = rec["conference_sid"]
            if rec["call_sid"]:
                params["CallSid"] = rec["call_sid"]
            if status != "completed":
                del params["RecordingDuration"]
        params.update(extra or {})
        return self.callback(url, params, tamper=tamper)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--account-sid", required=True)
    ap.add_argument("--auth-token", required=True)
    ap.add_argument("--api-key-sid")
    ap.add_argument("--api-key-secret")
    ap.add_argument("--ready-file")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    if not SID_RE["AC"].match(a.account_sid):
        ap.error("--account-sid must be AC + 32 lowercase hex")
    if a.api_key_sid and not SID_RE["SK"].match(a.api_key_sid):
        ap.error("--api-key-sid must be SK + 32 lowercase hex")
    fake = FakeTwilio(a.account_sid, a.auth_token, a.api_key_sid, a.api_key_secret, a.port,
                      a.verbose).start()
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
