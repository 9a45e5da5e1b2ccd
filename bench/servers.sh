#!/bin/sh
# Which web server serves the programs fastest (issue 7): the same operator's
# status poll, GET /api/v1/calls/{id} with the session cookie as the dial
# page sends it, and token minting, POST /api/v1/calls/{id}/token (cookie
# and X-CSRF-Token, Twilio provider: a signed JWT each time), each beside the
# hello-world ceiling (bench/hello.c) of the same server, under:
#
#   apache-fcgid   Apache + mod_fcgid, apache.conf as deployed (tools/serve.sh)
#   apache-proxy   Apache (apache.conf's MPM settings) + mod_proxy_fcgi to
#                  pre-started pools: Debian's spawn-fcgi and multiwatch
#                  (which restarts a process that dies), BENCH_POOL per program
#   lighttpd       lighttpd + mod_fastcgi, lighttpd.conf as deployed
#                  (tools/serve.sh SERVER=lighttpd), BENCH_POOL per program
#   lighttpd-2w    the same with two lighttpd worker processes (WORKERS=2)
#   lighttpd-fast  two workers and 2 processes per program whatever
#                  BENCH_POOL says: `make run SERVER=lighttpd WORKERS=2 PROCS=2`
#
# wrk -t2 -c64 --latency (BENCH_THREADS, BENCH_CONNS), BENCH_ROUNDS=3 rounds
# of BENCH_DURATION=10s per figure once the machine is quiet, the best
# round counts. Every answer is checked in the server's access log: any
# non-2xx fails the script.
#
#   bench/servers.sh [BUILD_DIR]
#
# BENCH_SERVERS (default: all five) picks the
# setups; BENCH_OUT=FILE appends "key=value" results (servers_<setup>_<what>_rps,
# _p50, _p99). The call is ended before measuring, so no request reaches
# Twilio (TWILIO_API_BASE is a closed loopback port anyway).
set -eu
. "$(dirname "$0")/lib.sh"
dur=${BENCH_DURATION:-10s}
conns=${BENCH_CONNS:-64}
threads=${BENCH_THREADS:-2}
rounds=${BENCH_ROUNDS:-3}
pool=${BENCH_POOL:-4}
warm=${BENCH_WARMUP:-5s}
setups=${BENCH_SERVERS:-apache-fcgid apache-proxy lighttpd lighttpd-2w lighttpd-fast}
out=${BENCH_OUT:-/dev/null}

for s in $setups; do
	case "$s" in
	apache-fcgid|lighttpd|lighttpd-2w|lighttpd-fast) ;;
	apache-proxy)
		for t in spawn-fcgi multiwatch; do
			command -v $t >/dev/null || { echo "bench: apache-proxy needs $t (apt-get install $t)" >&2; exit 2; }
		done ;;
	*) echo "bench: unknown setup '$s' (apache-fcgid, apache-proxy, lighttpd, lighttpd-2w, lighttpd-fast)" >&2; exit 2 ;;
	esac
done
for f in calls auth_login; do
	[ -x "$build/cgi-bin/$f" ] || { echo "bench: $build/cgi-bin/$f is missing; run make first" >&2; exit 2; }
done
bench_prepare

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
# Twilio with made-up credentials: tokens are real HS256 JWTs; nothing is
# ever sent (the call is ended before Twilio would hear of it).
unset DIALER_PUBLIC_URL
export DIALER_PROVIDER=twilio TWILIO_ACCOUNT_SID="AC$(hex 16)" TWILIO_AUTH_TOKEN="$(hex 16)" \
    TWILIO_API_KEY_SID="SK$(hex 16)" TWILIO_API_KEY_SECRET="$(hex 16)" \
    TWILIO_TWIML_APP_SID="AP$(hex 16)" TWILIO_CALLER_ID=+15005550006 \
    TWILIO_API_BASE=http://127.0.0.1:9 DIALER_CALLING_HOURS=00:00-24:00 PROCS="$pool"
password=bench-$(hex 8)

as_server() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u www-data -- "$@"; else "$@"; fi
}

