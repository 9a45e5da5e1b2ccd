#!/bin/sh
# Contact list benchmark: GET /api/v1/contacts?per_page=50 with wrk
# (-t2 -c32 -d10s --latency) through Apache + mod_fcgid from apache.conf,
# with the generated 100,000-row file imported, against the hello-world
# FastCGI program at /bench/hello in the same server run (the ceiling).
#
#   bench/contacts.sh [BUILD_DIR]
#
# Environment: BENCH_DURATION (10s), BENCH_CONNS (32), BENCH_THREADS (2),
# BENCH_WARMUP (5s, repeated per URL until its pool has a process per
# connection, at most BENCH_WARMUP_MAX=40 seconds), BENCH_ROUNDS (3: hello
# and contacts measured alternately; the best round of each counts),
# BENCH_ROWS (100000), BENCH_PERF=0 to skip the profile,
# BENCH_OUT=FILE to append "key=value" results.
# Targets (issue 2): >= 5,000 req/s, >= 80% of hello, no non-2xx answer,
# each FastCGI process of the contacts program <= 15 MB RSS.
set -eu
. "$(dirname "$0")/lib.sh"
dur=${BENCH_DURATION:-10s}
conns=${BENCH_CONNS:-32}
threads=${BENCH_THREADS:-2}
warm=${BENCH_WARMUP:-5s}
rounds=${BENCH_ROUNDS:-3}
out=${BENCH_OUT:-/dev/null}

bench_prepare
wait_quiet
csv=$(contacts_file)
echo "== contacts: wrk -t$threads -c$conns -d$dur --latency, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
server_start
echo "   server: $url (pgid $server_pgid)"

code=$(curl -s -o "$tmp/resp.json" -w '%{http_code}' -H 'Expect:' -H "X-API-Key: $key" \
    -F "list_name=bench" -F "file=@$csv;type=text/csv" "$url/api/v1/contacts/import")
if [ "$code" != 200 ]; then
	echo "bench: the import answered HTTP $code" >&2
	head -c 2000 "$tmp/resp.json" >&2; echo >&2
	exit 1
fi
total=$(curl -s -H "X-API-Key: $key" "$url/api/v1/contacts?per_page=1" |
    $PY -c 'import json, sys; print(json.load(sys.stdin)["total"])')
bytes=$(curl -s -o /dev/null -w '%{size_download}' -H "X-API-Key: $key" "$url/api/v1/contacts?per_page=50")
echo "   $total contacts imported; a page of 50 is $bytes bytes of JSON"

list_path="/api/v1/contacts?per_page=50"
hello_path="/bench/hello"
wrk_setup

# mod_fcgid starts a process only for a request that found every process
# of the program busy, slept a second, and still found none free. Under
# steady load a fast program always frees one within that second, so its
# pool stops growing below the concurrency and one request in a few
# hundred keeps waiting a second. Warm-up therefore first grows hello's
# pool with requests that hold their process (?sleep=1500) until it has a
# process per connection, then runs wrk on each URL at the same
# concurrency until the pools stop growing (the contacts program is slow
# enough to grow its own; its pool size is reported).
i=0
while [ "$(fcgi_pids hello | wc -l)" -lt "$conns" ] && [ $i -lt 8 ]; do
	j=0 pids=
	while [ $j -lt "$conns" ]; do
		curl -s -o /dev/null --max-time 10 "$url$hello_path?sleep=1500" &
		pids="$pids $!"
		j=$((j + 1))
	done
	wait $pids
	i=$((i + 1))
done
warm_up() {
	t=0
	while :; do
		run_wrk "warm-$1" "$2" "$warm" >/dev/null
		t=$((t + ${warm%s}))
		np=$(fcgi_pids "$1" | wc -l)
		[ "$np" -ge "$conns" ] || [ "$t" -ge "${BENCH_WARMUP_MAX:-40}" ] && break
	done
	echo "   warm-up $1: ${t}s of wrk at $conns connections; $np processes"
}
warm_up hello "$hello_path"
warm_up contacts "$list_path"

measure_rounds "$hello_path" "$list_path"

