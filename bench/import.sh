#!/bin/sh
# Import benchmark: a generated 100,000-row contact CSV uploaded through
# POST /api/v1/contacts/import under the real Apache + mod_fcgid, against
# a reference import in Python (csv + phonenumbers) on the same file.
#
#   bench/import.sh [BUILD_DIR]
#
# Environment: BENCH_RUNS (timed uploads, default 5), BENCH_PY_RUNS (Python
# runs, default 3), BENCH_ROWS (100000), BENCH_SPLIT=0 to skip the
# breakdown, BENCH_PERF=0 to skip profiling one more upload with perf,
# BENCH_OUT=FILE to append "key=value" results (used by run.sh).
# Targets (issue 2): <= 1.0 s end to end, peak RSS of the importing process
# <= 64 MB, >= 10x faster than the Python reference.
set -eu
. "$(dirname "$0")/lib.sh"
runs=${BENCH_RUNS:-5}
pyruns=${BENCH_PY_RUNS:-3}
out=${BENCH_OUT:-/dev/null}

bench_prepare
wait_quiet
csv=$(contacts_file)
size=$(wc -c <"$csv")
rows=$(($(wc -l <"$csv") - 1))
echo "== import: $csv ($rows rows, $(awk -v s="$size" 'BEGIN {printf "%.1f MB", s / 1048576}'))"
echo "   machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

server_start
echo "   server: $url (pgid $server_pgid)"

# upload NAME URLPATH -> "wall_s http_code curl_time_total", body in $tmp/resp.json
upload() {
	t0=$(date +%s%N)
	w=$(curl -s -o "$tmp/resp.json" -H 'Expect:' -H "X-API-Key: $key" \
	    -F "list_name=$1" -F "file=@$csv;type=text/csv" \
	    -w '%{http_code} %{time_total}' "$url$2") || w="000 0"
	t1=$(date +%s%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}') $w"
}

# Every timed run starts from the same state: the lists of earlier runs
# are deleted (as www-data, the owner of the database and its WAL files),
# so that the table and its indexes do not grow from run to run.
reset_db() {
	runuser -u www-data -- sqlite3 "$tmp/var/dialer.db" \
	    "PRAGMA foreign_keys=ON; DELETE FROM contacts; DELETE FROM contact_lists; PRAGMA wal_checkpoint(TRUNCATE);" \
	    >/dev/null 2>"$tmp/reset.err" || {
		echo "   (could not reset the database between runs: $(head -1 "$tmp/reset.err"))"
	}
}

report_field() {
	$PY -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d.get(sys.argv[2], ""))' \
	    "$tmp/resp.json" "$1" 2>/dev/null || echo "?"
}

# Duration the program itself logged for its last import (request log).
app_ms() {
	grep ' contacts_import ' "$tmp/var/log/requests.log" 2>/dev/null |
	    grep 'path=/api/v1/contacts/import' | tail -1 | sed -n 's/.*dur_ms=\([0-9.]*\).*/\1/p'
}

wait_quiet
# The first upload starts the program (mod_fcgid spawns it on demand) and
# loads libphonenumber's metadata: reported, not counted.
set -- $(upload "bench-cold" /api/v1/contacts/import)
if [ "$2" != 200 ]; then
	echo "bench: the cold upload answered HTTP $2:" >&2
	head -c 2000 "$tmp/resp.json" >&2; echo >&2
	exit 1
fi
imported=$(report_field imported)
skipped=$(report_field skipped)
cold=$1
printf '   cold (program start):  %6.3f s   imported %s, skipped %s\n' "$1" "$imported" "$skipped"

: >"$tmp/walls"
: >"$tmp/apps"
i=1
while [ $i -le "$runs" ]; do
	reset_db
	wait_quiet
	set -- $(upload "bench-run-$i" /api/v1/contacts/import)
	if [ "$2" != 200 ] || [ "$(report_field imported)" != "$imported" ]; then
		echo "bench: run $i answered HTTP $2 / imported $(report_field imported) (expected $imported)" >&2
		head -c 2000 "$tmp/resp.json" >&2; echo >&2
		exit 1
	fi
	a=$(app_ms)
	echo "$1" >>"$tmp/walls"
	echo "${a:-0}" >>"$tmp/apps"
	printf '   run %d:                 %6.3f s   (curl %s s, in the program %s ms)\n' \
	    "$i" "$1" "$3" "${a:-?}"
	i=$((i + 1))
done
best=$(minimum <"$tmp/walls")
med=$(median <"$tmp/walls")
app_best=$(minimum <"$tmp/apps")

# Peak RSS: VmHWM of every contacts_import process of this server (the
# FastCGI program and any helper processes it forked).
hwm_max=0 hwm_sum=0 nproc_imp=0
for p in $(fcgi_pids contacts_import); do
	h=$(proc_kb "$p" VmHWM)
	[ -n "$h" ] || continue
	nproc_imp=$((nproc_imp + 1))
	hwm_sum=$((hwm_sum + h))
	[ "$h" -gt "$hwm_max" ] && hwm_max=$h
	printf '   contacts_import pid %s: VmHWM %.1f MB, VmRSS %.1f MB\n' "$p" \
	    "$(awk -v k="$h" 'BEGIN {print k / 1024}')" "$(awk -v k="$(proc_kb "$p" VmRSS)" 'BEGIN {print k / 1024}')"
