#!/bin/sh
# Calls benchmark (issue 3), Twilio provider against a fake Twilio on
# loopback, through Apache + mod_fcgid from apache.conf:
#  1. POST /api/v1/calls/{id}/token and GET /api/v1/calls/{id} with wrk
#     (-t2 -c32 -d10s --latency, X-API-Key) on a call in progress:
#     >= 5,000 req/s each, no non-2xx answer (and no request to Twilio).
#  2. Sequential calls (bench/calls_flow.py): POST /api/v1/calls <= 5 ms
#     p99, and from sending the operator's participant-join webhook to the
#     prospect's dial arriving at the fake <= 5 ms p99.
#  3. 200 sequential calls (create, voice webhook, participant-join
#     webhook -> our dial) open at most one TCP connection to the fake per
#     `webhooks` FastCGI process.
#
#   bench/calls.sh [BUILD_DIR]
#
# Environment: BENCH_DURATION (10s), BENCH_CONNS (32), BENCH_THREADS (2),
# BENCH_WARMUP (5s of wrk at BENCH_WARMUP_CONNS=2x connections, repeated
# until the calls pool has a process per connection, at most
# BENCH_WARMUP_MAX=40 seconds), BENCH_ROUNDS (2: GET and
# token measured alternately; the best round of each counts), BENCH_CALLS
# (200, the connection check), BENCH_LAT_CALLS (1000 more calls, warm, for
# the latency percentiles), BENCH_FAKE (fast: the minimal fake in
# calls_flow.py, which stamps each dial's arrival; repo: tests/fake/
# fake_twilio.py, where only the webhook's own duration bounds the dial
# latency), BENCH_OUT=FILE to append "key=value" results.
set -eu
. "$(dirname "$0")/lib.sh"
dur=${BENCH_DURATION:-10s}
conns=${BENCH_CONNS:-32}
threads=${BENCH_THREADS:-2}
warm=${BENCH_WARMUP:-5s}
rounds=${BENCH_ROUNDS:-2}
ncalls=${BENCH_CALLS:-200}
nlat=${BENCH_LAT_CALLS:-1000}
fakekind=${BENCH_FAKE:-fast}
out=${BENCH_OUT:-/dev/null}

for f in "$build/cgi-bin/calls" "$build/cgi-bin/webhooks"; do
	[ -x "$f" ] || { echo "bench: $f is missing; run make first" >&2; exit 2; }
done
case "$fakekind" in fast|repo) ;; *) echo "bench: BENCH_FAKE is fast or repo" >&2; exit 2 ;; esac
bench_prepare

# The fake Twilio is ours to stop too (before bench_cleanup removes $tmp).
# It must go first: server_stop waits for every child of this shell.
fake_pid=
fake_stop() {
	if [ -n "$fake_pid" ]; then
		kill "$fake_pid" 2>/dev/null || :
		wait "$fake_pid" 2>/dev/null || :
		fake_pid=
	fi
}
calls_cleanup() {
	rc=$?
	set +e
	fake_stop
	(exit $rc)
	bench_cleanup
}
trap calls_cleanup EXIT

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
ac=AC$(hex 16)
tok=$(hex 16)
sk=SK$(hex 16)
sks=$(hex 16)

if [ "$fakekind" = fast ]; then
	$PY "$root/bench/calls_flow.py" fake --account-sid "$ac" --auth-token "$tok" \
	    --ready-file "$tmp/fake.port" >"$tmp/fake.log" 2>&1 &
else
	$PY "$root/tests/fake/fake_twilio.py" --port 0 --account-sid "$ac" --auth-token "$tok" \
	    --api-key-sid "$sk" --api-key-secret "$sks" --ready-file "$tmp/fake.port" >"$tmp/fake.log" 2>&1 &
fi
fake_pid=$!
i=0
while [ ! -s "$tmp/fake.port" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$fake_pid" 2>/dev/null; then
		echo "bench: the fake Twilio did not start:" >&2
		cat "$tmp/fake.log" >&2
		exit 1
	fi
	sleep 0.1
done
fake_url=http://127.0.0.1:$(cat "$tmp/fake.port")

# serve.sh hands DIALER_* and TWILIO_* to the FastCGI programs and sets
# DIALER_PUBLIC_URL to the server's own base, which webhooks are signed for.
# The call limits at their largest allowed values (the flow also ends each
# call, so one is in flight at a time). Calling hours are lifted: the
# benchmark dials whatever the hour in the numbers' zones.
unset DIALER_PUBLIC_URL
export DIALER_PROVIDER=twilio TWILIO_ACCOUNT_SID="$ac" TWILIO_AUTH_TOKEN="$tok" \
    TWILIO_API_KEY_SID="$sk" TWILIO_API_KEY_SECRET="$sks" TWILIO_TWIML_APP_SID="AP$(hex 16)" \
    TWILIO_CALLER_ID=+15005550006 TWILIO_API_BASE="$fake_url" \
    DIALER_MAX_ACTIVE_CALLS_PER_USER=1000 DIALER_MAX_CALLS_PER_MINUTE=100000 \
    DIALER_MAX_ACTIVE_CALLS=1000000 DIALER_CALLING_HOURS=00:00-24:00

wait_quiet
echo "== calls: Twilio provider against a $fakekind fake Twilio ($fake_url), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$fakekind" = fast ] && echo "   (fake: the minimal one in bench/calls_flow.py, not tests/fake/fake_twilio.py; BENCH_FAKE=repo uses that)"
server_start
echo "   server: $url (pgid $server_pgid)"

