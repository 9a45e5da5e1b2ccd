"""requests.log as a log tool reads it: one logfmt line per request with
every field, the request id the client got, the route pattern (never the
raw path or the query), the user, the time spent at the provider; and no
phone number, password, session cookie, CSRF token, API key or provider
secret in any log.

A server of its own (default provider Twilio, against the fake) so that
its log holds exactly the requests driven here.
"""
import json
import os
import re
import urllib.parse

import pytest
import requests
from twilio.request_validator import RequestValidator

import csvgen
from conftest import Server
from test_twilio_rest import (fake,  # noqa: F401 -- the module's fake Twilio
                              ACCOUNT_SID, API_KEY_SECRET, AUTH_TOKEN,  # noqa: F401
                              CALLER_ID, TO, twilio_env)

FIELDS = {"ts", "program", "request_id", "method", "route", "status", "dur_ms", "user",
          "provider_ms", "provider_calls"}
OP_LEG = "CA" + "0b" * 16
# A number no request may leave in a log, sent only in a URL path and a query.
PATH_PHONE = "+12025550143"
# Shaped like our conference names, which admit a leg: never in any log.
CONFERENCE_LIKE = "cd-3f9a0b1c2d4e5f60"
SEARCH_SENTINEL = "zq-search-sentinel"

# logfmt: key=bare or key="quoted" with JSON's escapes, one space apart.
PAIR = re.compile(r'([a-z0-9_]+)=("(?:[^"\\\x00-\x1f\x7f]|\\["\\nrt]|\\u[0-9a-f]{4})*"'
                  r'|[!#-<>-\[\]-~]+)')
TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
DECIMAL = re.compile(r"\d+\.\d\d")
PHONE_LIKE = re.compile(r"\+?\d[\d ().-]{6,}\d")


def parse_logfmt(line):
    """A strict logfmt reader: every byte of the line must belong to a pair."""
    out, pos = {}, 0
    while True:
        m = PAIR.match(line, pos)
        assert m, "not logfmt at %d: %r" % (pos, line)
        key, value = m.group(1), m.group(2)
        assert key not in out, ("repeated key", key, line)
        out[key] = json.loads(value) if value.startswith('"') else value
        pos = m.end()
        if pos == len(line):
            return out
        assert line[pos] == " ", ("pairs must be one space apart", line)
        pos += 1


def read_log(srv, offset=0):
    with open(os.path.join(srv.log_dir, "requests.log"), "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8")  # strict: invalid UTF-8 fails here
    assert text.endswith("\n")
    return [parse_logfmt(line) for line in text[:-1].split("\n")]


def test_parser_is_strict():
    assert parse_logfmt('a=1 b="x y" c="q\\"\\\\\\n\\u0001"') == {
        "a": "1", "b": "x y", "c": 'q"\\\n\x01'}
    for bad in ('a=1  b=2', 'a=', 'a="open', 'a=x"y', 'a=1 b', 'A=1', 'a=1 a=2',
                'a="\\x"', 'a=1 ', 'a=b=c'):
        with pytest.raises(AssertionError):
            parse_logfmt(bad)


@pytest.fixture(scope="module")
def srv(fake):
    s = Server(twilio_env(fake.url)).start()
    yield s
    s.cleanup()


