#!/bin/sh
# Dialing-rules benchmark, through Apache + mod_fcgid from apache.conf, on a
# list of BENCH_ROWS=100,000 contacts (bench/rules_data.py: fictional
# numbers, a US zone for each) and BENCH_DNC=38,000 numbers on the
# do-not-call list (a fifth of the list's among them), both loaded with
# dialerctl. The server's clock is a test clock (DIALER_TEST_CLOCK_FILE),
# DIALER_CALLING_HOURS=08:00-21:00:
#  1. POST /api/v1/lists/{id}/next as operators with a session and CSRF
#     header: (a) the contact the operator already holds, again and again
#     (wrk); (b) BENCH_PICKS=300 sequential picks, each skipping the one
#     before (median, p95); (c) nothing callable, at 09:00 UTC, night in
#     every US zone (BENCH_SLOW_RUNS=15 sequential, median; every answer
#     204).
#  2. GET /api/v1/contacts?list_id=&callable=1 (sequential, median), and
#     GET /api/v1/contacts?list_id=&per_page=50 under wrk.
#  3. POST /api/v1/calls for a DNC-listed contact under wrk: every answer
#     409 do_not_call; GET /api/v1/settings under wrk.
#  4. GET /api/v1/dnc?per_page=50 under wrk.
# wrk runs -t2 -c32 -d10s --latency (BENCH_THREADS, BENCH_CONNS,
# BENCH_DURATION), one round each, after warming the program's mod_fcgid
# pool up (BENCH_WARMUP=2s of wrk at BENCH_WARMUP_CONNS=twice the
# connections, repeated until the pool has a process per connection, at
# most BENCH_WARMUP_MAX=16 s).
# Every answer is checked in Apache's access log: a 2xx where one is
# expected, exactly 409 or 204 where that is the answer.
#
#   bench/rules.sh [BUILD_DIR]
#
# BENCH_OUT=FILE appends "key=value" results. No issue names a target; the
# figures go in README. Exits 1 when an answer was not the expected one.
set -eu
. "$(dirname "$0")/lib.sh"
dur=${BENCH_DURATION:-10s}
conns=${BENCH_CONNS:-32}
threads=${BENCH_THREADS:-2}
warm=${BENCH_WARMUP:-2s}
wconns=${BENCH_WARMUP_CONNS:-$((conns * 2))}
rows=${BENCH_ROWS:-100000}
ndnc=${BENCH_DNC:-38000}
npicks=${BENCH_PICKS:-300}
nslow=${BENCH_SLOW_RUNS:-15}
out=${BENCH_OUT:-/dev/null}

for f in queue calls settings dnc users auth_login; do
	[ -x "$build/cgi-bin/$f" ] || { echo "bench: $build/cgi-bin/$f is missing; run make first" >&2; exit 2; }
done
bench_prepare
started=$(date +%s)

# A working afternoon in every US zone (13:00 in New York, 08:00 in
# Honolulu), and the next night (04:00 in New York, 23:00 in Honolulu,
# 05:30 in St. John's).
day=$(date -u -d 2026-11-24T18:00:00Z +%s)
night=$(date -u -d 2026-11-25T09:00:00Z +%s)
echo "$day" >"$tmp/clock"
chmod 644 "$tmp/clock"
unset DIALER_CALLING_HOURS_RULES DIALER_PUBLIC_URL
export DIALER_TEST_CLOCK_FILE="$tmp/clock" DIALER_CALLING_HOURS=08:00-21:00 DIALER_PROVIDER=sim

$PY "$root/bench/rules_data.py" -n "$rows" --dnc "$ndnc" "$tmp/contacts.csv" "$tmp/dnc.csv"
wait_quiet
echo "== rules: $rows contacts, $ndnc DNC numbers, wrk -t$threads -c$conns -d$dur --latency, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
server_start
echo "   server: $url (pgid $server_pgid)"

as_server() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u www-data -- "$@"; else "$@"; fi
}
db="$tmp/var/dialer.db"
chmod 644 "$tmp/contacts.csv" "$tmp/dnc.csv"
as_server env DIALER_DB="$db" "$build/dialerctl" import "$tmp/contacts.csv" --list bench-rules >"$tmp/import.json"
as_server env DIALER_DB="$db" "$build/dialerctl" dnc-import "$tmp/dnc.csv" --reason "bench" >"$tmp/dnc.json"
q() { sqlite3 -readonly "$db" "$1"; }
list=$(q "SELECT id FROM contact_lists WHERE name = 'bench-rules'")
ncont=$(q "SELECT count(*) FROM contacts WHERE list_id = $list")
nlisted=$(q "SELECT count(*) FROM dnc")
nboth=$(q "SELECT count(*) FROM contacts c JOIN dnc d ON d.phone_e164 = c.phone_e164 WHERE c.list_id = $list")
nzone=$(q "SELECT count(*) FROM contacts WHERE list_id = $list AND timezone IS NOT NULL")
if [ "$ncont" != "$rows" ] || [ "$nlisted" != "$ndnc" ]; then
	echo "bench: expected $rows contacts and $ndnc DNC numbers, got $ncont and $nlisted" >&2
	head -c 1000 "$tmp/import.json" "$tmp/dnc.json" >&2
	exit 1
