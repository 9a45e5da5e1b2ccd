#!/usr/bin/python3
"""Drive one FastCGI program directly, with no web server in front: for
tests/valgrind.sh (the program under valgrind) and bench/rss.sh (its RSS).

    fcgi_client.py serve SOCKET -- COMMAND [ARG...]
        bind SOCKET (a Unix socket), make it file descriptor 0 and exec
        COMMAND: the FastCGI convention a spawner follows, so libfcgi
        accepts on it. The process keeps this one's PID.

    fcgi_client.py drive --socket SOCKET --cgi-bin DIR --user NAME
                         --password-file FILE --api-key KEY --requests N
                         [--rss-pid PID --rss-first N --rss-every N]
        log NAME in once through DIR/auth_login run as plain CGI, then send
        N requests to the calls program on SOCKET over one kept connection
        (FCGI_KEEP_CONN) and check every answer's status. The requests walk
        a call's whole life and the usual refusals (see ROUND). With
        --rss-pid, prints "rss REQUESTS KB" (VmRSS of PID) after request
        --rss-first and every --rss-every requests. Exits 1 on the first
        unexpected answer, after printing it.

The environment (DIALER_DB, DIALER_API_KEY, ...) must be the one the
served program was started with: auth_login reads the same database.
"""
import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import time

FCGI_VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
RESPONDER = 1
KEEP_CONN = 1
HEADER = struct.Struct(">BBHHBx")
REQUEST_ID = 1


def record(rtype, content=b""):
    out = []
    for i in range(0, max(len(content), 1), 65535):
        part = content[i:i + 65535]
        pad = -len(part) % 8
        out.append(HEADER.pack(FCGI_VERSION, rtype, REQUEST_ID, len(part), pad) + part + b"\0" * pad)
    return b"".join(out)


def name_value(name, value):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    n, v = name.encode(), value.encode()
    return length(len(n)) + length(len(v)) + n + v


class Response:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        self.headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            k, _, v = line.partition(":")
            self.headers.setdefault(k.strip().lower(), []).append(v.strip())
        self.status = int(self.headers.get("status", ["200"])[0].split()[0])

    def json(self):
        return json.loads(self.body)