# The operator, logged in through the server, and one call of theirs,
# ended: sets cookie, csrf, call.
session_setup() {
	printf '%s\n' "$password" | as_server env DIALER_DB="$tmp/var/dialer.db" \
	    "$build/dialerctl" add-user bench-op >/dev/null
	curl -sf -c "$tmp/cookies" -H 'Content-Type: application/json' \
	    -d "{\"username\":\"bench-op\",\"password\":\"$password\"}" \
	    "$url/api/v1/auth/login" >"$tmp/login.json"
	cookie=$(awk '$6 == "session" {print $7}' "$tmp/cookies")
	csrf=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["csrf_token"])' "$tmp/login.json")
	curl -sf -b "session=$cookie" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	    -d '{"to_phone":"+12025550143"}' "$url/api/v1/calls" >"$tmp/call.json"
	call=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["call"]["id"])' "$tmp/call.json")
	curl -sf -o /dev/null -b "session=$cookie" -H "X-CSRF-Token: $csrf" -d '' "$url/api/v1/calls/$call/end"
	st=$(curl -s -o "$tmp/get.json" -w '%{http_code}' -b "session=$cookie" "$url/api/v1/calls/$call")
	[ "$st" = 200 ] || { echo "bench: GET /api/v1/calls/$call answered $st" >&2; cat "$tmp/get.json" >&2; exit 1; }
}

# Apache with mod_proxy_fcgi: apache.conf's MPM and headers, the programs
# pre-started by spawn-fcgi + multiwatch on Unix sockets; spawn-fcgi -n
# keeps them in the server's process group, which server_stop ends.
pool_start() {
	port=$(free_port)
	url="http://127.0.0.1:$port"
	var=$tmp/var
	rm -rf "$var"
	mkdir -p "$var/run" "$var/log"
	export DIALER_DB="$var/dialer.db" DIALER_LOG="$var/log/requests.log" DIALER_COOKIE_SECURE=0 \
	    DIALER_PUBLIC_URL="$url" DIALER_CONFIG=/dev/null
	"$build/dialerctl" init-db >/dev/null
	[ "$(id -u)" -eq 0 ] && chown -R www-data:www-data "$var"
	{
		proxy_conf "$var" "$port"
		echo "ProxyPass \"/api/v1/auth/login\" \"unix:$var/run/auth_login.sock|fcgi://auth_login/\""
		echo "ProxyPass \"/api/v1/calls\" \"unix:$var/run/calls.sock|fcgi://calls/\""
		echo "ProxyPass \"/bench/hello\" \"unix:$var/run/hello.sock|fcgi://hello/\""
	} >"$tmp/httpd.conf"
	if [ "$(id -u)" -eq 0 ]; then
		spawn_user="-u www-data -g www-data -U www-data -G www-data"
	else
		spawn_user=""
	fi
	# shellcheck disable=SC2086
	setsid sh -c '
		for p in auth_login calls hello; do
			case $p in hello) bin=$2/cgi/hello ;; *) bin=$3/cgi-bin/$p ;; esac
			spawn-fcgi -n -s "$1/run/$p.sock" -M 0660 '"$spawn_user"' -- \
			    /usr/bin/multiwatch -f "$4" -s TERM -- "$bin" &
		done
		sleep 0.5
		exec /usr/sbin/apache2 -f "$2/httpd.conf" -D FOREGROUND
	' sh "$var" "$tmp" "$build" "$pool" >"$tmp/serve.log" 2>&1 &
	server_pid=$!
	server_pgid=$server_pid
	wait_up
	unset DIALER_DB DIALER_LOG DIALER_COOKIE_SECURE DIALER_PUBLIC_URL DIALER_CONFIG
}

# swrk NAME PATH METHOD DURATION: wrk_checked (lib.sh) with session.lua,
# the operator's cookie and, for a POST, the CSRF token.
swrk() {
	csrf_h=
	[ "$3" = POST ] && csrf_h=$csrf
	export BENCH_METHOD="$3" BENCH_COOKIE="$cookie" BENCH_CSRF="$csrf_h"
	wrk_checked "$1" session.lua "$2" "$4"
}

