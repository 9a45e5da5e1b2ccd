#!/bin/sh
# Load benchmark (issue 7), through the fastest server setup
# (bench/servers.sh's lighttpd-fast: lighttpd with BENCH_WORKERS=2 worker
# processes and BENCH_POOL=2 processes per program; BENCH_SERVER=apache
# for Apache), an
# operator with a session cookie as the dial page sends it:
#  1. each read endpoint alone for BENCH_EACH=10s: a call's status
#     (GET /api/v1/calls/{id}), a contacts page
#     (GET /api/v1/contacts?list_id=&per_page=50), the operator's calls
#     (GET /api/v1/calls?per_page=50), GET /api/v1/settings,
#     GET /api/v1/auth/me and GET /api/v1/lists;
#  2. all of them in turn for BENCH_DURATION=60s (bench/reads.lua);
#  3. the mixed workload for BENCH_DURATION=60s (bench/mixed.lua): in
#     every 10 requests 8 status polls, 1 signed Twilio call-status webhook
#     and 1 outcome log (a write transaction each).
# wrk -t2 -c64 --latency (BENCH_THREADS, BENCH_CONNS); throughput and p99
# printed. Every answer is checked in the server's access log: any non-2xx
# (or socket error) fails the script.
#
#   bench/load.sh [BUILD_DIR]
#
# BENCH_ROWS (10,000 contacts), BENCH_CALLS (50 calls, ended, for the
# calls list), BENCH_OUT=FILE appends "key=value" results.
set -eu
. "$(dirname "$0")/lib.sh"
dur=${BENCH_DURATION:-60s}
each=${BENCH_EACH:-10s}
conns=${BENCH_CONNS:-64}
threads=${BENCH_THREADS:-2}
ncalls=${BENCH_CALLS:-50}
export BENCH_ROWS=${BENCH_ROWS:-10000}
export SERVER=${BENCH_SERVER:-lighttpd} WORKERS=${BENCH_WORKERS:-2} PROCS=${BENCH_POOL:-2}
out=${BENCH_OUT:-/dev/null}

for f in calls contacts settings auth_me lists webhooks auth_login; do
	[ -x "$build/cgi-bin/$f" ] || { echo "bench: $build/cgi-bin/$f is missing; run make first" >&2; exit 2; }
done
bench_prepare
csv=$(contacts_file)

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
# Twilio with made-up credentials: the webhooks are signed with its auth
# token; every call is ended before Twilio would hear of it, and
# TWILIO_API_BASE is a closed loopback port.
unset DIALER_PUBLIC_URL
auth_token=$(hex 16)
export DIALER_PROVIDER=twilio TWILIO_ACCOUNT_SID="AC$(hex 16)" TWILIO_AUTH_TOKEN="$auth_token" \
    TWILIO_API_KEY_SID="SK$(hex 16)" TWILIO_API_KEY_SECRET="$(hex 16)" \
    TWILIO_TWIML_APP_SID="AP$(hex 16)" TWILIO_CALLER_ID=+15005550006 \
    TWILIO_API_BASE=http://127.0.0.1:9 DIALER_CALLING_HOURS=00:00-24:00 \
    DIALER_MAX_CALLS_PER_MINUTE=100000 DIALER_MAX_ACTIVE_CALLS_PER_USER=1000
password=bench-$(hex 8)

as_server() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u www-data -- "$@"; else "$@"; fi
}

wait_quiet
echo "== load: $SERVER ($WORKERS worker(s), $PROCS processes per program under lighttpd), wrk -t$threads -c$conns --latency, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
server_start
echo "   server: $url (pgid $server_pgid)"
db=$tmp/var/dialer.db
chmod 644 "$csv"
as_server env DIALER_DB="$db" "$build/dialerctl" import "$csv" --list bench-load >/dev/null
printf '%s\n' "$password" | as_server env DIALER_DB="$db" "$build/dialerctl" add-user bench-op >/dev/null
list=$(sqlite3 -readonly "$db" "SELECT id FROM contact_lists WHERE name = 'bench-load'")
curl -sf -c "$tmp/cookies" -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench-op\",\"password\":\"$password\"}" "$url/api/v1/auth/login" >"$tmp/login.json"
cookie=$(awk '$6 == "session" {print $7}' "$tmp/cookies")
csrf=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["csrf_token"])' "$tmp/login.json")
# The operator's calls, each ended at once (canceled: nothing exists at
# Twilio yet).
i=0
while [ $i -lt "$ncalls" ]; do
	curl -sf -b "session=$cookie" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	    -d "{\"to_phone\":\"+1202555$(printf '%04d' $((i + 100)))\"}" "$url/api/v1/calls" >"$tmp/call.json"
	id=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["call"]["id"])' "$tmp/call.json")
	curl -sf -o /dev/null -b "session=$cookie" -H "X-CSRF-Token: $csrf" -d '' "$url/api/v1/calls/$id/end"
	i=$((i + 1))