fi
echo "   list $list: $ncont contacts ($nzone with a zone in the CSV, the rest by number), $nboth of them on the DNC list of $nlisted"

client() { $PY "$root/bench/rules_client.py" "$@"; }
# The figures of a client loop, "n=.. median_ms=.. p95_ms=.. max_ms=..".
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

o=$(client operator --url "$url" --key "$key" bench-held)
set -- $o
held_s=$1 held_c=$2
o=$(client operator --url "$url" --key "$key" bench-skip)
set -- $o
skip_s=$1 skip_c=$2
o=$(client operator --url "$url" --key "$key" bench-night)
set -- $o
night_s=$1 night_c=$2

# rwrk NAME EXPECT PATH DURATION CONNS -> "req/s p50_ms p99_ms wrong
# socket_errors": wrk with bench/rules.lua (BENCH_METHOD and BENCH_BODY
# from the environment) and the headers $h1 and $h2. wrong counts the
# answers Apache logged during the run with another status than EXPECT
# (a number, or 2xx).
rwrk() {
	before=$(wc -l <"$tmp/var/log/access.log")
	wrk -t"$threads" -c"$5" -d"$4" --latency -s "$root/bench/rules.lua" -H "$h1" -H "$h2" \
	    "$url$3" >"$tmp/wrk-$1.txt" 2>&1 || :
	line=$(grep '^BENCH ' "$tmp/wrk-$1.txt" || :)
	if [ -z "$line" ]; then
		echo "bench: wrk failed:" >&2
		cat "$tmp/wrk-$1.txt" >&2
		exit 1
	fi
	tail -n +"$((before + 1))" "$tmp/var/log/access.log" >"$tmp/log-$1.txt"
	awk -v e="$2" '{s = $(NF - 2)} e == "2xx" ? (s < 200 || s > 299) : s != e {print s}' \
	    "$tmp/log-$1.txt" >>"$tmp/wrong.txt"
	wrong=$(awk -v e="$2" '{s = $(NF - 2)} e == "2xx" ? (s < 200 || s > 299) : s != e' \
	    "$tmp/log-$1.txt" | wc -l)
	echo "$line" | awk -v wrong="$wrong" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%.0f %.2f %.2f %d %d\n", v["requests"] / (v["duration_us"] / 1e6),
		    v["p50_us"] / 1000, v["p99_us"] / 1000, wrong,
		    v["connect"] + v["read"] + v["write"] + v["timeout"]
	}'
}

# measure NAME PROGRAM EXPECT PATH: warm PROGRAM's pool up, then one
# measured run; sets r_rps r_p50 r_p99, r_bad (wrong answers, warm-up
# included, and the measured run's socket errors) and r_np (processes).
measure() {
	wait_quiet
	: >"$tmp/wrong.txt"
	: >"$tmp/warmsock.txt"
	t=0 wbad=0 wsock=0
	while :; do
		set -- "$1" "$2" "$3" "$4" $(rwrk "warm" "$3" "$4" "$warm" "$wconns")
		wbad=$((wbad + $8)) wsock=$((wsock + $9))
		[ "$9" -eq 0 ] || grep 'Socket errors' "$tmp/wrk-warm.txt" >>"$tmp/warmsock.txt" || :
		set -- "$1" "$2" "$3" "$4"
		t=$((t + ${warm%s}))
		r_np=$(fcgi_pids "$2" | wc -l)
		[ "$r_np" -ge "$conns" ] || [ "$t" -ge "${BENCH_WARMUP_MAX:-16}" ] && break
	done
	wait_quiet
	set -- "$1" "$2" "$3" "$4" $(rwrk "$2" "$3" "$4" "$dur" "$conns")
	r_rps=$5 r_p50=$6 r_p99=$7 r_bad=$(($8 + $9 + wbad))
	r_np=$(fcgi_pids "$2" | wc -l)
	printf '   %-44s %7s req/s  p50 %6s ms  p99 %7s ms  not %s: %s, socket errors %s (warm-up %ss: %s, %s)  %s processes\n' \
	    "$1" "$r_rps" "$r_p50" "$r_p99" "$3" "$8" "$9" "$t" "$wbad" "$wsock" "$r_np"
	[ "$9" -eq 0 ] || grep 'Socket errors' "$tmp/wrk-$2.txt" | sed 's/^ */     measured run: /'
	# wrk gives up on a request after 2 s: in warm-up, one may wait that
	# long for mod_fcgid to start a process. Its answer is still checked.
	sed 's/^ */     warm-up: /' "$tmp/warmsock.txt"
	# Say what the unexpected answers were, and what the programs logged.
	if [ -s "$tmp/wrong.txt" ]; then
		printf '     unexpected statuses (count status):'
		sort "$tmp/wrong.txt" | uniq -c | tr '\n' ' '
		echo
		for st in $(sort -u "$tmp/wrong.txt"); do
			grep " status=$st " "$tmp/var/log/requests.log" | tail -n 3 | sed 's/^/     /'
		done
		tail -n 5 "$tmp/var/log/error.log" | sed 's/^/     error.log: /'
	fi
}

