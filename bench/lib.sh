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
	cc -std=c11 -Wall -Wextra -Werror -O2 "$root/bench/hello.c" -o "$tmp/cgi/hello" -lfcgi
	chmod 755 "$tmp/cgi" "$tmp/cgi/hello"
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
	# setsid forks when it is already a group leader: find the real group.
	server_pgid=$(awk '{print $5}' "/proc/$server_pid/stat" 2>/dev/null || echo "$server_pid")
}

server_stop() {
	[ -n "$server_pgid" ] || return 0
	pg=$server_pgid
	server_pgid=
	kill -TERM -- "-$pg" 2>/dev/null || return 0
	i=0
	while kill -0 -- "-$pg" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL -- "-$pg" 2>/dev/null || :
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
