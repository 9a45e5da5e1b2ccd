#!/bin/sh
# RSS of one FastCGI program over 100,000 requests: flat, or a leak.
#
#   bench/rss.sh [BUILD_DIR]
#
# cgi-bin/calls runs as the only process of its pool (a FastCGI server on a
# Unix socket, started by tests/fcgi_client.py serve), so every request hits
# it; tests/fcgi_client.py drive sends RSS_REQUESTS (100000) requests over
# one kept connection, the same mix tests/valgrind.sh checks (whole calls
# made, read, controlled, ended, logged, listed, replayed, and the usual
# refusals; every answer's status checked), and reads VmRSS from
# /proc/PID/status after request RSS_FIRST (1000) and every RSS_EVERY
# (10000). Prints the series and the growth from the first reading to the
# last; exits 1 if it is over RSS_LIMIT_KB (1024), 2 if a request failed.
#
# The database starts with RSS_HISTORY_DAYS (40) days of made-up history
# (dialerctl seed-demo: about 9,000 calls) and grows by a call every 17
# requests, as a dialer's does. SQLite's page cache (its default, 2,000 KiB
# at most) is then full before request 1,000: GET /api/v1/calls reads the
# whole calls table, so on an empty database the cache would fill over the
# run instead and hide a leak of that size (RSS_HISTORY_DAYS=0 shows it).
set -eu
. "$(dirname "$0")/lib.sh"
requests=${RSS_REQUESTS:-100000}
first=${RSS_FIRST:-1000}
every=${RSS_EVERY:-10000}
limit=${RSS_LIMIT_KB:-1024}
days=${RSS_HISTORY_DAYS:-40}

for f in "$build/dialerctl" "$build/cgi-bin/calls" "$build/cgi-bin/auth_login"; do
	[ -x "$f" ] || { echo "rss: $f is missing; run make first" >&2; exit 2; }
done
tmp=$(mktemp -d /tmp/colddialer-rss.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

var=$tmp/var
mkdir -p "$var/log"
export DIALER_CONFIG=/dev/null DIALER_DB="$var/dialer.db" DIALER_LOG="$var/log/requests.log"
DIALER_API_KEY="rss-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
export DIALER_API_KEY
export DIALER_PROVIDER=sim DIALER_CALLING_HOURS=00:00-24:00 DIALER_COOKIE_SECURE=0
export DIALER_MAX_CALLS_PER_MINUTE=100000
od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$tmp/password"
"$build/dialerctl" init-db >/dev/null
[ "$days" -eq 0 ] || "$build/dialerctl" seed-demo --days "$days" >/dev/null
"$build/dialerctl" add-user rss-operator <"$tmp/password" >/dev/null

# Its own session: server_stop (lib.sh) ends exactly this group.
setsid $PY "$root/tests/fcgi_client.py" serve "$tmp/calls.sock" -- \
    "$build/cgi-bin/calls" 2>"$tmp/serve.log" &
# setsid(1) execs: the program is $! and leads a group of its own, once
# setsid has run (until then it is still in ours, so wait for that).
server_pgid=$!
i=0
until [ "$(awk '{print $5}' "/proc/$server_pgid/stat" 2>/dev/null)" = "$server_pgid" ] &&
    [ -S "$tmp/calls.sock" ] && [ -n "$(fcgi_pids calls)" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || { echo "rss: the program did not start" >&2; cat "$tmp/serve.log" >&2; exit 1; }
	sleep 0.05
done
pid=$(fcgi_pids calls)
echo "== RSS of cgi-bin/calls (pid $pid, the only process) over $requests requests, $(nproc) cores"

$PY "$root/tests/fcgi_client.py" drive --socket "$tmp/calls.sock" --cgi-bin "$build/cgi-bin" \
    --user rss-operator --password-file "$tmp/password" --api-key "$DIALER_API_KEY" \
    --requests "$requests" --rss-pid "$pid" --rss-first "$first" --rss-every "$every" \
    >"$tmp/series" || { cat "$tmp/series"; exit 2; }

awk '$1 == "rss" {printf "   request %7d  VmRSS %6d kB\n", $2, $3}' "$tmp/series"
set -- $(awk '$1 == "rss" {if (n++ == 0) a = $3; b = $3} END {print a, b, b - a}' "$tmp/series")
from=$1 to=$2 growth=$3
secs=$(awk '$1 == "requests" {print $4}' "$tmp/series")
calls=$(sqlite3 -readonly "$DIALER_DB" 'SELECT COUNT(*) FROM calls' 2>/dev/null || echo '?')
hwm=$(proc_kb "$pid" VmHWM)
echo "   $requests requests in $secs s; $calls calls in the database; VmHWM $hwm kB"
verdict "RSS growth from request $first to $requests <= $limit kB" \
    "$(ok "$growth <= $limit")" "$from -> $to kB: $growth kB"
[ "$growth" -le "$limit" ]
