#!/usr/bin/python3
"""Call-flow benchmark helper for bench/calls.sh (Debian's /usr/bin/python3,
which sees python3-twilio).

  calls_flow.py fake --account-sid AC... --auth-token T --ready-file F
      A minimal fast fake of the one Twilio request a join makes:
      POST /2010-04-01/Accounts/{AC}/Conferences/{CF}/Participants.json ->
      201 {"call_sid": "CA...", ...}, any CF. It stamps the arrival of each
      request (CLOCK_MONOTONIC, which every process on the machine shares)
      and counts TCP connections that carried an API request.
      GET /_fake/stats -> {"connections", "requests", "arrivals": {CF: ns}}.
      One thread per connection, raw sockets, no checks beyond Basic auth,
      To and From. tests/fake/fake_twilio.py (BENCH_FAKE=repo) needs each
      conference made first and stamps nothing; it adds about 0.15 ms to
      a join webhook (p50 0.65 against 0.49 ms, measured).

  calls_flow.py flow --url URL --key KEY --fake URL --fake-kind fast|repo
                     --account-sid AC... --auth-token T --pgid PGID --calls N
      N sequential calls, each: POST /api/v1/calls, the signed voice
      webhook (the operator's browser leg), the signed participant-join
      webhook (our server dials the prospect through the fake inside it),
      then (untimed) a GET of the call and the prospect leg's signed
      call-status "completed", so one call at a time is in flight. With
      --live N, N more calls (untimed) are left answered (in-progress).
      Prints key=value lines (prefix --prefix): latencies in ms, the fake's
      connection count and the webhooks FastCGI processes of group PGID
      with their open connections to the fake.

  calls_flow.py stats --fake URL
      The fake's API request count so far.
"""
import argparse
import http.client
import json
import os
import secrets
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

API_PREFIX = b"/2010-04-01/Accounts/"


# --------------------------------------------------------------------- fake
class FastFake:
    def __init__(self, account_sid, auth_token):
        self.account_sid = account_sid
        import base64
        self.auth = "Basic " + base64.b64encode(
            ("%s:%s" % (account_sid, auth_token)).encode()).decode()
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.arrivals = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def conn(self, c):
        buf = b""
        counted = False
        try:
            while True:
                # One request: head, then Content-Length bytes of body.
                t = None
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    if t is None:
                        t = time.monotonic_ns()
                    buf += d
                if t is None:
                    t = time.monotonic_ns()
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                method, target, _ = lines[0].split(b" ", 2)
                hdr = {}
                for ln in lines[1:]:
                    k, _, v = ln.partition(b":")
                    hdr[k.strip().lower()] = v.strip()
                n = int(hdr.get(b"content-length", b"0"))
                while len(buf) < n:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                body, buf = buf[:n], buf[n:]
                path = target.split(b"?", 1)[0].decode()
                if path.startswith(API_PREFIX.decode()):
                    if not counted:
                        counted = True
                        with self.lock:
                            self.connections += 1
                    status, out = self.api(method, path, hdr, body, t)
                elif path == "/_fake/stats":
                    with self.lock:
                        status, out = 200, {"connections": self.connections,
                                            "requests": self.requests,
                                            "arrivals": dict(self.arrivals)}
                else:
                    status, out = 404, {"code": 20404, "message": "not found", "status": 404}
                data = json.dumps(out).encode()
                c.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (status, len(data), data))
                if hdr.get(b"connection", b"").lower() == b"close":
                    return
        except (OSError, ValueError):
            return
        finally:
            c.close()

    def api(self, method, path, hdr, body, t):
        with self.lock:
            self.requests += 1
        parts = path.split("/")
        # /2010-04-01/Accounts/AC/Conferences/CF/Participants.json
        if hdr.get(b"authorization", b"").decode() != self.auth:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if (method != b"POST" or len(parts) != 7 or parts[3] != self.account_sid
                or parts[4] != "Conferences" or parts[6] != "Participants.json"):
            return 404, {"code": 20404, "message": "not found", "status": 404}
        cf = parts[5]
        p = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        if not p.get("To") or not p.get("From"):
            return 400, {"code": 21201, "message": "To and From are required", "status": 400}
        with self.lock:
            self.arrivals[cf] = t
        return 201, {"account_sid": self.account_sid, "call_sid": "CA" + secrets.token_hex(16),
                     "conference_sid": cf, "label": None, "status": "queued",
                     "muted": False, "hold": False, "coaching": False,
                     "end_conference_on_exit": True, "start_conference_on_enter": True}


def run_fake(a):
    f = FastFake(a.account_sid, a.auth_token)
    tmp = a.ready_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % f.port)
    os.replace(tmp, a.ready_file)
    f.serve()


# --------------------------------------------------------------------- flow
def pct(xs, p):
    """Nearest-rank percentile (p99 of 1000 samples is the 990th)."""
    s = sorted(xs)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


