#!/bin/sh
# Run the test suites quietly; show a suite's whole output only when it
# fails. Ends with one line: "TOTAL: N passed, M failed".
#   tests/run.sh BUILD_DIR [unit|fuzz|e2e|browser|valgrind]
# SAN_BUILD (set by `make test`): a sanitizer build of the same tree; the
# unit tests run on it too, and the Apache end-to-end suite runs on it.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
only=${2:-all}
san_build=
if [ -n "${SAN_BUILD:-}" ]; then
	san_build=$(cd "$SAN_BUILD" && pwd)
fi
logs=$(mktemp -d)
passed=0
failed=0

# Count cmocka's "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)."
run_unit() {
	ubuild=$1 label=$2
	for t in "$ubuild"/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		log="$logs/$name.log"
		( cd "$root" && "$t" ) >"$log" 2>&1
		rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		p=${p:-0}; f=${f:-0}
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		passed=$((passed + p)); failed=$((failed + f))
		if [ $rc -ne 0 ]; then
			echo "---- $label $name FAILED ----"; cat "$log"
		else
			printf '%-5s %s: %s passed\n' "$label" "$name" "$p"
		fi
	done
}

# Count pytest's last summary line ("N passed, M failed, K errors").
run_pytest() {
	name=$1 server=$2 pbuild=$3
	shift 3
	log="$logs/$name.log"
	# Debian's pytest and its python packages (not the pyenv python3 on PATH).
	( cd "$root" && DIALER_BUILD="$pbuild" DIALER_SERVER="$server" \
		/usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" ) >"$log" 2>&1
	rc=$?
	summary=$(grep -E '^=*.*[0-9]+ (passed|failed|error)' "$log" | tail -1)
	p=$(printf '%s' "$summary" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p;s/^\([0-9][0-9]*\) passed.*/\1/p' | head -1)
	f=$(printf '%s' "$summary" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p;s/^\([0-9][0-9]*\) failed.*/\1/p' | head -1)
	e=$(printf '%s' "$summary" | sed -n 's/.* \([0-9][0-9]*\) error.*/\1/p' | head -1)
	p=${p:-0}; f=$(( ${f:-0} + ${e:-0} ))
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ $rc -ne 0 ]; then
		echo "---- $name FAILED ----"; cat "$log"
	else
		printf '%-5s %s passed\n' "$name" "$p"
	fi
}

# Each libFuzzer target for FUZZ_SMOKE_TIME seconds after its regression
# inputs (tests/fuzz/run.sh: one line per target, "ok" or why not), from
# FUZZ_BUILD (make fuzz-build).
run_fuzz() {
	log="$logs/fuzz.log"
	( cd "$root" && tests/fuzz/run.sh "${FUZZ_BUILD:-build/fuzz}" "${FUZZ_SMOKE_TIME:-8}" ) \
		>"$log" 2>&1
	rc=$?
	p=$(grep -c ' ok$' "$log")
	f=0
	[ $rc -ne 0 ] && f=$(grep -vc ' ok$' "$log")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ $rc -ne 0 ]; then
		echo "---- fuzz FAILED ----"; cat "$log"
	else
		echo "fuzz  $p targets, no crash"
	fi
}

# The API end to end under Apache (with the provider fakes' and contract
# suites), then the same API suite again under lighttpd set up as the
# fastest deployment (README, Benchmarks): two workers, two processes per
# program.
run_e2e() {
	suites=tests/e2e
	for d in tests/contract tests/fake; do
		[ -d "$root/$d" ] && suites="$suites $d"
	done
	# shellcheck disable=SC2086
	if [ -n "$san_build" ]; then
		run_pytest e2e-san apache "$san_build" $suites
	else
		run_pytest e2e apache "$build" $suites
	fi
	export WORKERS=2 PROCS=2
	run_pytest e2e-lighttpd lighttpd "$build" tests/e2e
	unset WORKERS PROCS
}

# Memcheck over one FastCGI program serving VALGRIND_REQUESTS requests
# (2,000 here; `make valgrind` runs 10,000 and every unit test). Valgrind
# cannot watch a program built with AddressSanitizer.
run_valgrind() {
	if nm -D "$build/cgi-bin/calls" 2>/dev/null | grep -q __asan_init; then
		echo "valgrind: not run on a SAN=1 build (ASan and memcheck exclude each other)"
		return
	fi
	log="$logs/valgrind.log"
	VALGRIND_REQUESTS=${VALGRIND_REQUESTS:-2000} "$root/tests/valgrind.sh" "$build" fcgi >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		echo "---- valgrind FAILED ----"; cat "$log"
	else
		passed=$((passed + 1))
		grep '^valgrind fcgi' "$log"
	fi
}

# The dial page in headless Debian chromium (playwright-core from npm).
run_browser() {
	log="$logs/browser.log"
	( cd "$root" && DIALER_BUILD="$build" node --test --test-reporter=tap \
		--test-concurrency=1 tests/browser/ ) >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
	p=${p:-0}; f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ $rc -ne 0 ]; then
		echo "---- browser FAILED (screenshots in tests/artifacts/browser/) ----"; cat "$log"
	else
		echo "browser $p passed"
	fi
}

run_units() {
	run_unit "$build" unit
	if [ -n "$san_build" ]; then run_unit "$san_build" usan; fi
}

case "$only" in
unit) run_units ;;
fuzz) run_fuzz ;;
e2e) run_e2e ;;
browser) run_browser ;;
valgrind) run_valgrind ;;
*) run_units; run_fuzz; run_e2e; run_browser; run_valgrind ;;
esac
rm -rf "$logs"
echo "TOTAL: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