done
call=$id
echo "   $BENCH_ROWS contacts in list $list, $ncalls calls of operator bench-op (polled: call $call)"

# A late call-status webhook for that call, signed as Twilio signs:
# base64(HMAC-SHA1(auth token, URL + each form field's name and value,
# sorted by name)).
hook_path="/api/v1/twilio/call-status?call=$call"
eval "$($PY - "$auth_token" "$url$hook_path" "$TWILIO_ACCOUNT_SID" <<'EOF'
import base64, hashlib, hmac, shlex, sys, urllib.parse
token, url, account = sys.argv[1:4]
params = {"AccountSid": account, "ApiVersion": "2010-04-01", "CallSid": "CA" + "0" * 32,
          "CallStatus": "completed", "CallDuration": "12", "Direction": "outbound-api"}
data = url + "".join(k + params[k] for k in sorted(params))
sig = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()
print("hook_body=%s hook_sig=%s" % (shlex.quote(urllib.parse.urlencode(params)), shlex.quote(sig)))
EOF
)"
for check in hook log; do
	if [ $check = hook ]; then
		st=$(curl -s -o "$tmp/check.txt" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
		    -H "X-Twilio-Signature: $hook_sig" -d "$hook_body" "$url$hook_path")
	else
		st=$(curl -s -o "$tmp/check.txt" -w '%{http_code}' -b "session=$cookie" -H "X-CSRF-Token: $csrf" \
		    -H 'Content-Type: application/json' -d '{"outcome":"no_answer","notes":"bench"}' \
		    "$url/api/v1/calls/$call/log")
	fi
	case $st in 2??) ;; *) echo "bench: the $check request answered $st:" >&2; cat "$tmp/check.txt" >&2; exit 1 ;; esac
done

# lwrk NAME SCRIPT DURATION URL_PATH: wrk_checked (lib.sh) with the
# operator's session.
lwrk() {
	export BENCH_COOKIE="$cookie"
	wrk_checked "$1" "$2" "$4" "$3"
}

total_bad=0
report() { # NAME "res" LOAD
	set -- "$1" $2 "$3"
	printf '   %-44s %7s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  socket errors %s  (load %s)\n' \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$7"
	total_bad=$((total_bad + $5 + $6))
	k=$(echo "$1" | tr -c 'a-z0-9\n' _ | sed 's/__*/_/g; s/_$//')
	printf 'load_%s_rps=%s\nload_%s_p99=%s\nload_%s_bad=%s\n' "$k" "$2" "$k" "$4" "$k" "$(($5 + $6))" >>"$out"
}

status_path="/api/v1/calls/$call"
contacts_path="/api/v1/contacts?list_id=$list&per_page=50"
reads="$status_path $contacts_path /api/v1/calls?per_page=50 /api/v1/settings /api/v1/auth/me /api/v1/lists"
# Warm-up (mod_fcgid grows its pools only under load; lighttpd's are up).
BENCH_PATHS=$reads lwrk warm reads.lua 5s / >/dev/null
BENCH_PATHS=$reads lwrk warm reads.lua 5s / >/dev/null

echo "-- 1. each read endpoint, $each"
for p in $reads; do
	wait_quiet
	res=$(BENCH_PATHS=$p lwrk one reads.lua "$each" /)
	report "GET ${p%%\?*}$(case $p in *\?*) echo ' ?…' ;; esac)" "$res" "$(cut -d' ' -f1 /proc/loadavg)"
done

echo "-- 2. all read endpoints in turn, $dur"
wait_quiet
res=$(BENCH_PATHS=$reads lwrk reads reads.lua "$dur" /)
report "reads (6 endpoints in turn)" "$res" "$(cut -d' ' -f1 /proc/loadavg)"

echo "-- 3. mixed: 8 status polls, 1 signed webhook, 1 outcome log in 10, $dur"
before_events=$(sqlite3 -readonly "$db" "SELECT count(*) FROM call_events")
wait_quiet
res=$(BENCH_POLLS="$status_path" BENCH_HOOK_PATH=$hook_path BENCH_HOOK_BODY=$hook_body \
    BENCH_HOOK_SIG=$hook_sig BENCH_LOG_PATH="/api/v1/calls/$call/log" \
    BENCH_LOG_BODY='{"outcome":"no_answer","notes":"bench"}' BENCH_CSRF=$csrf \
    lwrk mixed mixed.lua "$dur" /)
report "mixed" "$res" "$(cut -d' ' -f1 /proc/loadavg)"
after_events=$(sqlite3 -readonly "$db" "SELECT count(*) FROM call_events")
awk '{print ($0 ~ /"POST/ ? "POST" : "GET"), $(NF - 2)}' "$tmp/log-mixed.txt" | sort | uniq -c |
    awk '{printf "   mixed: %s %s answered %s\n", $1, $2, $3}'
echo "   call_events rows added by the webhooks: $((after_events - before_events))"
server_stop
echo "   non-2xx answers or socket errors over every measured run: $total_bad"
[ "$total_bad" -eq 0 ] || exit 1