done
hwm_mb=$(awk -v k="$hwm_max" 'BEGIN {printf "%.1f", k / 1024}')
hwm_sum_mb=$(awk -v k="$hwm_sum" 'BEGIN {printf "%.1f", k / 1024}')

# The same bytes through the same Apache into the hello program (which
# only drains them): what HTTP, Apache and mod_fcgid cost on their own.
: >"$tmp/hello"
i=1
while [ $i -le 3 ]; do
	set -- $(upload "x" /bench/hello)
	[ "$2" = 200 ] && echo "$1" >>"$tmp/hello"
	i=$((i + 1))
done
http_only=$(minimum <"$tmp/hello")

# One more upload under a system-wide profile (1 sample = 1 ms of CPU),
# summed by component: what the CPU time of an import is spent on.
if [ "${BENCH_PERF:-1}" = 1 ] && command -v perf >/dev/null 2>&1; then
	reset_db
	wait_quiet
	perf record -q -F 1000 -a -o "$tmp/perf.data" >/dev/null 2>&1 &
	perfpid=$!
	sleep 0.5
	upload "bench-perf" /api/v1/contacts/import >/dev/null
	kill -INT "$perfpid" 2>/dev/null || :
	wait "$perfpid" 2>/dev/null || :
	perf report -i "$tmp/perf.data" -n --sort comm,dso --stdio 2>/dev/null |
	    awk '/^ +[0-9.]+%/ {print $2, $3, $4}' >"$tmp/perf.txt" || :
	if [ -s "$tmp/perf.txt" ]; then
		awk '
		$2 == "swapper" || $2 == "perf" { next }
		{
			n = $1; comm = $2; dso = $3
			if (comm == "contacts_import") {
				if (dso ~ /libicu|libphonenumber|libstdc|libprotobuf|libabsl/) g = "phone parsing (libphonenumber, ICU, C++ runtime)"
				else if (dso ~ /libsqlite/) g = "SQLite"
				else if (dso ~ /libcsv/) g = "CSV (libcsv)"
				else if (dso ~ /libc\.so/) g = "libc (malloc, memcpy: mostly phone parsing)"
				else if (dso ~ /kernel/) g = "kernel, in the program (I/O, IPC)"
				else g = "the program itself and other libraries"
			} else if (comm ~ /apache|httpd/) g = "Apache + mod_fcgid (all its processes)"
			else if (comm == "curl") g = "curl (the client)"
			else g = "other processes (kernel threads, anything else running)"
			ms[g] += n; tot += n
		}
		END {
			for (g in ms) printf "     %7.0f ms  %4.1f%%  %s\n", ms[g], 100 * ms[g] / tot, g | "sort -rn"
			close("sort -rn")
			printf "     %7.0f ms  CPU in all (2 cores)\n", tot
			for (g in ms) {
				k = g ~ /^phone/ ? "phone" : g ~ /^libc/ ? "libc" : g ~ /^SQLite/ ? "sqlite" : \
				    g ~ /^kernel/ ? "kernel" : g ~ /^CSV/ ? "csv" : g ~ /^Apache/ ? "apache" : ""
				if (k != "") printf "import_cpu_%s_ms=%.0f\n", k, ms[g] >kv
			}
			printf "import_cpu_total_ms=%.0f\n", tot >kv
		}' kv="$tmp/perf.kv" "$tmp/perf.txt" >"$tmp/perf.sum"
	fi
fi
server_stop

# --- where the time goes, without HTTP ---------------------------------
csv_ms= phone_ms= cli_s= per_num_us=
if [ "${BENCH_SPLIT:-1}" = 1 ]; then
	if cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$root/lib" "$root/bench/split.c" \
	    -o "$tmp/split" "$build/libdialer.a" -lcsv -lphonenumber -lstdc++ 2>"$tmp/split.err"; then
		wait_quiet
		csv_ms=$(for i in 1 2 3; do "$tmp/split" csv "$csv"; done |
		    sed -n 's/.* ms=\([0-9.]*\).*/\1/p' | minimum)
		line=$("$tmp/split" phone "$csv")
		phone_ms=$(echo "$line" | sed -n 's/.* ms=\([0-9.]*\).*/\1/p')
		nparsed=$(echo "$line" | sed -n 's/.* records=\([0-9]*\).*/\1/p')
		per_num_us=$(awk -v a="$phone_ms" -v b="$csv_ms" -v n="$nparsed" 'BEGIN {printf "%.1f", (a - b) * 1000 / n}')
	else
		echo "   (bench/split.c does not build against this lib: $(head -1 "$tmp/split.err"))"
	fi
	# Each libphonenumber call the importer makes, per number.
	if g++ -std=c++17 -O2 "$root/bench/phone_steps.cc" -o "$tmp/phone_steps" -lphonenumber \
	    2>"$tmp/steps.err"; then
		wait_quiet
		"$tmp/phone_steps" "$csv" >"$tmp/steps.txt" || :
	fi
	# The whole import without HTTP: dialerctl, same code path, fresh database.
	: >"$tmp/cli"
	for i in 1 2 3; do
		wait_quiet
		rm -f "$tmp/cli.db" "$tmp/cli.db-wal" "$tmp/cli.db-shm"
		DIALER_DB="$tmp/cli.db" DIALER_CONFIG=/dev/null "$build/dialerctl" init-db >/dev/null
		t0=$(date +%s%N)
		DIALER_DB="$tmp/cli.db" DIALER_CONFIG=/dev/null "$build/dialerctl" import "$csv" >/dev/null
		t1=$(date +%s%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) / 1e9}' >>"$tmp/cli"
	done
	cli_s=$(minimum <"$tmp/cli")