# Where a request's CPU goes: each URL once more for 5 s under a
# system-wide profile (1 sample = 1 ms of CPU), in microseconds per request
# by process, and inside the contacts program by library.
if [ "${BENCH_PERF:-1}" = 1 ] && command -v perf >/dev/null 2>&1; then
	for u in hello list; do
		[ $u = hello ] && p=$hello_path || p=$list_path
		wait_quiet
		perf record -q -F 1000 -a -o "$tmp/perf-$u.data" -- \
		    wrk -t"$threads" -c"$conns" -d5s -H "X-API-Key: $key" "$url$p" >"$tmp/perfwrk-$u.txt" 2>&1 || :
		nreq=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$tmp/perfwrk-$u.txt")
		perf report -i "$tmp/perf-$u.data" -n --sort comm,dso --stdio 2>/dev/null |
		    awk '/^ +[0-9.]+%/ {print $2, $3, $4}' >"$tmp/perf-$u.txt" || :
		[ -s "$tmp/perf-$u.txt" ] && [ -n "$nreq" ] || continue
		awk -v n="$nreq" -v u="$u" '
		{
			ms = $1; comm = $2; dso = $3
			if (comm == "swapper") { idle += ms; next }
			if (comm == "perf") next
			if (comm ~ /apache/) c = "Apache + mod_fcgid"
			else if (comm == "wrk") c = "wrk (the client)"
			else if (comm == "contacts" || comm == "hello") c = "the FastCGI program (" comm ")"
			else c = "other processes"
			per[c] += ms; tot += ms
			if (comm == "contacts") {
				if (dso ~ /cjson/) g = "cJSON"
				else if (dso ~ /libc\.so/) g = "libc (malloc, printf/scanf of numbers, strlen: mostly for cJSON)"
				else if (dso ~ /sqlite/) g = "SQLite"
				else if (dso ~ /kernel/) g = "kernel (FastCGI socket I/O, SQLite file locks, log write)"
				else if (dso ~ /crypto|ssl/) g = "OpenSSL (request id, key compare)"
				else if (dso ~ /fcgi/) g = "libfcgi"
				else g = "the program itself and other libraries"
				in_prog[g] += ms; prog += ms
			}
		}
		END {
			printf "   %s: %d requests in 5 s; CPU per request:\n", (u == "hello" ? "hello" : "contacts"), n
			for (c in per) printf "     %6.1f us  %s\n", per[c] * 1000 / n, c | "sort -rn"
			close("sort -rn")
			printf "     %6.1f us  in all (idle: %.0f%% of both cores)\n", tot * 1000 / n, 100 * idle / (tot + idle)
			k = (u == "hello") ? "hello" : "list"
			printf "%s_cpu_total_us=%.0f\n", k, tot * 1000 / n >>kv
			printf "%s_cpu_apache_us=%.0f\n", k, per["Apache + mod_fcgid"] * 1000 / n >>kv
			for (c in per) if (c ~ /^the FastCGI/) printf "%s_cpu_prog_us=%.0f\n", k, per[c] * 1000 / n >>kv
			if (prog > 0) {
				printf "list_cpu_json_us=%.0f\n", (in_prog["cJSON"] + in_prog["libc (malloc, printf/scanf of numbers, strlen: mostly for cJSON)"]) * 1000 / n >>kv
				printf "list_cpu_sqlite_us=%.0f\n", in_prog["SQLite"] * 1000 / n >>kv
				printf "list_cpu_kernel_us=%.0f\n", in_prog["kernel (FastCGI socket I/O, SQLite file locks, log write)"] * 1000 / n >>kv
			}
			if (prog > 0) {
				printf "   inside the contacts program:\n"
				for (g in in_prog) printf "     %6.1f us  %4.1f%%  %s\n", in_prog[g] * 1000 / n, 100 * in_prog[g] / prog, g | "sort -rn"
				close("sort -rn")
			}
		}' kv="$tmp/perf.kv" "$tmp/perf-$u.txt" >>"$tmp/perf.sum"
	done
fi

# Memory of every contacts process mod_fcgid started.
rss_max=0 hwm_max=0 n=0 rss_list=
for p in $(fcgi_pids contacts); do
	k=$(proc_kb "$p" VmRSS)
	h=$(proc_kb "$p" VmHWM)
	[ -n "$k" ] && [ -n "$h" ] || continue
	n=$((n + 1))
	[ "$k" -gt "$rss_max" ] && rss_max=$k
	[ "$h" -gt "$hwm_max" ] && hwm_max=$h
	rss_list="$rss_list $(awk -v k="$k" 'BEGIN {printf "%.1f", k / 1024}')"
done
nhello=$(fcgi_pids hello | wc -l)
rss_mb=$(awk -v k="$rss_max" 'BEGIN {printf "%.1f", k / 1024}')
hwm_mb=$(awk -v k="$hwm_max" 'BEGIN {printf "%.1f", k / 1024}')
server_stop

echo
echo "-- contacts results (best of $rounds rounds, $dur each)"
printf '   GET %s:  %s req/s, p50 %s ms, p99 %s ms\n' "$list_path" "$l_rps" "$l_p50" "$l_p99"
printf '   GET %s (ceiling):       %s req/s, p50 %s ms, p99 %s ms\n' "$hello_path" "$h_rps" "$h_p50" "$h_p99"
printf '   contacts / hello: %s%%\n' "$pct"
printf '   non-2xx or socket errors: contacts %s, hello %s\n' "$l_bad" "$h_bad"
printf '   contacts processes: %d, VmRSS MB:%s\n   (max %s MB, peak VmHWM %s MB); hello processes: %d\n' \
    "$n" "$rss_list" "$rss_mb" "$hwm_mb" "$nhello"
if [ -s "$tmp/perf.sum" ]; then
	echo "   CPU per request (perf, system-wide, one more 5 s run of each):"
	cat "$tmp/perf.sum"
fi
echo
verdict "contacts >= 5,000 req/s" "$(ok "$l_rps >= 5000")" "$l_rps req/s"
verdict "contacts >= 80% of hello" "$(ok "$pct >= 80")" "$pct% of $h_rps req/s"
verdict "no non-2xx answers" "$(ok "$l_bad + $h_bad == 0")" "contacts $l_bad, hello $h_bad"
verdict "each contacts process <= 15 MB RSS" "$(ok "$rss_max <= 15360")" "max $rss_mb MB over $n processes"

[ -s "$tmp/perf.kv" ] && cat "$tmp/perf.kv" >>"$out"
cat >>"$out" <<EOF
list_wrk=-t$threads -c$conns -d$dur
list_contacts=$total
list_rps=$l_rps
list_p50=$l_p50
list_p99=$l_p99
hello_rps=$h_rps
hello_p50=$h_p50
hello_p99=$h_p99
list_pct=$pct
list_bad=$l_bad
hello_bad=$h_bad
list_nproc=$n
list_rss_mb=$rss_mb
list_hwm_mb=$hwm_mb
hello_nproc=$nhello
EOF
