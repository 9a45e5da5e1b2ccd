#!/bin/sh
# The contact list benchmark of bench/contacts.sh, served another way:
# Apache (same MPM settings as apache.conf) with mod_proxy_fcgi in front of
# pre-started pools of the same programs on Unix sockets, instead of
# mod_fcgid spawning them on demand. For comparison only: apache.conf is
# what the project deploys.
#
#   bench/alt_proxy_fcgi.sh [BUILD_DIR]
#
# Environment: BENCH_POOL (processes per program, default 4), and
# BENCH_DURATION, BENCH_CONNS, BENCH_THREADS, BENCH_WARMUP, BENCH_ROUNDS,
# BENCH_ROWS, BENCH_OUT as for bench/contacts.sh.
set -eu
. "$(dirname "$0")/lib.sh"
dur=${BENCH_DURATION:-10s}
conns=${BENCH_CONNS:-32}
threads=${BENCH_THREADS:-2}
warm=${BENCH_WARMUP:-5s}
rounds=${BENCH_ROUNDS:-3}
pool=${BENCH_POOL:-4}
out=${BENCH_OUT:-/dev/null}

bench_prepare
wait_quiet
csv=$(contacts_file)
echo "== contacts via mod_proxy_fcgi, $pool pre-started processes per program:" \
    "wrk -t$threads -c$conns -d$dur, $(nproc) cores"

# State: the same database the app would have, contacts imported by
# dialerctl (same code as the endpoint).
var=$tmp/var
mkdir -p "$var/run" "$var/log"
export DIALER_DB="$var/dialer.db" DIALER_LOG="$var/log/requests.log" DIALER_COOKIE_SECURE=0
export DIALER_API_KEY="bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
key=$DIALER_API_KEY
DIALER_CONFIG=/dev/null "$build/dialerctl" init-db >/dev/null
DIALER_CONFIG=/dev/null "$build/dialerctl" import "$csv" --list bench >/dev/null
chown -R www-data:www-data "$var"

port=$(free_port)
url="http://127.0.0.1:$port"
{
	proxy_conf "$var" "$port"
	echo "ProxyPass \"/api/v1/contacts\" \"unix:$tmp/contacts.sock|fcgi://contacts/\""
	echo "ProxyPass \"/bench/hello\" \"unix:$tmp/hello.sock|fcgi://hello/\""
} >"$tmp/httpd.conf"

# Pools and Apache in one new session: one process group to stop.
setsid sh -c '
	/usr/bin/python3 "$1/bench/fcgi_pool.py" "$2/contacts.sock" "$3" "$4/cgi-bin/contacts" &
	/usr/bin/python3 "$1/bench/fcgi_pool.py" "$2/hello.sock" "$3" "$2/cgi/hello" &
	sleep 0.5
	exec /usr/sbin/apache2 -f "$2/httpd.conf" -D FOREGROUND
' sh "$root" "$tmp" "$pool" "$build" >"$tmp/serve.log" 2>&1 &
server_pid=$!
server_pgid=$server_pid
wait_up
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $key" "$url/api/v1/contacts?per_page=50")
[ "$code" = 200 ] || { echo "bench: GET /api/v1/contacts answered $code" >&2; exit 1; }
echo "   server: $url (pgid $server_pgid)"

wrk_setup
list_path="/api/v1/contacts?per_page=50"
hello_path="/bench/hello"
run_wrk warm-hello "$hello_path" "$warm" >/dev/null
run_wrk warm-list "$list_path" "$warm" >/dev/null
measure_rounds "$hello_path" "$list_path"

nlist=$(fcgi_pids contacts | wc -l)
server_stop
echo
echo "-- mod_proxy_fcgi results (best of $rounds rounds, $dur each; $pool processes per program)"
printf '   GET %s:  %s req/s, p50 %s ms, p99 %s ms\n' "$list_path" "$l_rps" "$l_p50" "$l_p99"
printf '   GET %s (ceiling):       %s req/s, p50 %s ms, p99 %s ms\n' "$hello_path" "$h_rps" "$h_p50" "$h_p99"
printf '   contacts / hello: %s%%; non-2xx or socket errors: contacts %s, hello %s; contacts processes: %s\n' \
    "$pct" "$l_bad" "$h_bad" "$nlist"
cat >>"$out" <<EOF
alt_pool=$pool
alt_list_rps=$l_rps
alt_list_p50=$l_p50
alt_list_p99=$l_p99
alt_hello_rps=$h_rps
alt_hello_p50=$h_p50
alt_hello_p99=$h_p99
alt_list_pct=$pct
alt_list_bad=$l_bad
EOF