fi

# --- the Python reference ----------------------------------------------
: >"$tmp/py"
i=1
while [ $i -le "$pyruns" ]; do
	wait_quiet
	line=$($PY "$root/bench/ref_import.py" "$csv")
	echo "$line" | sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p' >>"$tmp/py"
	py_imported=$(echo "$line" | sed -n 's/.*"imported": \([0-9]*\).*/\1/p')
	i=$((i + 1))
done
py_best=$(minimum <"$tmp/py")
py_med=$(median <"$tmp/py")
ratio=$(awk -v p="$py_best" -v c="$best" 'BEGIN {printf "%.1f", p / c}')
ratio_med=$(awk -v p="$py_med" -v c="$med" 'BEGIN {printf "%.1f", p / c}')

echo
echo "-- import results ($rows rows, imported $imported, skipped $skipped)"
printf '   end to end (HTTP upload -> JSON report):  best %.3f s, median %.3f s over %d runs\n' "$best" "$med" "$runs"
printf '   peak RSS (VmHWM), importing process:       %s MB  (%d contacts_import processes, %s MB together)\n' \
    "$hwm_mb" "$nproc_imp" "$hwm_sum_mb"
printf '   Python csv+phonenumbers reference:         best %.3f s, median %.3f s  (imported %s)\n' \
    "$py_best" "$py_med" "${py_imported:-?}"
printf '   ratio Python / ours:                       %sx (best/best), %sx (median/median)\n' "$ratio" "$ratio_med"
echo "   where the time goes (best runs):"
printf '     same upload into hello (HTTP+Apache+mod_fcgid only): %.3f s\n' "$http_only"
printf '     inside the program (its request log, dur_ms):        %.3f s\n' "$(awk -v a="$app_best" 'BEGIN {print a / 1000}')"
[ -n "$cli_s" ] && printf '     dialerctl import, no HTTP (CSV+phone+SQLite):        %.3f s\n' "$cli_s"
[ -n "$csv_ms" ] && printf '     CSV parsing alone (csvread):                         %.3f s\n' "$(awk -v a="$csv_ms" 'BEGIN {print a / 1000}')"
[ -n "$phone_ms" ] && printf '     CSV + phone_parse on one core:                       %.3f s  (%s us per number)\n' \
    "$(awk -v a="$phone_ms" 'BEGIN {print a / 1000}')" "$per_num_us"
if [ -s "$tmp/steps.txt" ]; then
	echo "   libphonenumber, cost of each call on one core (bench/phone_steps.cc):"
	sed 's/^/   /' "$tmp/steps.txt"
fi
if [ -s "$tmp/perf.sum" ]; then
	echo "   CPU time of one upload by component (perf, system-wide):"
	cat "$tmp/perf.sum"
fi
if [ -n "$py_imported" ] && [ "$py_imported" != "$imported" ]; then
	echo "   NOTE: the reference imported $py_imported rows, ours $imported: the checks differ"
fi
echo
verdict "import end to end <= 1.0 s" "$(ok "$best <= 1.0")" "best $best s, median $med s"
verdict "import peak RSS <= 64 MB" "$(ok "$hwm_max <= 65536")" "$hwm_mb MB"
verdict "import >= 10x Python" "$(ok "$ratio >= 10")" "${ratio}x"

[ -s "$tmp/perf.kv" ] && cat "$tmp/perf.kv" >>"$out"
cat >>"$out" <<EOF
import_cold=$cold
import_rows=$rows
import_imported=$imported
import_skipped=$skipped
import_best=$best
import_median=$med
import_runs=$runs
import_hwm_mb=$hwm_mb
import_nproc=$nproc_imp
import_http_only=$http_only
import_app_best=$app_best
import_cli=${cli_s:-}
import_csv_ms=${csv_ms:-}
import_phone_ms=${phone_ms:-}
import_per_num_us=${per_num_us:-}
py_best=$py_best
py_median=$py_med
py_ratio=$ratio
EOF
