#!/bin/sh
# Reporting benchmark: the stats API, the CSV exports, the health probe and
# the sqlite3 shell reports over a seeded database (dialerctl seed-demo,
# BENCH_DEMO_DAYS=120 working days x 8 operators, about 43,000 calls),
# through Apache + mod_fcgid from apache.conf. hyperfine runs curl
# (BENCH_RUNS=20 per command, after 3 warm-ups) and reports the mean and
# the spread; the time includes curl starting (about 5 ms here: the
# health probe shows the floor).
#
#   bench/reports.sh [BUILD_DIR]
#
# BENCH_OUT=FILE appends "key=value" results. No target is named by an
# issue; the figures go in README.
set -eu
. "$(dirname "$0")/lib.sh"
days=${BENCH_DEMO_DAYS:-120}
runs=${BENCH_RUNS:-20}
out=${BENCH_OUT:-/dev/null}

bench_prepare
wait_quiet
echo "== reports: seed-demo --days $days --operators 8 --lists 6, hyperfine $runs runs, $(nproc) cores"
server_start
end=2026-11-20
as_server() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u www-data -- "$@"; else "$@"; fi
}
as_server env DIALER_DB="$tmp/var/dialer.db" "$build/dialerctl" seed-demo \
    --days "$days" --operators 8 --lists 6 --end "$end" >/dev/null
calls=$(sqlite3 -readonly "$tmp/var/dialer.db" 'SELECT count(*) FROM calls')
first=$(sqlite3 -readonly "$tmp/var/dialer.db" 'SELECT min(day) FROM v_calls')
month_from=$(date -u -d "$end - 29 days" +%F)
echo "   $calls calls from $first to $end"

h="X-API-Key: $key"
# name|command
cat >"$tmp/cmds" <<CMDS
health|curl -sf -o /dev/null $url/api/v1/health
stats_30d|curl -sf -o /dev/null -H '$h' '$url/api/v1/stats?from=$month_from&to=$end'
stats_30d_one_operator|curl -sf -o /dev/null -H '$h' '$url/api/v1/stats?from=$month_from&to=$end&user_id=2'
stats_all|curl -sf -o /dev/null -H '$h' '$url/api/v1/stats?from=$first&to=$end'
calls_csv_30d|curl -sf -o /dev/null -H '$h' '$url/api/v1/calls.csv?from=$month_from&to=$end'
calls_csv_all|curl -sf -o /dev/null -H '$h' '$url/api/v1/calls.csv'
contacts_csv_list|curl -sf -o /dev/null -H '$h' '$url/api/v1/contacts.csv?list_id=1'
shell_reports|sqlite3 -readonly $tmp/var/dialer.db < $root/sql/reports.sql > /dev/null
CMDS
size=$(curl -sf -H "$h" "$url/api/v1/calls.csv" | wc -c)
printf '   %-24s %10s %10s\n' what mean_ms stddev_ms
while IFS='|' read -r name cmd; do
	hyperfine -N -w 3 -r "$runs" --export-json "$tmp/$name.json" "$cmd" >/dev/null 2>&1 ||
	    hyperfine -w 3 -r "$runs" --export-json "$tmp/$name.json" "$cmd" >/dev/null
	set -- $(/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f %.1f" % (r["mean"]*1e3, r["stddev"]*1e3))' "$tmp/$name.json")
	printf '   %-24s %10s %10s\n' "$name" "$1" "$2"
	echo "reports_${name}_ms=$1" >>"$out"
done <"$tmp/cmds"
echo "   calls.csv of all $calls calls: $size bytes"
echo "reports_calls=$calls" >>"$out"
server_stop
