#!/usr/bin/python3
"""The call figures of bench/calls.sh for the Telnyx provider, so the two
providers print side by side (issue 5).

    bench/calls_telnyx.py [BUILD_DIR] [--calls N]

Starts the stateful fake Telnyx (tests/fake/fake_telnyx.py, in process;
its webhooks signed with Ed25519) and our Apache from apache.conf through
tools/serve.sh on free loopback ports, then makes N sequential calls, each:
POST /api/v1/calls (timed; it fetches the browser's login token from the
fake), the browser leg's signed call.initiated (we answer it and make the
room), conference.created, and the operator's signed participant.joined
(timed: we dial the prospect at the fake inside it), then (untimed) the
prospect's hang-up. Prints key=value lines (also appended to $BENCH_OUT):
latencies in ms and the TCP connections the fake saw against the number of
`webhooks` and `calls` FastCGI processes. The fake is Python and answers
in about a millisecond, which the timed figures include.
"""
import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "fake"))
sys.path.insert(0, HERE)

from fake_telnyx import FakeTelnyx  # noqa: E402
from calls_flow import pct, webhooks_procs  # noqa: E402

API_KEY = "KEYbench" + secrets.token_hex(12)
CONNECTION_ID = "1494404757140276705"
CREDENTIAL_ID = "c215ade3-0d39-418e-94be-c5f780760199"
TO = "+12025550143"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def count_procs(pgid, name):
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/comm" % d) as fh:
                    if fh.read().strip() != name:
                        continue
                with open("/proc/%s/stat" % d) as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[2]) == pgid:
                        n += 1
            except OSError:
                pass
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--calls", type=int, default=int(os.environ.get("BENCH_TELNYX_CALLS", "200")))
    a = ap.parse_args()

    fake = FakeTelnyx(API_KEY, CONNECTION_ID, CREDENTIAL_ID).start()
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    var = tempfile.mkdtemp(prefix="dialer-bench-telnyx-")
    key = "bench-" + secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIALER_", "TWILIO_", "TELNYX_"))}
    env.update({
        "PORT": str(port), "DIALER_VAR": var, "DIALER_API_KEY": key,
        "DIALER_ADMIN_PASSWORD": "bench-" + secrets.token_hex(8), "DIALER_PUBLIC_URL": base,
        "DIALER_PROVIDER": "telnyx", "DIALER_MAX_ACTIVE_CALLS_PER_USER": "1000",
        "DIALER_MAX_CALLS_PER_MINUTE": "100000", "DIALER_MAX_ACTIVE_CALLS": "1000000",
        "TELNYX_API_KEY": API_KEY, "TELNYX_CONNECTION_ID": CONNECTION_ID,
        "TELNYX_CALLER_ID": "+15005550006", "TELNYX_CREDENTIAL_ID": CREDENTIAL_ID,
        "TELNYX_PUBLIC_KEY": fake.public_key, "TELNYX_API_BASE": fake.url,
    })
    proc = subprocess.Popen([os.path.join(ROOT, "tools", "serve.sh"), a.build], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    out = []
    try:
        for _ in range(200):
            try:
                requests.get(base + "/api/v1/auth/me", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.1)
        sess = requests.Session()
        sess.headers["X-API-Key"] = key
        events = base + "/api/v1/telnyx/events"
        create, join = [], []
        requests.post(fake.base_url + "/_fake/reset", timeout=10)
        for _ in range(a.calls):
            t0 = time.perf_counter()
            r = sess.post(base + "/api/v1/calls", json={"to_phone": TO}, timeout=30)
            create.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 201, r.text
            call = r.json()["call"]
            leg = requests.post(fake.base_url + "/_fake/calls", json={
                "direction": "incoming", "from": "sip:operator@sip.telnyx.com",
                "to": "sip:dialer@sip.telnyx.com"}, timeout=10).json()
            leg = leg.get("call_control_id") or leg["data"]["call_control_id"]
            r = fake.send_event(events, "call.initiated", call_control_id=leg, payload={
                "custom_headers": [{"name": "X-Conference", "value": call["conference_name"]}]})
            assert r["status"] == 204, r
            c = sess.get(base + "/api/v1/calls/%d" % call["id"], timeout=30).json()["call"]
            conf = c["conference_sid"]
            fake.send_event(events, "conference.created", call_control_id=leg, conference_id=conf)
            ev = fake.build_event("conference.participant.joined", call_control_id=leg,
                                  conference_id=conf)
            t0 = time.perf_counter()
            r = fake.callback(events, ev)
            join.append((time.perf_counter() - t0) * 1000)
            assert r["status"] == 204, r
            c = sess.get(base + "/api/v1/calls/%d" % call["id"], timeout=30).json()["call"]
            assert c["status"] == "initiated", c
            fake.send_event(base + "/api/v1/telnyx/call-status?call=%d" % call["id"],
                            "call.hangup", call_control_id=c["call_sid"],
                            payload={"hangup_cause": "timeout"})
        stats = requests.get(fake.base_url + "/_fake/stats", timeout=10).json()
        pgid = os.getpgid(proc.pid)
        out += ["telnyx_calls_n=%d" % a.calls,
                "telnyx_create_p50=%.2f" % pct(create, 50),
                "telnyx_create_p99=%.2f" % pct(create, 99),
                "telnyx_join_p50=%.2f" % pct(join, 50),
                "telnyx_join_p99=%.2f" % pct(join, 99),
                "telnyx_fake_conns=%d" % stats["connections"],
                "telnyx_procs=%d" % (count_procs(pgid, "webhooks") + count_procs(pgid, "calls"))]
        print("\n".join("   " + x for x in out))
        ok = lambda c: "PASS" if c else "MISS"  # noqa: E731
        print("%s  Telnyx POST /api/v1/calls <= 5 ms p99  (%.2f ms, incl. the login token from the fake)"
              % (ok(pct(create, 99) <= 5), pct(create, 99)))
        print("%s  Telnyx participant.joined webhook (the dial inside) <= 5 ms p99  (%.2f ms)"
              % (ok(pct(join, 99) <= 5), pct(join, 99)))
        procs = count_procs(pgid, "webhooks") + count_procs(pgid, "calls")
        print("%s  <= 1 connection to Telnyx per FastCGI process  (%d connections, %d processes)"
              % (ok(stats["connections"] <= procs), stats["connections"], procs))
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        proc.wait(timeout=20)
        fake.stop()
        subprocess.run(["rm", "-rf", var], check=False)
        if os.environ.get("BENCH_OUT") and out:
            with open(os.environ["BENCH_OUT"], "a") as fh:
                fh.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
