# Shared by the bench scripts (sourced, POSIX sh). Sets:
#   root build tmp          checkout, build folder, private temp folder
#   port url key            the server's loopback port, base URL, API key
# and provides bench_prepare, server_start, server_stop, median, ...
# Everything talks to 127.0.0.1 only; the server started here is stopped
# (its whole process group) on any exit.

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) || {
	echo "bench: no build folder ${1:-$root/build}; run make first" >&2
	exit 2
}
PY=/usr/bin/python3  # Debian's, with python3-phonenumbers

server_pgid=
tmp=

bench_cleanup() {
	rc=$?
	if [ $rc -ne 0 ] && [ -n "$tmp" ] && [ -d "$tmp/var/log" ]; then
		echo "bench: failed (exit $rc); the server's output and error log end with:" >&2
		tail -n 15 "$tmp/serve.log" "$tmp/var/log/error.log" >&2 2>/dev/null || :
	fi
	server_stop
	[ -n "$tmp" ] && rm -rf "$tmp"
}

bench_prepare() {
	for f in "$build/dialerctl" "$build/cgi-bin/contacts" "$build/cgi-bin/contacts_import"; do
		[ -x "$f" ] || { echo "bench: $f is missing; run make first" >&2; exit 2; }
	done
	tmp=$(mktemp -d /tmp/colddialer-bench.XXXXXX)
	# Apache's workers (www-data) must reach the hello program.
	chmod 755 "$tmp"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$tmp/cgi"
	cc -std=c11 -Wall -Wextra -Werror -O2 -D_POSIX_C_SOURCE=200809L "$root/bench/hello.c" -o "$tmp/cgi/hello" -lfcgi
	chmod 755 "$tmp/cgi" "$tmp/cgi/hello"
}

# Percent of all CPU time that was busy over the next second.
cpu_busy() {
	set -- $(head -1 /proc/stat)
	t0=$(($2 + $3 + $4 + $5 + $6 + $7 + $8 + ${9:-0})) i0=$(($5 + $6))
	sleep 1
	set -- $(head -1 /proc/stat)
	t1=$(($2 + $3 + $4 + $5 + $6 + $7 + $8 + ${9:-0})) i1=$(($5 + $6))
	echo $((100 - 100 * (i1 - i0) / (t1 - t0 + (t1 == t0))))
}

# The machine is shared (tests may be running): wait until it is quiet
# (under 20% busy for a second), at most BENCH_QUIET_MAX seconds (120).
wait_quiet() {
	waited=0
	while b=$(cpu_busy); [ "$b" -ge 20 ]; do
		[ $waited -eq 0 ] && printf '   (the machine is %s%% busy with other work: waiting for it to calm down)\n' "$b"
		waited=$((waited + 1))
		if [ $waited -ge "${BENCH_QUIET_MAX:-120}" ]; then
			printf '   WARNING: still %s%% busy after %ss; measuring anyway, figures are pessimistic\n' "$b" "$waited"
			return 0
		fi
	done
}

free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The contact file, generated into $tmp (deterministic: same seed, same bytes).
contacts_file() {
	f="$tmp/contacts-${BENCH_ROWS:-100000}.csv"
	[ -s "$f" ] || $PY "$root/bench/gen_contacts.py" -n "${BENCH_ROWS:-100000}" -o "$f" 2>/dev/null
	echo "$f"
}

# server_start: Apache from apache.conf through tools/serve.sh, on a free
# loopback port, state in $tmp/var, hello at /bench/hello. In its own
# session, so its process group holds Apache, mod_fcgid's manager and
# every FastCGI program, and server_stop can end exactly those.
server_start() {
	port=$(free_port)
	url="http://127.0.0.1:$port"
	key=bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	rm -rf "$tmp/var"
	mkdir -p "$tmp/var"
	env PORT="$port" DIALER_VAR="$tmp/var" DIALER_API_KEY="$key" \
	    DIALER_ADMIN_PASSWORD="bench-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')" \
	    DIALER_BENCH_CGI="$tmp/cgi" \
	    setsid "$root/tools/serve.sh" "$build" >"$tmp/serve.log" 2>&1 &
	server_pid=$!
	server_pgid=$server_pid
	wait_up
	# The group setsid made (its leader is serve.sh, now Apache).
	server_pgid=$(awk '{print $5}' "/proc/$server_pid/stat" 2>/dev/null || echo "$server_pid")
}