flow() {
	$PY "$root/bench/calls_flow.py" flow --url "$url" --key "$key" --fake "$fake_url" \
	    --fake-kind "$fakekind" --account-sid "$ac" --auth-token "$tok" --pgid "$server_pgid" \
	    --calls "$1" --live "$3" --prefix "$2" >>"$tmp/flow.kv" 2>"$tmp/flow-$2.err" || {
		echo "bench: the call flow failed:" >&2
		cat "$tmp/flow-$2.err" >&2
		exit 1
	}
	cat "$tmp/flow-$2.err"
}
get() { sed -n "s/^$1=//p" "$tmp/flow.kv" | tail -1; }

# 3. From a fresh start: every process's first connection counts.
: >"$tmp/flow.kv"
flow "$ncalls" conn_ 0
c_ok=$(get conn_ok) c_err=$(get conn_errors)
c_fake=$(get conn_fake_connections) c_procs=$(get conn_webhooks_procs)
c_open=$(get conn_webhooks_conns_open) c_per=$(get conn_webhooks_conns_per_proc)
printf '   %d sequential calls (create, voice, join -> dial): %d complete, %d failed\n' "$ncalls" "$c_ok" "$c_err"
printf '   fake Twilio saw %s TCP connections, %s requests; webhooks processes: %s (pid:open connections to the fake %s)\n' \
    "$c_fake" "$(get conn_fake_requests)" "$c_procs" "$c_per"

# 2. Warm: latencies of sequential calls.
wait_quiet
flow "$nlat" lat_ 1
l_err=$(get lat_errors)
cr_p50=$(get lat_create_p50) cr_p99=$(get lat_create_p99)
j_p50=$(get lat_join_p50) j_p99=$(get lat_join_p99)
d_p50=$(get lat_dial_p50) d_p99=$(get lat_dial_p99)
printf '   %d more sequential calls: %d complete, %d failed\n' "$nlat" "$(get lat_ok)" "$l_err"
printf '   POST /api/v1/calls:                 p50 %s ms, p99 %s ms, max %s ms\n' "$cr_p50" "$cr_p99" "$(get lat_create_max)"
printf '   voice webhook:                      p50 %s ms, p99 %s ms\n' "$(get lat_voice_p50)" "$(get lat_voice_p99)"
printf '   call-status webhook (completed):    p50 %s ms, p99 %s ms\n' "$(get lat_end_p50)" "$(get lat_end_p99)"
printf '   participant-join webhook (answer):  p50 %s ms, p99 %s ms, max %s ms\n' "$j_p50" "$j_p99" "$(get lat_join_max)"
if [ -n "$d_p50" ]; then
	printf '   join webhook sent -> dial at fake:  p50 %s ms, p99 %s ms, max %s ms (%s dials not seen)\n' \
	    "$d_p50" "$d_p99" "$(get lat_dial_max)" "$(get lat_dial_missing)"
	dial_p50=$d_p50 dial_p99=$d_p99 dial_how="sent -> arrival at the fake"
else
	dial_p50=$j_p50 dial_p99=$j_p99 dial_how="upper bound: the join webhook's own duration"
fi
a_fake=$(get lat_fake_connections) a_procs=$(get lat_webhooks_procs)
printf '   after all %d calls: fake saw %s TCP connections; webhooks processes: %s\n' \
    "$((ncalls + nlat))" "$a_fake" "$a_procs"

# 1. wrk on a call in progress (dialed and answered), the flow's last.
id=$(get lat_live_call_id)
st=$(curl -s -H "X-API-Key: $key" "$url/api/v1/calls/$id" |
    $PY -c 'import json, sys; print(json.load(sys.stdin)["call"]["status"])' 2>/dev/null || :)
if [ "$st" != in-progress ]; then
	echo "bench: call $id is \"$st\", not in-progress" >&2
	exit 1
fi
get_path="/api/v1/calls/$id"
tok_path="/api/v1/calls/$id/token"
code=$(curl -s -o "$tmp/tok.json" -w '%{http_code}' -X POST -H "X-API-Key: $key" "$url$tok_path")
if [ "$code" != 200 ]; then
	echo "bench: POST $tok_path answered HTTP $code" >&2
	head -c 1000 "$tmp/tok.json" >&2; echo >&2
	exit 1
fi
wrk_setup

fake_before=$($PY "$root/bench/calls_flow.py" stats --fake "$fake_url")

# mod_fcgid grows a pool only for a request that found every process busy
# for a second: wrk at twice the measured concurrency (BENCH_WARMUP_CONNS)
# until the calls pool has a process per measured connection (both URLs are
# the calls program).
wait_quiet
t=0
wconns=${BENCH_WARMUP_CONNS:-$((conns * 2))}
while :; do
	run_wrk warm "$get_path" "$warm" >/dev/null
	t=$((t + ${warm%s}))
	np=$(fcgi_pids calls | wc -l)
	[ "$np" -ge "$conns" ] || [ "$t" -ge "${BENCH_WARMUP_MAX:-40}" ] && break