total_bad=0
: >"$tmp/table"
echo "== servers: hello, status poll and token minting, wrk -t$threads -c$conns -d$dur --latency," \
    "best of $rounds, $(nproc) cores, pools of $pool"
for s in $setups; do
	wait_quiet
	case "$s" in
	apache-fcgid) export SERVER=apache; server_start ;;
	lighttpd) export SERVER=lighttpd WORKERS=1 PROCS="$pool"; server_start ;;
	lighttpd-2w) export SERVER=lighttpd WORKERS=2 PROCS="$pool"; server_start ;;
	lighttpd-fast) export SERVER=lighttpd WORKERS=2 PROCS=2; server_start ;;
	apache-proxy) pool_start ;;
	esac
	session_setup
	echo "-- $s: $url (pgid $server_pgid), call $call, load $(cut -d' ' -f1-3 /proc/loadavg)"
	# Warm-up: mod_fcgid grows its pools only under load.
	for w in 1 2 3; do
		swrk warm "/bench/hello" GET "$warm" >/dev/null
		swrk warm "/api/v1/calls/$call" GET "$warm" >/dev/null
		swrk warm "/api/v1/calls/$call/token" POST "$warm" >/dev/null
	done
	for what in hello status token; do
		case $what in
		hello) path=/bench/hello method=GET ;;
		status) path=/api/v1/calls/$call method=GET ;;
		token) path=/api/v1/calls/$call/token method=POST ;;
		esac
		: >"$tmp/res"
		r=1
		while [ $r -le "$rounds" ]; do
			wait_quiet
			# What else ran just before: CPU busy over a second, and the
			# 1-minute load average (which still counts earlier rounds).
			busy=$(cpu_busy)
			load=$(cut -d' ' -f1 /proc/loadavg)
			res=$(swrk "$what" "$path" "$method" "$dur")
			echo "$res $busy% $load" >>"$tmp/res"
			set -- $res
			printf '   round %d  %-7s %7s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  socket errors %s  (before: %s%% busy, load %s)\n' \
			    "$r" "$what:" "$1" "$2" "$3" "$4" "$5" "$busy" "$load"
			r=$((r + 1))
		done
		bad=$(awk '{s += $4 + $5} END {print s + 0}' "$tmp/res")
		total_bad=$((total_bad + bad))
		set -- $(sort -rn "$tmp/res" | head -1)
		echo "$s $what $1 $2 $3 $bad $6 $7" >>"$tmp/table"
		key=$(echo "$s" | tr - _)
		printf 'servers_%s_%s_rps=%s\nservers_%s_%s_p50=%s\nservers_%s_%s_p99=%s\nservers_%s_%s_busy=%s\nservers_%s_%s_load=%s\n' \
		    "$key" "$what" "$1" "$key" "$what" "$2" "$key" "$what" "$3" "$key" "$what" "$6" \
		    "$key" "$what" "$7" >>"$out"
	done
	nproc_calls=$(fcgi_pids calls | wc -l)
	echo "   calls processes: $nproc_calls"
	server_stop
done

echo
echo "-- best rounds (req/s, p99 ms; CPU busy and load average just before)"
printf '%-13s %-38s %-38s %-38s\n' setup hello "status GET /api/v1/calls/{id}" "token POST …/token"
for s in $setups; do
	awk -v s="$s" '$1 == s {f[$2] = sprintf("%s req/s, p99 %s ms (%s, %s)", $3, $5, $7, $8)}
	    END {printf "%-13s %-38s %-38s %-38s\n", s, f["hello"], f["status"], f["token"]}' "$tmp/table"
done
best=$(awk '$2 == "status" {print $3, $1}' "$tmp/table" | sort -rn | head -1)
set -- $best
echo "   fastest status poll: $2, $1 req/s; non-2xx answers or socket errors over every run: $total_bad"
[ "$total_bad" -eq 0 ] || exit 1