# Until $url/bench/hello answers 200; if the server ($server_pid) dies
# or 10 s pass, its output and exit 1.
wait_up() {
	i=0
	while :; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/bench/hello" 2>/dev/null || :)
		[ "$code" = 200 ] && break
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
			echo "bench: the server did not start; its output:" >&2
			cat "$tmp/serve.log" "$tmp/var/log/error.log" >&2 2>/dev/null
			exit 1
		fi
		sleep 0.1
	done
}

# wrk_checked NAME SCRIPT URL_PATH DURATION -> "req/s p50_ms p99_ms
# non2xx socket_errors": wrk -t$threads -c$conns --latency with
# bench/SCRIPT (which reads its settings from the environment and ends with
# wrkstats.lua's line), output in $tmp/wrk-NAME.txt, the access log's lines
# for the run in $tmp/log-NAME.txt. non-2xx is the larger
# of wrk's own count and the server's access log's (its status is the
# third field from the end in every format bench/ uses).
wrk_checked() {
	before=$(wc -l <"$tmp/var/log/access.log")
	wrk -t"$threads" -c"$conns" -d"$4" --latency -s "$root/bench/$2" \
	    "$url$3" >"$tmp/wrk-$1.txt" 2>&1 || :
	line=$(grep '^BENCH ' "$tmp/wrk-$1.txt" || :)
	if [ -z "$line" ]; then
		echo "bench: wrk failed:" >&2
		cat "$tmp/wrk-$1.txt" >&2
		exit 1
	fi
	tail -n +"$((before + 1))" "$tmp/var/log/access.log" >"$tmp/log-$1.txt"
	bad=$(awk '$(NF - 2) < 200 || $(NF - 2) > 299' "$tmp/log-$1.txt" | wc -l)
	echo "$line" | awk -v bad="$bad" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%.0f %.2f %.2f %d %d\n", v["requests"] / (v["duration_us"] / 1e6),
		    v["p50_us"] / 1000, v["p99_us"] / 1000,
		    (bad > v["status"] ? bad : v["status"]),
		    v["connect"] + v["read"] + v["write"] + v["timeout"]
	}'
}

# proxy_conf VAR PORT: prints the start of an Apache config for pre-started
# FastCGI pools behind mod_proxy_fcgi (the comparisons in servers.sh and
# alt_proxy_fcgi.sh): apache.conf's MPM, keep-alive and security headers,
# state in VAR, the access log's status third from the end as in
# apache.conf. The caller adds its ProxyPass lines.
proxy_conf() {
	cat <<EOF
ServerRoot "$1"
PidFile "$1/run/httpd.pid"
Listen 127.0.0.1:$2
ServerName 127.0.0.1
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so
User www-data
Group www-data
ErrorLog "$1/log/error.log"
LogLevel warn
LogFormat "%h %{X-Request-Id}o %t \"%m\" %>s %B %Dus" dialer
CustomLog "$1/log/access.log" dialer
StartServers 2
ServerLimit 4
ThreadsPerChild 64
MaxRequestWorkers 256
KeepAlive On
MaxKeepAliveRequests 0
Header always set Content-Security-Policy "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
Header always set X-Content-Type-Options "nosniff"
Header always set Referrer-Policy "same-origin"
Header always set X-Frame-Options "DENY"
Header always set Permissions-Policy "microphone=(self), camera=(), geolocation=()"
Header always set Cross-Origin-Opener-Policy "same-origin"
EOF
}

server_stop() {
	[ -n "$server_pgid" ] || return 0
	pg=$server_pgid
	server_pgid=
	kill -TERM "-$pg" 2>/dev/null || return 0
	i=0
	while kill -0 "-$pg" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "-$pg" 2>/dev/null || :
	wait 2>/dev/null || :
}

# PIDs of FastCGI program NAME (comm) in the server's process group.
fcgi_pids() {
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] || continue
		[ "$(awk '{print $5}' "$d/stat" 2>/dev/null)" = "$server_pgid" ] || continue
		echo "${d#/proc/}"
	done
}

# kB value of FIELD (VmRSS, VmHWM) in /proc/PID/status.
proc_kb() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null
}

# median / min of numbers on stdin
median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
minimum() { sort -g | head -1; }

# PASS/MISS line: verdict LABEL OK(0/1) DETAIL
verdict() {
	if [ "$2" = 1 ]; then v=PASS; else v=MISS; fi
	printf '%-4s  %s  (%s)\n' "$v" "$1" "$3"
}