class Client:
    """One kept-alive HTTP/1.1 connection to the server."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.c = None

    def req(self, method, path, body=None, headers=None):
        """-> (status, body bytes, t_sent_ns, t_done_ns)"""
        for attempt in (1, 2):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.c.connect()
                self.c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t0 = time.monotonic_ns()
            try:
                self.c.request(method, path, body=body, headers=headers or {})
                r = self.c.getresponse()
                data = r.read()
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                # Apache closed an idle kept-alive connection: a new one.
                self.c.close()
                self.c = None
                if attempt == 2:
                    raise
                continue
            t1 = time.monotonic_ns()
            if r.getheader("Connection", "").lower() == "close":
                self.c.close()
                self.c = None
            return r.status, data, t0, t1


def jget(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def jpost(url, obj):
    req = urllib.request.Request(url, data=json.dumps(obj).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def webhooks_procs(pgid, fake_port):
    """{pid: open TCP connections to the fake} for every process named
    webhooks in process group pgid (Apache's, from bench/lib.sh)."""
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % d) as fh:
                if fh.read().strip() != "webhooks":
                    continue
            with open("/proc/%s/stat" % d) as fh:
                st = fh.read().rsplit(")", 1)[1].split()
            if int(st[2]) != pgid:
                continue
        except OSError:
            continue
        procs[int(d)] = set()
        try:
            for fd in os.listdir("/proc/%s/fd" % d):
                try:
                    link = os.readlink("/proc/%s/fd/%s" % (d, fd))
                except OSError:
                    continue
                if link.startswith("socket:["):
                    procs[int(d)].add(link[8:-1])
        except OSError:
            pass
    # Established TCP sockets whose remote end is the fake.
    to_fake = set()
    try:
        with open("/proc/net/tcp") as fh:
            next(fh)
            for ln in fh:
                f = ln.split()
                rport = int(f[2].split(":")[1], 16)
                if rport == fake_port and f[3] == "01":
                    to_fake.add(f[9])
    except OSError:
        pass
    return {pid: len(socks & to_fake) for pid, socks in procs.items()}


