#!/usr/bin/python3
"""The timed request loops of bench/rules.sh, on one kept-alive connection.

    rules_client.py operator --url URL --key KEY NAME
        create operator NAME (API key), log in; prints "SESSION CSRF"
    rules_client.py picks --url URL --session S --csrf C --list ID -n N
        N sequential POST /api/v1/lists/ID/next, each skipping the contact
        the one before handed out: every answer must be 200 with a new
        contact
    rules_client.py repeat --url URL (--key KEY | --session S --csrf C)
            --expect STATUS [--post BODY] -n N PATH
        N sequential requests of PATH; every answer must have STATUS

Each prints one line of figures, "n=.. median_ms=.. p95_ms=.. max_ms=..",
and exits 1 at the first unexpected answer, saying what it was. Timing is
from sending the request to the last byte of the answer (the client's own
cost, a few tens of microseconds, included).
"""
import argparse
import http.client
import json
import secrets
import sys
import time
from urllib.parse import urlsplit


class Client:
    def __init__(self, url, headers):
        u = urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.headers = headers
        self.conn = None

    def request(self, method, path, body=None):
        """(status, body bytes, seconds, response), reconnecting once if
        the kept connection was closed."""
        h = dict(self.headers)
        if body is not None:
            h["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                self.conn.connect()
            t0 = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            return r.status, data, time.perf_counter() - t0, r


def figures(times):
    s = sorted(times)
    n = len(s)

    def pct(p):
        # nearest rank
        return s[max(0, min(n - 1, int(-(-p * n // 100)) - 1))]
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return "n=%d median_ms=%.2f p95_ms=%.2f max_ms=%.2f min_ms=%.2f" % (
        n, med * 1e3, pct(95) * 1e3, s[-1] * 1e3, s[0] * 1e3)


def fail(msg, data=b""):
    sys.stderr.write("rules_client: %s\n%s\n" % (msg, data[:500].decode("utf-8", "replace")))
    sys.exit(1)


def session_headers(a):
    if a.key:
        return {"X-API-Key": a.key}
    return {"Cookie": "session=" + a.session, "X-CSRF-Token": a.csrf}


def cmd_operator(a):
    c = Client(a.url, {"X-API-Key": a.key})
    pw = "bench-" + secrets.token_hex(12)
    st, data, _, _ = c.request("POST", "/api/v1/users", json.dumps(
        {"username": a.name, "password": pw, "role": "operator"}))
    if st != 201:
        fail("creating operator %s answered %d" % (a.name, st), data)
    st, data, _, r = Client(a.url, {}).request(
        "POST", "/api/v1/auth/login", json.dumps({"username": a.name, "password": pw}))
    if st != 200:
        fail("logging in as %s answered %d" % (a.name, st), data)
    csrf = json.loads(data)["csrf_token"]
    cookie = None
    for part in (r.getheader("Set-Cookie") or "").split(";"):
        k, _, v = part.strip().partition("=")
        if k == "session":
            cookie = v
    if not cookie:
        fail("the login set no session cookie")
    print(cookie, csrf)


def cmd_picks(a):
    c = Client(a.url, session_headers(a))
    path = "/api/v1/lists/%d/next" % a.list
    held, seen, times = None, set(), []
    for i in range(a.n + 1):
        body = json.dumps({"skip": held} if held else {})
        st, data, t, _ = c.request("POST", path, body)
        if st != 200:
            fail("pick %d answered %d, not 200" % (i, st), data)
        got = json.loads(data)["contact"]["id"]
        if got in seen:
            fail("pick %d handed out contact %d again" % (i, got))
        seen.add(got)
        held = got
        # The first pick holds a contact; the N after it skip one each.
        if i:
            times.append(t)
    print(figures(times))


def cmd_repeat(a):
    c = Client(a.url, session_headers(a))
    times = []
    for i in range(a.n):
        st, data, t, _ = c.request("POST" if a.post is not None else "GET", a.path, a.post)
        if st != a.expect:
            fail("request %d of %s answered %d, not %d" % (i, a.path, st, a.expect), data)
        times.append(t)
    print(figures(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("operator", "picks", "repeat"):
        p = sub.add_parser(name)
        p.add_argument("--url", required=True)
        p.add_argument("--key")
        if name != "operator":
            p.add_argument("--session")
            p.add_argument("--csrf")
            p.add_argument("-n", type=int, required=True)
        if name == "operator":
            p.add_argument("name")
        elif name == "picks":
            p.add_argument("--list", type=int, required=True)
        else:
            p.add_argument("--expect", type=int, required=True)
            p.add_argument("--post")
            p.add_argument("path")
    a = ap.parse_args()
    if a.cmd != "operator" and not a.key and not (a.session and a.csrf):
        ap.error("give --key or --session and --csrf")
    {"operator": cmd_operator, "picks": cmd_picks, "repeat": cmd_repeat}[a.cmd](a)


if __name__ == "__main__":
    main()