class Connection:
    """One kept FastCGI connection: requests one after another."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(262144)
            if not chunk:
                raise ConnectionError("the program closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, method, uri, headers=None, body=b""):
        params = {"REQUEST_METHOD": method, "REQUEST_URI": uri,
                  "SCRIPT_NAME": uri.split("?")[0],
                  "QUERY_STRING": uri.partition("?")[2], "SERVER_PROTOCOL": "HTTP/1.1",
                  "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1",
                  "SERVER_PORT": "80", "GATEWAY_INTERFACE": "CGI/1.1"}
        if body:
            params["CONTENT_LENGTH"] = str(len(body))
        for k, v in (headers or {}).items():
            if k.lower() == "content-type":
                params["CONTENT_TYPE"] = v
            else:
                params["HTTP_" + k.upper().replace("-", "_")] = v
        pairs = b"".join(name_value(k, v) for k, v in params.items())
        self.sock.sendall(
            record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, KEEP_CONN)) +
            record(PARAMS, pairs) + record(PARAMS) +
            (record(STDIN, body) if body else b"") + record(STDIN))
        out = []
        while True:
            _v, rtype, _rid, clen, pad = HEADER.unpack(self._read(HEADER.size))
            content = self._read(clen + pad)[:clen]
            if rtype == STDOUT:
                out.append(content)
            elif rtype == STDERR:
                sys.stderr.buffer.write(content)
            elif rtype == END_REQUEST:
                app_status, proto = struct.unpack(">IB3x", content)
                if proto != 0:
                    raise ConnectionError("protocol status %d" % proto)
                return Response(b"".join(out))


def login(cgi_bin, user, password):
    """(session token, CSRF token) from auth_login run once as CGI."""
    body = json.dumps({"username": user, "password": password}).encode()
    env = dict(os.environ, REQUEST_METHOD="POST", REQUEST_URI="/api/v1/auth/login",
               CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)),
               REMOTE_ADDR="127.0.0.1", GATEWAY_INTERFACE="CGI/1.1",
               SERVER_PROTOCOL="HTTP/1.1")
    p = subprocess.run([os.path.join(cgi_bin, "auth_login")], input=body, env=env,
                       stdout=subprocess.PIPE, check=True)
    r = Response(p.stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    if r.status != 200:
        sys.exit("fcgi_client: login answered %d: %s" % (r.status, r.body[:300]))
    cookie = [c for c in r.headers.get("set-cookie", []) if c.startswith("session=")]
    return cookie[0].split(";")[0].split("=", 1)[1], r.json()["csrf_token"]


def rounds(session, csrf, api_key):
    """Endless requests, each (method, uri, headers, body, expected status,
    what to keep from the answer). A round: a call made, read, controlled,
    ended, logged and listed, its key replayed, and the refusals the
    program answers most (bad JSON, bad phone, no CSRF, no session, unknown
    call, another's API key)."""
    cookie = {"Cookie": "session=" + session}
    write = dict(cookie, **{"X-CSRF-Token": csrf, "Content-Type": "application/json"})
    n = 0
    while True:
        n += 1
        key = "round-%d" % n
        mk = dict(write, **{"Idempotency-Key": key})
        call = {}
        yield "POST", "/api/v1/calls", mk, {"to_phone": "+12025550143"}, 201, call
        cid = call["id"]
        base = "/api/v1/calls/%d" % cid
        yield "GET", base, cookie, None, 200, None
        yield "GET", base + "?refresh=1", cookie, None, 200, None
        yield "POST", base + "/mute", write, {"participant": "operator", "muted": True}, 200, None
        yield "POST", base + "/hold", write, {"hold": True}, 200, None
        yield "POST", base + "/token", write, None, 200, None
        yield "POST", base + "/end", write, None, 200, None
        yield "POST", base + "/log", write, {"outcome": "no_answer",
                                             "notes": "Round %d, no answer." % n}, 200, None
        yield "GET", "/api/v1/calls?per_page=5", cookie, None, 200, None
        yield "POST", "/api/v1/calls", mk, {"to_phone": "+12025550143"}, 200, None
        yield "POST", "/api/v1/calls", write, b"{\"to_phone\":", 400, None
        yield "POST", "/api/v1/calls", write, {"to_phone": "12"}, 422, None
        yield "POST", base + "/log", cookie, {"outcome": "busy"}, 403, None
        yield "GET", "/api/v1/calls", {}, None, 401, None
        yield "GET", "/api/v1/calls/99999999", cookie, None, 404, None
        yield "GET", "/api/v1/calls?per_page=3&page=2", {"X-API-Key": api_key}, None, 200, None
        yield "GET", "/api/v1/calls", {"X-API-Key": api_key + "x"}, None, 401, None


def vm_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


def drive(a):
    with open(a.password_file) as f:
        password = f.read().strip()
    session, csrf = login(a.cgi_bin, a.user, password)
    for _ in range(100):  # bound a moment before it listens
        try:
            conn = Connection(a.socket)
            break
        except ConnectionRefusedError:
            time.sleep(0.05)
    else:
        conn = Connection(a.socket)
    gen = rounds(session, csrf, a.api_key)
    t0 = time.monotonic()
    for i in range(1, a.requests + 1):
        method, uri, headers, body, want, keep = next(gen)
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        r = conn.request(method, uri, headers, body or b"")
        if r.status != want:
            print("fcgi_client: request %d %s %s answered %d, not %d: %s"
                  % (i, method, uri, r.status, want, r.body[:500].decode("utf-8", "replace")),
                  file=sys.stderr)
            return 1
        if keep is not None:
            keep.update(r.json()["call"])
        if a.rss_pid and (i == a.rss_first or (i > a.rss_first and i % a.rss_every == 0)):
            print("rss %d %d" % (i, vm_rss(a.rss_pid)), flush=True)
    print("requests %d seconds %.1f" % (a.requests, time.monotonic() - t0), flush=True)
    return 0


def serve(argv):
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: fcgi_client.py serve SOCKET -- COMMAND [ARG...]")
    path = argv[0]
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    os.dup2(s.fileno(), 0)
    os.execvp(argv[2], argv[2:])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["drive"])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--cgi-bin", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--api-key", required=True)
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--rss-pid", type=int, default=0)
    ap.add_argument("--rss-first", type=int, default=1000)
    ap.add_argument("--rss-every", type=int, default=10000)
    a = ap.parse_args()
    deadline = time.monotonic() + 120
    while not os.path.exists(a.socket):  # the program may still be starting
        if time.monotonic() > deadline:
            sys.exit("fcgi_client: no socket %s" % a.socket)
        time.sleep(0.05)
    return drive(a)


if __name__ == "__main__":
    sys.exit(main())