# slow NAME EXPECT PATH [client options]: sequential requests, median.
slow() {
	sname=$1 sexpect=$2 spath=$3
	shift 3
	wait_quiet
	res=$(client repeat --url "$url" --expect "$sexpect" -n "$nslow" "$@" "$spath")
	printf '   %-44s median %8s ms  p95 %8s ms  (%s runs, every answer %s)\n' \
	    "$sname" "$(field "$res" median_ms)" "$(field "$res" p95_ms)" "$nslow" "$sexpect"
}

next="/api/v1/lists/$list/next"

# 1a. The held contact.
code=$(curl -s -o "$tmp/held.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Cookie: session=$held_s" -H "X-CSRF-Token: $held_c" -d '{}' "$url$next")
[ "$code" = 200 ] || { echo "bench: the first /next answered $code" >&2; cat "$tmp/held.json" >&2; exit 1; }
held_id=$($PY -c 'import json, sys; print(json.load(sys.stdin)["contact"]["id"])' <"$tmp/held.json")
held_uid=$(q "SELECT id FROM users WHERE username = 'bench-held'")
export BENCH_METHOD=POST BENCH_BODY='{}'
h1="Cookie: session=$held_s" h2="X-CSRF-Token: $held_c"
measure "POST /lists/{id}/next, the held contact" queue 2xx "$next"
held_rps=$r_rps held_p50=$r_p50 held_p99=$r_p99 held_bad=$r_bad
still=$(q "SELECT group_concat(id) FROM contacts WHERE reserved_by = $held_uid")
[ "$still" = "$held_id" ] || { echo "bench: operator bench-held holds '$still', not $held_id" >&2; exit 1; }

# 1b. Picks that skip the one before.
wait_quiet
res=$(client picks --url "$url" --session "$skip_s" --csrf "$skip_c" --list "$list" -n "$npicks")
skip_p50=$(field "$res" median_ms) skip_p95=$(field "$res" p95_ms) skip_max=$(field "$res" max_ms)
printf '   %-44s median %8s ms  p95 %8s ms  max %s ms (%s picks, each a new contact)\n' \
    "POST /lists/{id}/next {skip}" "$skip_p50" "$skip_p95" "$skip_max" "$npicks"

# 2. Contacts.
unset BENCH_METHOD BENCH_BODY
slow "GET /contacts?list_id&callable=1" 200 "/api/v1/contacts?list_id=$list&callable=1" --key "$key"
callable_p50=$(field "$res" median_ms)
callable_total=$(curl -s -H "X-API-Key: $key" "$url/api/v1/contacts?list_id=$list&callable=1&per_page=1" |
    $PY -c 'import json, sys; print(json.load(sys.stdin)["total"])')
h1="X-API-Key: $key" h2="Accept: application/json"
measure "GET /contacts?list_id&per_page=50" contacts 2xx "/api/v1/contacts?list_id=$list&per_page=50"
list_rps=$r_rps list_p50=$r_p50 list_p99=$r_p99 list_bad=$r_bad

# 3. A dial refused for the DNC list; the settings.
dnc_cid=$(q "SELECT min(c.id) FROM contacts c JOIN dnc d ON d.phone_e164 = c.phone_e164 WHERE c.list_id = $list")
body="{\"contact_id\": $dnc_cid}"
code=$(curl -s -o "$tmp/refused.json" -w '%{http_code}' -H "X-API-Key: $key" \
    -H 'Content-Type: application/json' -d "$body" "$url/api/v1/calls")