done
echo "   warm-up: ${t}s of wrk at $wconns connections; $np calls processes"
wconns=

: >"$tmp/get.res"
: >"$tmp/tok.res"
r=1
while [ "$r" -le "$rounds" ]; do
	for u in get tok; do
		wait_quiet
		if [ $u = get ]; then res=$(run_wrk get "$get_path" "$dur"); lbl="GET      "
		else res=$(run_wrk tok "$tok_path" "$dur" POST); lbl="POST token"; fi
		echo "$res" >>"$tmp/$u.res"
		set -- $res
		printf '   round %d  %s %7s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  socket errors %s\n' "$r" "$lbl" "$1" "$2" "$3" "$4" "$5"
	done
	r=$((r + 1))
done
set -- $(sort -rn "$tmp/get.res" | head -1)
g_rps=$1 g_p50=$2 g_p99=$3
set -- $(sort -rn "$tmp/tok.res" | head -1)
t_rps=$1 t_p50=$2 t_p99=$3
g_bad=$(awk '{s += $4 + $5} END {print s + 0}' "$tmp/get.res")
t_bad=$(awk '{s += $4 + $5} END {print s + 0}' "$tmp/tok.res")
ncalls_procs=$(fcgi_pids calls | wc -l)
# Reading a call or a token never needs Twilio: requests the fake saw meanwhile.
wrk_twilio=$(($($PY "$root/bench/calls_flow.py" stats --fake "$fake_url") - fake_before))
fake_stop
server_stop

echo
echo "-- calls results"
printf '   GET %s:          %s req/s, p50 %s ms, p99 %s ms, non-2xx/socket errors %s (best of %s rounds, %s each)\n' \
    "$get_path" "$g_rps" "$g_p50" "$g_p99" "$g_bad" "$rounds" "$dur"
printf '   POST %s:   %s req/s, p50 %s ms, p99 %s ms, non-2xx/socket errors %s\n' \
    "$tok_path" "$t_rps" "$t_p50" "$t_p99" "$t_bad"
printf '   POST /api/v1/calls, sequential:    p50 %s ms, p99 %s ms (%d calls)\n' "$cr_p50" "$cr_p99" "$nlat"
printf '   participant-join -> prospect dial: p50 %s ms, p99 %s ms (%s)\n' "$dial_p50" "$dial_p99" "$dial_how"
printf '   %d calls: %s connections to the fake, %s webhooks processes\n' "$ncalls" "$c_fake" "$c_procs"
printf '   requests to the fake while wrk ran: %s\n' "$wrk_twilio"
echo
verdict "GET /api/v1/calls/{id} >= 5,000 req/s" "$(ok "$g_rps >= 5000")" "$g_rps req/s"
verdict "POST /api/v1/calls/{id}/token >= 5,000 req/s" "$(ok "$t_rps >= 5000")" "$t_rps req/s"
verdict "no non-2xx answers or socket errors" "$(ok "$g_bad + $t_bad == 0")" "GET $g_bad, token $t_bad"
verdict "POST /api/v1/calls <= 5 ms p99" "$(ok "$cr_p99 <= 5")" "$cr_p99 ms"
verdict "participant-join -> dial <= 5 ms p99" "$(ok "$dial_p99 <= 5")" "$dial_p99 ms, $dial_how"
verdict "<= 1 connection to Twilio per webhooks process" \
    "$(ok "$c_fake <= $c_procs && $c_ok == $ncalls")" "$c_fake connections, $c_procs processes, $c_ok/$ncalls calls"
verdict "no Twilio request while reading calls and tokens" "$(ok "$wrk_twilio == 0")" "$wrk_twilio requests"
verdict "every call of the flow completed" "$(ok "$c_err + $l_err == 0")" "$c_err + $l_err failed"

cat >>"$out" <<EOF
calls_wrk=-t$threads -c$conns -d$dur
calls_fake=$fakekind
calls_get_rps=$g_rps
calls_get_p50=$g_p50
calls_get_p99=$g_p99
calls_get_bad=$g_bad
calls_tok_rps=$t_rps
calls_tok_p50=$t_p50
calls_tok_p99=$t_p99
calls_tok_bad=$t_bad
calls_nproc=$ncalls_procs
calls_wrk_twilio=$wrk_twilio
calls_create_n=$nlat
calls_create_p50=$cr_p50
calls_create_p99=$cr_p99
calls_dial_p50=$dial_p50
calls_dial_p99=$dial_p99
calls_dial_how=$dial_how
calls_join_p50=$j_p50
calls_join_p99=$j_p99
calls_flow_n=$ncalls
calls_flow_ok=$c_ok
calls_flow_errors=$((c_err + l_err))
calls_fake_conns=$c_fake
calls_webhooks_procs=$c_procs
calls_fake_conns_all=$a_fake
calls_webhooks_procs_all=$a_procs
EOF