class Driver:
    """Sends requests and remembers what each one's log line must say."""

    def __init__(self, srv):
        self.srv = srv
        self.expected = []   # (request id, method, route, status, user or None)
        self.secrets = {AUTH_TOKEN, API_KEY_SECRET, srv.api_key, srv.admin_password}
        # The server's start-up probes are not ours to count.
        self.offset = os.path.getsize(os.path.join(srv.log_dir, "requests.log"))

    def send(self, session, method, path, route, user=None, **kw):
        kw.setdefault("timeout", 60)
        r = (session or requests).request(method, self.srv.url(path), **kw)
        rid = r.headers.get("X-Request-Id")
        assert rid, (path, dict(r.headers))
        self.expected.append((rid, method, route, r.status_code, user))
        return r

    def login(self, username, password):
        s = requests.Session()
        r = self.send(s, "POST", "/api/v1/auth/login", "/api/v1/auth/login", username,
                      json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        s.user = r.json()["user"]
        self.secrets |= {password, r.json()["csrf_token"], s.cookies.get("session")}
        return s

    def hook(self, kind, params, query=""):
        """A webhook signed as Twilio signs it (as the fake's callback does),
        sent here so that its X-Request-Id is seen."""
        p = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01"}
        p.update(params)
        url = self.srv.url("/api/v1/twilio/" + kind) + query
        sig = RequestValidator(AUTH_TOKEN).compute_signature(url, p)
        r = self.send(None, "POST", "/api/v1/twilio/" + kind + query,
                      "/api/v1/twilio/" + kind, "twilio",
                      data=urllib.parse.urlencode(p),
                      headers={"X-Twilio-Signature": sig,
                               "Content-Type": "application/x-www-form-urlencoded"})
        self.secrets.add(sig)
        return r


@pytest.fixture(scope="module")
def driven(srv, fake):
    """Every kind of request, once the module's server is up."""
    d = Driver(srv)
    api = {"X-API-Key": srv.api_key}
    admin = d.login("admin", srv.admin_password)
    assert d.send(None, "POST", "/api/v1/auth/login", "/api/v1/auth/login", "-",
                  json={"username": "admin", "password": "wrong-" + srv.admin_password}
                  ).status_code == 401
    d.secrets.add("wrong-" + srv.admin_password)
    assert d.send(admin, "GET", "/api/v1/auth/me", "/api/v1/auth/me", "admin").status_code == 200
    assert d.send(None, "GET", "/api/v1/auth/me", "/api/v1/auth/me", "-",
                  headers={"X-API-Key": srv.api_key + "x"}).status_code == 401
    d.secrets.add(srv.api_key + "x")
    assert d.send(None, "HEAD", "/api/v1/auth/me", "/api/v1/auth/me", "-",
                  cookies={"session": "forged-session-token-1234"}).status_code == 401
    d.secrets.add("forged-session-token-1234")

    ops = []
    for i in range(2):
        r = d.send(None, "POST", "/api/v1/users", "/api/v1/users", "api-key", headers=api,
                   json={"username": "logop%d" % i, "password": "pw-logop-%d-secret" % i,
                         "role": "operator"})
        assert r.status_code == 201, r.text
        ops.append(d.login("logop%d" % i, "pw-logop-%d-secret" % i))
    op, op2 = ops

    nums = csvgen.written_numbers(3, start=37000)
    d.phones = [e164 for _, e164 in nums] + [TO, CALLER_ID, PATH_PHONE]
    body = csvgen.rows_to_csv(["name", "company", "phone"],
                              [["Ann", "Co", nums[0][0]], ["Bob", "Co", nums[1][0]],
                               ["Cy", "Co", nums[2][0]], ["Dup", "Co", nums[0][1]]])
    r = d.send(op, "POST", "/api/v1/contacts/import", "/api/v1/contacts/import", "logop0",
               files={"file": ("log.csv", body)})
    assert r.status_code == 200 and r.json()["imported"] == 3, r.text
    list_id = r.json()["list_id"]
    r = d.send(op, "GET", "/api/v1/contacts?q=%s&per_page=5" % urllib.parse.quote(nums[1][1]),
               "/api/v1/contacts", "logop0")
    assert r.status_code == 200 and r.json()["total"] == 1, r.text
    contact_id = r.json()["items"][0]["id"]
    assert d.send(op, "GET", "/api/v1/contacts?q=" + SEARCH_SENTINEL, "/api/v1/contacts",
                  "logop0").status_code == 200
    assert d.send(op, "PUT", "/api/v1/contacts", "/api/v1/contacts", "-",
                  json={}).status_code == 405
    assert d.send(op, "GET", "/api/v1/lists", "/api/v1/lists", "logop0").status_code == 200

    # A call over the simulated provider, while Twilio is the default.
    r = d.send(op, "POST", "/api/v1/calls", "/api/v1/calls", "logop0",
               json={"contact_id": contact_id, "provider": "sim"})
    assert r.status_code == 201, r.text
    sim_id = r.json()["call"]["id"]
    d.secrets.add(r.json()["token"]["token"])
    assert d.send(op, "GET", "/api/v1/calls/%d" % sim_id, "/api/v1/calls/{id}",
                  "logop0").status_code == 200
    assert d.send(op, "POST", "/api/v1/calls/%d/end" % sim_id, "/api/v1/calls/{id}/end",
                  "logop0").status_code == 200

    # A Twilio call, operator first: the join webhook dials the prospect.
    requests.post(fake.url + "/_fake/reset", timeout=10)
    r = d.send(op2, "POST", "/api/v1/calls", "/api/v1/calls", "logop1",
               json={"to_phone": TO})
    assert r.status_code == 201, r.text
    call = r.json()["call"]
    d.secrets.add(r.json()["token"]["token"])
    d.secrets.add(call["conference_name"])
    identity = "op_%d" % op2.user["id"]
    r = d.hook("voice", {"CallSid": OP_LEG, "From": "client:" + identity,
                         "Caller": "client:" + identity, "To": "", "Direction": "inbound",
                         "CallStatus": "ringing", "ApplicationSid": "AP" + "ff" * 16,
                         "conference": call["conference_name"]})
    assert r.status_code == 200, r.text
    conf = requests.post(fake.url + "/_fake/conferences", json={
        "friendly_name": call["conference_name"], "operator_call_sid": OP_LEG},
        timeout=10).json()
    ev = {"ConferenceSid": conf["sid"], "FriendlyName": call["conference_name"],
          "Timestamp": "Tue, 24 Nov 2026 10:00:00 +0000"}
    assert d.hook("conference-status", dict(ev, StatusCallbackEvent="conference-start",
                                            SequenceNumber="1")).status_code == 204
    r = d.hook("conference-status", dict(ev, StatusCallbackEvent="participant-join",
                                         SequenceNumber="2", CallSid=OP_LEG, Muted="false",
                                         Hold="false", Coaching="false",
                                         EndConferenceOnExit="true",
                                         StartConferenceOnEnter="true"))
    assert r.status_code == 204, r.text
    d.dial_rid = r.headers["X-Request-Id"]
    r = d.send(op2, "GET", "/api/v1/calls/%d?refresh=1" % call["id"], "/api/v1/calls/{id}",
               "logop1")
    prospect = r.json()["call"]["call_sid"]
    assert r.status_code == 200 and prospect, r.text
    d.refresh_rid = r.headers["X-Request-Id"]
    r = d.send(op2, "POST", "/api/v1/calls/%d/mute" % call["id"], "/api/v1/calls/{id}/mute",
               "logop1", json={"participant": "operator", "muted": True})
    assert r.status_code == 200, r.text
    d.mute_rid = r.headers["X-Request-Id"]
    assert d.hook("call-status", {"CallSid": prospect,
                                  "CallStatus": "ringing", "To": TO, "From": CALLER_ID,
                                  "Direction": "outbound-api", "SequenceNumber": "0"},
                  query="?call=%d" % call["id"]).status_code == 204

    # The seed's API by its route, whatever the sid.
    for sid in ("CF" + "ab" * 16, "lowercaseonly", CONFERENCE_LIKE):
        r = d.send(None, "GET", "/aicallgo/api/v1/cold-call/status/" + sid,
                   "/aicallgo/api/v1/cold-call/status/{sid}", "api-key", headers=api)
        assert r.status_code == 404, r.text

    # Not found: numbers, phone numbers and ids never reach the route.
    assert d.send(None, "GET", "/api/v1/x/" + PATH_PHONE, "/api/v1/x/{id}", "-",
                  headers=api).status_code == 404
    assert d.send(None, "GET", "/api/v1/x/%2B1" + PATH_PHONE[2:] + "?to=" +
                  urllib.parse.quote(PATH_PHONE), "/api/v1/x/{id}", "-").status_code == 404
    assert d.send(admin, "GET", "/api/v1/calls/987654321", "/api/v1/calls/{id}",
                  "admin").status_code == 404
    assert d.send(admin, "GET", "/api/v1/lists/abc", "/api/v1/lists/abc", "-").status_code == 404
    assert d.send(None, "DELETE", "/api/v1/lists/%d" % list_id, "/api/v1/lists/{id}",
                  "api-key", headers=api).status_code == 204
    assert d.send(None, "GET", "/api/v1/health", "/api/v1/health", "-").status_code == 200
    # A client's request id is kept only when it is plainly one.
    assert d.send(None, "GET", "/api/v1/auth/me", "/api/v1/auth/me", "-",
                  headers={"X-Request-Id": 'x" route=/forged'}).status_code == 401
    return d


def request_lines(srv, driven):
    return [e for e in read_log(srv, driven.offset) if "route" in e]


def test_every_line_is_strict_logfmt(srv, driven):
    entries = read_log(srv)
    assert len(entries) >= len(driven.expected)
    for e in entries:
        assert TS.fullmatch(e["ts"]), e
        assert re.fullmatch(r"[a-z_]+", e["program"]), e


def test_each_request_has_exactly_one_line_with_every_field(srv, driven):
    by_id = {}
    for e in request_lines(srv, driven):
        assert set(e) == FIELDS, e
        by_id.setdefault(e["request_id"], []).append(e)
    for rid, method, route, status, user in driven.expected:
        assert len(by_id.get(rid, [])) == 1, (rid, route, by_id.get(rid))
        e = by_id[rid][0]
        assert e["method"] == method, e
        assert e["route"] == route, e
        assert e["status"] == str(status), e
        if user is not None:
            assert e["user"] == user, e
        assert DECIMAL.fullmatch(e["dur_ms"]), e
        assert DECIMAL.fullmatch(e["provider_ms"]), e
        assert re.fullmatch(r"\d+", e["provider_calls"]), e
    # Every line names its request: nothing logged twice, nothing unknown.
    assert set(by_id) == {x[0] for x in driven.expected}


def test_program_names_the_endpoint(srv, driven):
    for e in request_lines(srv, driven):
        if e["route"].startswith("/api/v1/calls"):
            assert e["program"] == "calls", e
        if e["route"] == "/api/v1/health":
            assert e["program"] == "health", e
        if e["route"] == "/api/v1/x/{id}":
            assert e["program"] == "not_found", e


def test_provider_time_is_counted_where_the_provider_was_called(srv, driven):
    by_id = {e["request_id"]: e for e in request_lines(srv, driven)}
    for rid in (driven.dial_rid, driven.refresh_rid, driven.mute_rid):
        e = by_id[rid]
        assert int(e["provider_calls"]) >= 1 and float(e["provider_ms"]) > 0, e
    # ... and only there: requests that never reach a provider say 0.
    for rid, method, route, status, user in driven.expected:
        if route in ("/api/v1/auth/login", "/api/v1/contacts", "/api/v1/health",
                     "/api/v1/x/{id}", "/api/v1/contacts/import"):
            e = by_id[rid]
            assert e["provider_calls"] == "0" and e["provider_ms"] == "0.00", e


def test_routes_carry_no_query_ids_or_numbers(srv, driven):
    for e in request_lines(srv, driven):
        route = e["route"]
        assert "?" not in route and "%" not in route, e
        assert re.fullmatch(r"(/([a-z._-]*|v\d+|\{id\}|\{sid\}|\*))+", route), e


def all_logs(srv):
    texts = {}
    # access.log too: the server's own log keeps the path only up to its
    # first segment that is not a word (apache.conf: DIALER_LOG_PATH).
    for name in ("requests.log", "error.log", "access.log"):
        path = os.path.join(srv.log_dir, name)
        if os.path.exists(path):
            texts[name] = srv.log_text(name)
    return texts


def test_no_phone_number_in_the_logs(srv, driven):
    forms = set()
    for e164 in driven.phones:
        forms |= {e164.lstrip("+"), e164[-10:]}
    for name, text in all_logs(srv).items():
        for e164 in driven.phones:
            assert e164 not in text and e164[-10:] not in text, (name, e164)
        # However it was written: (202) 555-0143, 202.555.0143, ...
        for m in PHONE_LIKE.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            assert digits not in forms and digits[-10:] not in forms, (name, m.group(0))
        assert SEARCH_SENTINEL not in text, name
    # What the log does keep of a number: the last four digits at most.
    masked = [e for e in read_log(srv) if "to" in e]
    for e in masked:
        assert re.fullmatch(r"\*+\d{4}", e["to"]), e


def test_no_secret_in_the_logs(srv, driven):
    secrets = {s for s in driven.secrets if s}
    assert len(secrets) >= 12
    for name, text in all_logs(srv).items():
        for s in secrets:
            assert s not in text, (name, "a secret is in the log", len(s))
    assert "forged" not in srv.log_text("requests.log")
    for text in all_logs(srv).values():
        assert CONFERENCE_LIKE not in text and "CF" + "ab" * 16 not in text


def test_no_program_tripped_a_sanitizer(srv, driven):
    text = srv.log_text("error.log")
    for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer",
                   "Segmentation fault", "core dumped"):
        assert marker not in text, [ln for ln in text.splitlines() if marker in ln][:5]
