#!/bin/sh
# Valgrind memcheck over the unit tests and over one FastCGI program serving
# thousands of requests: no invalid access, no definite or indirect leak.
#
#   tests/valgrind.sh BUILD_DIR [unit|fcgi|all]
#
# unit  every BUILD_DIR/tests/test_* under memcheck (forked helpers too),
#       from the checkout, as tests/run.sh runs them.
# fcgi  cgi-bin/calls (sessions, CSRF, JSON in and out, SQLite reads and
#       writes, phone parsing, tokens, the simulated provider) under memcheck
#       as a FastCGI server on a Unix socket, sent VALGRIND_REQUESTS (10000)
#       requests over one kept connection by tests/fcgi_client.py: whole
#       calls made, read, controlled, ended, logged, listed, replayed, and
#       the usual refusals. Stopped with SIGUSR1 (libfcgi's graceful stop)
#       so the leak check runs at a normal exit.
#
# Possibly-lost and still-reachable blocks are not errors: they are the
# one-time singletons of libraries (libphonenumber's metadata, SQLite's
# page cache) that live as long as the process. No suppression is needed:
# Debian 12's libraries (OpenSSL 3, libcurl, SQLite, libphonenumber,
# protobuf, libjwt, libfcgi) report nothing under these settings.
# Needs a build without SAN=1 (AddressSanitizer and valgrind exclude each
# other). Exit status 0 only when everything is clean.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) || {
	echo "valgrind.sh: no build folder ${1:-$root/build}; run make first" >&2
	exit 2
}
what=${2:-all}
requests=${VALGRIND_REQUESTS:-10000}
PY=/usr/bin/python3
VGRC=97 # memcheck's exit status when it found an error

command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }
for f in "$build"/tests/test_* "$build/cgi-bin/calls"; do
	[ -x "$f" ] || continue
	if nm -D "$f" 2>/dev/null | grep -q __asan_init; then
		echo "valgrind.sh: $f is built with SAN=1; valgrind needs a plain build" >&2
		exit 2
	fi
	break
done

tmp=$(mktemp -d /tmp/colddialer-valgrind.XXXXXX)
server=
cleanup() {
	if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server" 2>/dev/null
		wait "$server" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Split into words where it is used.
vgopts="--tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=$VGRC --num-callers=40"

# "errors definite indirect" summed over memcheck logs (one per process).
tally() {
	awk '
	/ERROR SUMMARY:/ { e += $4 }
	/definitely lost:/ { gsub(",", "", $4); d += $4 }
	/indirectly lost:/ { gsub(",", "", $4); i += $4 }
	END { printf "%d %d %d\n", e, d, i }' "$@"
}

failed=0
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

run_unit() {
	t0=$(now)
	n=0
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		mkdir -p "$tmp/unit/$name"
		s0=$(now)
		( cd "$root" && valgrind $vgopts --log-file="$tmp/unit/$name/vg.%p" "$t" ) \
		    >"$tmp/unit/$name/out" 2>&1
		rc=$?
		set -- $(tally "$tmp/unit/$name"/vg.*)
		passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$tmp/unit/$name/out" | tail -1)
		procs=$(find "$tmp/unit/$name" -name 'vg.*' | wc -l)
		n=$((n + 1))
		if [ "$rc" -ne 0 ] || [ "$1" -ne 0 ]; then
			failed=$((failed + 1))
			if [ "$rc" -eq $VGRC ] || [ "$1" -ne 0 ]; then
				why="memcheck: $1 errors, definitely lost $2 B, indirectly lost $3 B"
			else
				why="the test failed (exit $rc)"
			fi
			echo "---- valgrind unit $name FAILED: $why ----"
			cat "$tmp/unit/$name/out"
			for l in "$tmp/unit/$name"/vg.*; do
				grep -q 'ERROR SUMMARY: [1-9]' "$l" && cat "$l"
			done
		else
			printf 'valgrind unit  %-18s %3s tests, %2d process(es), 0 errors, 0 B lost (%ss)\n' \
			    "$name" "${passed:-?}" "$procs" "$(secs "$s0")"
		fi
	done
	echo "valgrind unit: $n binaries in $(secs "$t0") s"
}

run_fcgi() {
	t0=$(now)
	var=$tmp/fcgi
	mkdir -p "$var"
	# The program's whole configuration: nothing from the caller's.
	export DIALER_CONFIG=/dev/null DIALER_DB="$var/dialer.db" DIALER_LOG="$var/requests.log"
	DIALER_API_KEY="vg-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
	export DIALER_API_KEY
	export DIALER_PROVIDER=sim DIALER_CALLING_HOURS=00:00-24:00 DIALER_COOKIE_SECURE=0
	export DIALER_MAX_CALLS_PER_MINUTE=100000
	od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$var/password"
	if ! "$build/dialerctl" init-db >/dev/null ||
	    ! "$build/dialerctl" add-user vg-operator <"$var/password" >/dev/null; then
		echo "valgrind.sh: cannot prepare the database" >&2
		failed=$((failed + 1))
		return
	fi
	$PY "$root/tests/fcgi_client.py" serve "$var/calls.sock" -- \
	    valgrind $vgopts --log-file="$var/vg.log" "$build/cgi-bin/calls" &
	server=$!
	$PY "$root/tests/fcgi_client.py" drive --socket "$var/calls.sock" \
	    --cgi-bin "$build/cgi-bin" --user vg-operator --password-file "$var/password" \
	    --api-key "$DIALER_API_KEY" --requests "$requests" >"$var/drive.out" 2>&1
	drc=$?
	kill -USR1 "$server" 2>/dev/null
	wait "$server"
	rc=$?
	server=
	set -- $(tally "$var/vg.log")
	statuses=$(awk '$2 == "program=calls" {for (i = 3; i <= NF; i++) if ($i ~ /^status=/) print $i}' \
	    "$var/requests.log" | sort | uniq -c | awk '{printf "%s%s %s", sep, $2, $1; sep = ", "}' |
	    sed 's/status=//g')
	if [ "$drc" -ne 0 ] || [ "$rc" -ne 0 ] || [ "$1" -ne 0 ]; then
		failed=$((failed + 1))
		echo "---- valgrind fcgi calls FAILED: driver exit $drc, program exit $rc," \
		    "memcheck $1 errors, definitely lost $2 B, indirectly lost $3 B ----"
		cat "$var/drive.out" "$var/vg.log"
		return
	fi
	heap=$(sed -n 's/.*total heap usage: \(.*\)/\1/p' "$var/vg.log")
	echo "valgrind fcgi  calls: $requests requests ($statuses), 0 errors," \
	    "0 B definitely / indirectly lost; heap: $heap ($(secs "$t0") s)"
}

case "$what" in
unit) run_unit ;;
fcgi) run_fcgi ;;
all) run_unit; run_fcgi ;;
*) echo "usage: tests/valgrind.sh BUILD_DIR [unit|fcgi|all]" >&2; exit 2 ;;
esac
[ "$failed" -eq 0 ] || { echo "valgrind: $failed FAILED"; exit 1; }
echo "valgrind: clean"
