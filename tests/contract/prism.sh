#!/usr/bin/env bash
# Start/stop a local Prism mock server for the provider OpenAPI specs.
#
#   tests/contract/prism.sh start twilio|telnyx PORTFILE LOGFILE   -> prints PID
#   tests/contract/prism.sh stop PID
#
# Prism (npm @stoplight/prism-cli, pinned in package.json; install with `npm ci`)
# listens on 127.0.0.1 only and never goes to the internet: the specs are local
# files without remote $refs.
#
# Neither spec is served with --errors:
#  * twilio: its response examples violate the spec's own response schemas, so
#    --errors turns valid requests into 500s.
#  * telnyx: request violations are flagged identically with or without
#    --errors (the spec defines 422 -> 422 + sl-violations header); --errors only
#    adds 500s for the mock's own response-schema mismatches, which are not our bug.
# An invalid request gets a 4xx: 401 for missing auth, otherwise the spec's 422/400
# response with an `sl-violations` header, or (if the spec defines none, as with
# Twilio) a Prism-generated 422 application/problem+json without that header.
#
# Environment:
#   PRISM_SPEC_DIR       directory with the specs (default: <repo>/../shared/specs)
#   PRISM_START_TIMEOUT  seconds to wait for the server (default 90)
#   PRISM_EXTRA_ARGS     extra arguments for `prism mock` (e.g. --errors)
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
prism="$root/node_modules/.bin/prism"
spec_dir=${PRISM_SPEC_DIR:-$root/../shared/specs}
timeout=${PRISM_START_TIMEOUT:-90}

die() { echo "prism.sh: $*" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_open() {  # succeeds once something accepts TCP connections on 127.0.0.1:$1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    [ $# -eq 3 ] || die "usage: $0 start twilio|telnyx PORTFILE LOGFILE"
    local which=$1 portfile=$2 logfile=$3 spec
    case $which in
        twilio) spec=$spec_dir/twilio_api_v2010.json ;;
        telnyx) spec=$spec_dir/spec3.yml ;;
        *) die "unknown spec '$which' (want twilio or telnyx)" ;;
    esac
    [ -r "$spec" ] || die "spec not found: $spec"
    [ -x "$prism" ] || die "$prism missing; run 'npm ci' in $root"
    rm -f "$portfile"

    local attempt port pid t0 deadline
    for attempt in 1 2 3; do   # retry in case another process grabbed the port
        port=$(free_port) || die "cannot find a free port"
        # setsid: own session, so the caller's terminal signals don't hit it.
        # shellcheck disable=SC2086
        setsid "$prism" mock -h 127.0.0.1 -p "$port" ${PRISM_EXTRA_ARGS:-} "$spec" \
            >"$logfile" 2>&1 </dev/null &
        pid=$!
        t0=$(date +%s.%N)
        deadline=$(( $(date +%s) + timeout ))
        while kill -0 "$pid" 2>/dev/null; do
            if port_open "$port" && grep -q 'Prism is listening' "$logfile"; then
                echo "$port" >"$portfile"
                echo "prism.sh: $which spec up on 127.0.0.1:$port after" \
                     "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s (pid $pid)" >&2
                echo "$pid"
                return 0
            fi
            if [ "$(date +%s)" -ge "$deadline" ]; then
                kill "$pid" 2>/dev/null; sleep 1; kill -9 "$pid" 2>/dev/null
                echo "prism.sh: $which spec not up within ${timeout}s; log $logfile:" >&2
                tail -n 40 "$logfile" >&2
                exit 1
            fi
            sleep 0.2
        done
        wait "$pid" 2>/dev/null
        grep -q EADDRINUSE "$logfile" || break
    done
    echo "prism.sh: prism exited before listening; log $logfile:" >&2
    tail -n 40 "$logfile" >&2
    exit 1
}

stop() {
    [ $# -eq 1 ] || die "usage: $0 stop PID"
    local pid=$1 i
    case $pid in ''|*[!0-9]*) die "bad pid '$pid'" ;; esac
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
    return 0
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
    start) start "$@" ;;
    stop) stop "$@" ;;
    *) die "usage: $0 start twilio|telnyx PORTFILE LOGFILE | stop PID" ;;
esac
