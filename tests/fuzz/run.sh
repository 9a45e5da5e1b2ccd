#!/bin/sh
# Run every fuzz target built in BUILD (tests/fuzz/fuzz.mk) for SECONDS:
# first its regression inputs (tests/fuzz/regress/<target>/, each must
# pass), then libFuzzer from the checked-in seeds (tests/fuzz/corpus/<target>/)
# with its dictionary, adding what it finds to BUILD/corpus/<target>/.
# One line per target; a crash leaves its input under BUILD/crashes/<target>/
# and makes the script exit 1. FUZZ_TARGETS (space-separated) runs only those.
#   usage: tests/fuzz/run.sh BUILD SECONDS
set -u
build=${1:?usage: run.sh BUILD SECONDS}
secs=${2:?usage: run.sh BUILD SECONDS}
here=$(dirname "$0")
targets=${FUZZ_TARGETS:-$(cd "$here" && ls fuzz_*.c | sed 's/\.c$//')}
failed=0

# Leaks are crashes; a slow input (10 s) is a hang.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

for t in $targets; do
	bin="$build/$t"
	log="$build/logs/$t.log"
	crashes="$build/crashes/$t"
	work="$build/corpus/$t"
	mkdir -p "$build/logs" "$crashes" "$work"
	if [ ! -x "$bin" ]; then
		printf '%-22s not built (%s)\n' "$t" "$bin"
		failed=1
		continue
	fi
	regress="$here/regress/$t"
	if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
		if ! "$bin" "$regress"/* >"$build/logs/$t.regress.log" 2>&1; then
			printf '%-22s REGRESSION: an input in %s fails; see %s\n' "$t" "$regress" \
			    "$build/logs/$t.regress.log"
			failed=1
			continue
		fi
	fi
	dict=""
	[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$crashes/" $dict "$work" "$here/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
		printf '%-22s %10s execs %7s exec/s  ok\n' "$t" "${execs:-?}" "${rate:-?}"
	else
		printf '%-22s %10s execs %7s exec/s  CRASH: %s (log %s)\n' "$t" "${execs:-?}" \
		    "${rate:-?}" "${crash:-none written}" "$log"
		failed=1
	fi
done
exit $failed