# awk-evaluated comparison: ok "1.2 <= 1.0" -> 0 or 1
ok() { awk "BEGIN {print ($1) ? 1 : 0}"; }

# --- wrk ------------------------------------------------------------------
# Set by the caller: url key conns threads rounds dur; the server's access
# log is $tmp/var/log/access.log.

# wrk prints its own summary; this adds exact figures (microseconds).
wrk_setup() {
	cat >"$tmp/report.lua" <<'EOF'
done = function(summary, latency, requests)
	io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d "
	    .. "status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
	    summary.requests, summary.duration, latency:percentile(50),
	    latency:percentile(99), summary.errors.status, summary.errors.connect,
	    summary.errors.read, summary.errors.write, summary.errors.timeout))
end
EOF
	{ echo 'wrk.method = "POST"'; cat "$tmp/report.lua"; } >"$tmp/post.lua"
}

# run_wrk NAME PATH DURATION [METHOD] -> "req/s p50_ms p99_ms non2xx
# socket_errors"; METHOD is GET (default) or POST (no body); $wconns, when
# set, overrides $conns. wrk's own output is kept in $tmp/wrk-NAME.txt.
run_wrk() {
	method=${4:-GET}
	before=$(wc -l <"$tmp/var/log/access.log")
	[ "$method" = POST ] && script="$tmp/post.lua" || script="$tmp/report.lua"
	wrk -t"$threads" -c"${wconns:-$conns}" -d"$3" --latency -s "$script" \
	    -H "X-API-Key: $key" "$url$2" >"$tmp/wrk-$1.txt" 2>&1 || :
	line=$(grep '^BENCH ' "$tmp/wrk-$1.txt" || :)
	if [ -z "$line" ]; then
		echo "bench: wrk failed:" >&2
		cat "$tmp/wrk-$1.txt" >&2
		exit 1
	fi
	# Non-2xx from Apache's log of the requests made during the run (wrk
	# counts only >= 400 as errors; this also catches 1xx and 3xx). The log
	# keeps no ids (apache.conf), so match on the method alone.
	bad=$(tail -n +"$((before + 1))" "$tmp/var/log/access.log" |
	    awk -v m="\"$method " '$0 ~ m && ($(NF - 2) < 200 || $(NF - 2) > 299)' | wc -l)
	echo "$line" | awk -v bad="$bad" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		sockerr = v["connect"] + v["read"] + v["write"] + v["timeout"]
		printf "%.0f %.2f %.2f %d %d\n", v["requests"] / (v["duration_us"] / 1e6),
		    v["p50_us"] / 1000, v["p99_us"] / 1000,
		    (bad > v["status_errors"] ? bad : v["status_errors"]), sockerr
	}'
}

# measure_rounds HELLO_PATH LIST_PATH: $rounds rounds, hello then the list,
# each once the machine is quiet. Sets h_* and l_* (best round by req/s),
# h_bad and l_bad (summed over all rounds) and pct (list / hello, in %).
measure_rounds() {
	: >"$tmp/hello.res"
	: >"$tmp/list.res"
	r=1
	while [ $r -le "$rounds" ]; do
		wait_quiet
		res=$(run_wrk hello "$1" "$dur")
		echo "$res" >>"$tmp/hello.res"
		set -- "$1" "$2" $res
		printf '   round %d  hello:    %7s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  socket errors %s\n' "$r" "$3" "$4" "$5" "$6" "$7"
		wait_quiet
		res=$(run_wrk list "$2" "$dur")
		echo "$res" >>"$tmp/list.res"
		set -- "$1" "$2" $res
		printf '   round %d  contacts: %7s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  socket errors %s\n' "$r" "$3" "$4" "$5" "$6" "$7"
		set -- "$1" "$2"
		r=$((r + 1))
	done
	set -- $(sort -rn "$tmp/hello.res" | head -1)
	h_rps=$1 h_p50=$2 h_p99=$3
	set -- $(sort -rn "$tmp/list.res" | head -1)
	l_rps=$1 l_p50=$2 l_p99=$3
	l_bad=$(awk '{s += $4 + $5} END {print s + 0}' "$tmp/list.res")
	h_bad=$(awk '{s += $4 + $5} END {print s + 0}' "$tmp/hello.res")
	pct=$(awk -v a="$l_rps" -v b="$h_rps" 'BEGIN {printf "%.0f", 100 * a / b}')
}