def run_flow(a):
    from twilio.request_validator import RequestValidator

    val = RequestValidator(a.auth_token)
    base = a.url.rstrip("/")
    cli = Client(base)
    api_h = {"X-API-Key": a.key, "Content-Type": "application/json"}
    fake_port = urllib.parse.urlsplit(a.fake).port
    create_ms, voice_ms, join_ms, dial_ms, end_ms = [], [], [], [], []
    done = 0
    errors = []
    first_id = last_id = live_id = None
    for i in range(a.calls + a.live):
        # The last --live calls stay in progress, untimed: for wrk.
        live = i >= a.calls
        # 1. the operator starts a call
        body = json.dumps({"to_phone": "+1202555%04d" % (100 + i % 9000)})
        st, data, t0, t1 = cli.req("POST", "/api/v1/calls", body, api_h)
        if st != 201:
            errors.append("create %d %s" % (st, data[:200]))
            continue
        if not live:
            create_ms.append((t1 - t0) / 1e6)
        call = json.loads(data)["call"]
        if live:
            live_id = call["id"]
        else:
            first_id = first_id or call["id"]
            last_id = call["id"]
        name = call["conference_name"]
        op_leg = "CA" + secrets.token_hex(16)
        if a.fake_kind == "repo":
            cf = jpost(a.fake + "/_fake/conferences",
                       {"friendly_name": name, "operator_call_sid": op_leg})["sid"]
        else:
            cf = "CF" + secrets.token_hex(16)
        # 2. the browser leg asks the voice URL for its TwiML
        url = base + "/api/v1/twilio/voice"
        params = {"AccountSid": a.account_sid, "ApiVersion": "2010-04-01", "CallSid": op_leg,
                  "CallStatus": "ringing", "Direction": "inbound", "From": "client:api",
                  "conference": name}
        hdr = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": val.compute_signature(url, params)}
        st, data, t0, t1 = cli.req("POST", "/api/v1/twilio/voice",
                                   urllib.parse.urlencode(params), hdr)
        if st != 200 or b"<Conference" not in data:
            errors.append("voice %d %s" % (st, data[:200]))
            continue
        if not live:
            voice_ms.append((t1 - t0) / 1e6)
        # 3. the operator's leg joins the room: we dial the prospect
        url = base + "/api/v1/twilio/conference-status"
        params = {"AccountSid": a.account_sid, "CallSid": op_leg, "Coaching": "false",
                  "ConferenceSid": cf, "EndConferenceOnExit": "false", "FriendlyName": name,
                  "Hold": "false", "Muted": "false", "SequenceNumber": "1",
                  "StartConferenceOnEnter": "true", "StatusCallbackEvent": "participant-join",
                  "Timestamp": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())}
        hdr = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": val.compute_signature(url, params)}
        st, data, t0, t1 = cli.req("POST", "/api/v1/twilio/conference-status",
                                   urllib.parse.urlencode(params), hdr)
        if st != 204:
            errors.append("join %d %s" % (st, data[:200]))
            continue
        if not live:
            join_ms.append((t1 - t0) / 1e6)
            dial_ms.append((cf, t0))
        # 4. (untimed) the call shows the prospect's leg; the prospect's
        # leg completes, so the operator has one call in flight at a time
        # (DIALER_MAX_ACTIVE_CALLS_PER_USER is at most 1000).
        st, data, _, _ = cli.req("GET", "/api/v1/calls/%d" % call["id"], None,
                                 {"X-API-Key": a.key})
        c = json.loads(data).get("call", {}) if st == 200 else {}
        if st != 200 or c.get("status") != "initiated" or not c.get("call_sid"):
            errors.append("call %d after the join: HTTP %d status %s" % (
                call["id"], st, c.get("status")))
            continue
        # A live call is answered (in-progress): past the dial timeout plus
        # grace (90 s) a call still ringing would be asked about at every
        # GET (lib/callflow.c, callflow_settle), a talking one only after 4 h.
        path = "/api/v1/twilio/call-status?call=%d" % call["id"]
        params = {"AccountSid": a.account_sid, "ApiVersion": "2010-04-01",
                  "CallSid": c["call_sid"], "CallStatus": "completed", "CallDuration": "1",
                  "Direction": "outbound-api", "To": c.get("to_phone", "")}
        if live:
            params["CallStatus"] = "in-progress"
            del params["CallDuration"]
        hdr = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": val.compute_signature(base + path, params)}
        st, data, t0, t1 = cli.req("POST", path, urllib.parse.urlencode(params), hdr)
        if st // 100 != 2:
            errors.append("call-status %d %s" % (st, data[:200]))
            continue
        if live:
            continue
        end_ms.append((t1 - t0) / 1e6)
        done += 1
    # Where each dial arrived at the fake.
    stats = jget(a.fake + "/_fake/stats")
    arrivals = stats.get("arrivals")
    lat = []
    missing = 0
    if arrivals is not None:
        for cf, t0 in dial_ms:
            if cf in arrivals:
                lat.append((arrivals[cf] - t0) / 1e6)
            else:
                missing += 1
    # The last call ended as the prospect's leg said.
    if last_id is not None:
        st, data, _, _ = cli.req("GET", "/api/v1/calls/%d" % last_id, None, {"X-API-Key": a.key})
        c = json.loads(data).get("call", {}) if st == 200 else {}
        if st != 200 or c.get("status") != "completed":
            errors.append("call %d after its end: HTTP %d status %s" % (last_id, st, c.get("status")))
    procs = webhooks_procs(a.pgid, fake_port)
    p = a.prefix
    out = [
        ("calls", a.calls),
        ("ok", done),
        ("errors", len(errors)),
        ("live_call_id", live_id or 0),
        ("create_p50", "%.2f" % pct(create_ms, 50)),
        ("create_p99", "%.2f" % pct(create_ms, 99)),
        ("create_max", "%.2f" % (max(create_ms) if create_ms else float("nan"))),
        ("voice_p50", "%.2f" % pct(voice_ms, 50)),
        ("voice_p99", "%.2f" % pct(voice_ms, 99)),
        ("join_p50", "%.2f" % pct(join_ms, 50)),
        ("join_p99", "%.2f" % pct(join_ms, 99)),
        ("join_max", "%.2f" % (max(join_ms) if join_ms else float("nan"))),
        ("end_p50", "%.2f" % pct(end_ms, 50)),
        ("end_p99", "%.2f" % pct(end_ms, 99)),
        ("fake_connections", stats["connections"]),
        ("fake_requests", stats["requests"]),
        ("webhooks_procs", len(procs)),
        ("webhooks_conns_open", sum(procs.values())),
        ("webhooks_conns_per_proc", " ".join("%d:%d" % kv for kv in sorted(procs.items()))),
    ]
    if arrivals is not None:
        out += [("dial_p50", "%.2f" % pct(lat, 50)), ("dial_p99", "%.2f" % pct(lat, 99)),
                ("dial_max", "%.2f" % (max(lat) if lat else float("nan"))),
                ("dial_missing", missing)]
    for k, v in out:
        print("%s%s=%s" % (p, k, v))
    for e in errors[:5]:
        print("calls_flow: %s" % e, file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fake")
    f.add_argument("--account-sid", required=True)
    f.add_argument("--auth-token", required=True)
    f.add_argument("--ready-file", required=True)
    g = sub.add_parser("flow")
    g.add_argument("--url", required=True)
    g.add_argument("--key", required=True)
    g.add_argument("--fake", required=True)
    g.add_argument("--fake-kind", choices=("fast", "repo"), default="fast")
    g.add_argument("--account-sid", required=True)
    g.add_argument("--auth-token", required=True)
    g.add_argument("--pgid", type=int, required=True)
    g.add_argument("--calls", type=int, default=200)
    g.add_argument("--live", type=int, default=0,
                   help="then this many calls left in progress (the last one's id is printed)")
    g.add_argument("--prefix", default="")
    h = sub.add_parser("stats")
    h.add_argument("--fake", required=True)
    a = ap.parse_args()
    if a.cmd == "stats":
        print(jget(a.fake + "/_fake/stats")["requests"])
        return 0
    if a.cmd == "fake":
        return run_fake(a)
    return run_flow(a)


if __name__ == "__main__":
    sys.exit(main())