refusal=$($PY -c 'import json, sys; print(json.load(sys.stdin)["error"]["code"])' <"$tmp/refused.json" 2>/dev/null || :)
if [ "$code" != 409 ] || [ "$refusal" != do_not_call ]; then
	echo "bench: dialing DNC-listed contact $dnc_cid answered $code $refusal" >&2
	cat "$tmp/refused.json" >&2
	exit 1
fi
export BENCH_METHOD=POST BENCH_BODY="$body"
measure "POST /calls, refused 409 do_not_call" calls 409 /api/v1/calls
refused_rps=$r_rps refused_p50=$r_p50 refused_p99=$r_p99 refused_bad=$r_bad
ncalls=$(q "SELECT count(*) FROM calls")
unset BENCH_METHOD BENCH_BODY
measure "GET /settings" settings 2xx /api/v1/settings
set_rps=$r_rps set_p50=$r_p50 set_p99=$r_p99 set_bad=$r_bad

# 4. The DNC list.
measure "GET /dnc?per_page=50" dnc 2xx "/api/v1/dnc?per_page=50"
dnc_rps=$r_rps dnc_p50=$r_p50 dnc_p99=$r_p99 dnc_bad=$r_bad

# 1c. Night everywhere: nothing is callable.
echo "$night" >"$tmp/clock"
slow "POST /lists/{id}/next at night (204)" 204 "$next" --session "$night_s" --csrf "$night_c" --post '{}'
night_p50=$(field "$res" median_ms) night_p95=$(field "$res" p95_ms)
slow "GET /contacts?list_id&callable=1 at night" 200 "/api/v1/contacts?list_id=$list&callable=1" --key "$key"
callable_night_p50=$(field "$res" median_ms)
server_stop
took=$(($(date +%s) - started))

bad=$((held_bad + list_bad + refused_bad + set_bad + dnc_bad))
echo
echo "-- rules results ($took s; load at the end $(cut -d' ' -f1-3 /proc/loadavg))"
printf '   held contact again: %s req/s, p50 %s ms, p99 %s ms; skip: median %s ms, p95 %s ms; nothing callable: median %s ms\n' \
    "$held_rps" "$held_p50" "$held_p99" "$skip_p50" "$skip_p95" "$night_p50"
printf '   callable=1: median %s ms (%s callable), at night %s ms; list page: %s req/s, p50 %s ms, p99 %s ms\n' \
    "$callable_p50" "$callable_total" "$callable_night_p50" "$list_rps" "$list_p50" "$list_p99"
printf '   refused dial: %s req/s, p50 %s ms, p99 %s ms (%s calls stored); settings: %s req/s, p50 %s ms, p99 %s ms\n' \
    "$refused_rps" "$refused_p50" "$refused_p99" "$ncalls" "$set_rps" "$set_p50" "$set_p99"
printf '   DNC page: %s req/s, p50 %s ms, p99 %s ms\n' "$dnc_rps" "$dnc_p50" "$dnc_p99"
echo
verdict "every answer as expected (2xx, 409 do_not_call, 204)" "$(ok "$bad == 0")" "$bad other answers or socket errors"
verdict "a refused dial stores no call" "$(ok "$ncalls == 0")" "$ncalls calls"

cat >>"$out" <<EOF
rules_wrk=-t$threads -c$conns -d$dur
rules_contacts=$ncont
rules_dnc=$nlisted
rules_dnc_in_list=$nboth
rules_held_rps=$held_rps
rules_held_p50=$held_p50
rules_held_p99=$held_p99
rules_skip_n=$npicks
rules_skip_p50=$skip_p50
rules_skip_p95=$skip_p95
rules_night_n=$nslow
rules_night_p50=$night_p50
rules_night_p95=$night_p95
rules_callable_p50=$callable_p50
rules_callable_total=$callable_total
rules_callable_night_p50=$callable_night_p50
rules_list_rps=$list_rps
rules_list_p50=$list_p50
rules_list_p99=$list_p99
rules_refused_rps=$refused_rps
rules_refused_p50=$refused_p50
rules_refused_p99=$refused_p99
rules_settings_rps=$set_rps
rules_settings_p50=$set_p50
rules_settings_p99=$set_p99
rules_dnc_rps=$dnc_rps
rules_dnc_p50=$dnc_p50
rules_dnc_p99=$dnc_p99
rules_bad=$bad
rules_seconds=$took
EOF
# A wrong answer is a fault, not a figure: the benchmark did not measure
# what it says.
[ "$bad" -eq 0 ] && [ "$ncalls" -eq 0 ]
