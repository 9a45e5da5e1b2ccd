#!/bin/sh
# Run every benchmark and print a summary to paste into README.
#
#   bench/run.sh [BUILD_DIR]        (make bench runs it on build/)
#
# The environment of bench/import.sh, bench/contacts.sh and bench/calls.sh
# applies; BENCH_CALLS_RUN=0 skips the calls benchmark (calls.sh),
# BENCH_PAGE_RUN=0 the dial page's (page.mjs, headless chromium),
# BENCH_REPORTS_RUN=0 the reporting one (reports.sh), BENCH_RULES_RUN=0 the
# dialing rules' (rules.sh);
# BENCH_ALT=0 skips the comparison with mod_proxy_fcgi (alt_proxy_fcgi.sh),
# BENCH_SERVERS_RUN=0 the five server setups (servers.sh), BENCH_LOAD_RUN=0
# the 60 s load runs (load.sh), BENCH_RSS_RUN=0 the RSS of a program over
# 100,000 requests (rss.sh). Each script starts its own server on a free
# loopback port (Apache from apache.conf; servers.sh and load.sh also
# lighttpd) and stops it. Exits
# non-zero only when a benchmark could not run; a missed target is a
# result, reported as MISS.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
res=$(mktemp /tmp/colddialer-bench-results.XXXXXX)
trap 'rm -f "$res"' EXIT
status=0

BENCH_OUT=$res "$here/import.sh" "$build" || status=1
echo
BENCH_OUT=$res "$here/contacts.sh" "$build" || status=1
if [ "${BENCH_ALT:-1}" = 1 ]; then
	echo
	BENCH_OUT=$res "$here/alt_proxy_fcgi.sh" "$build" || status=1
fi
if [ "${BENCH_CALLS_RUN:-1}" = 1 ]; then
	echo
	BENCH_OUT=$res "$here/calls.sh" "$build" || status=1
fi
if [ "${BENCH_SERVERS_RUN:-1}" = 1 ]; then
	echo
	BENCH_OUT=$res "$here/servers.sh" "$build" || status=1
fi
if [ "${BENCH_LOAD_RUN:-1}" = 1 ]; then
	echo
	BENCH_OUT=$res "$here/load.sh" "$build" || status=1
fi
if [ "${BENCH_RSS_RUN:-1}" = 1 ]; then
	echo
	"$here/rss.sh" "$build" || status=1
fi
if [ "${BENCH_CALLS_RUN:-1}" = 1 ]; then
	echo
	echo "== calls over Telnyx (bench/calls_telnyx.py)"
	BENCH_OUT=$res /usr/bin/python3 "$here/calls_telnyx.py" "$build" || status=1
fi
if [ "${BENCH_REPORTS_RUN:-1}" = 1 ]; then
	echo
	BENCH_OUT=$res "$here/reports.sh" "$build" || status=1
fi
[ "${BENCH_RULES_RUN:-1}" = 1 ] && { echo; BENCH_OUT=$res "$here/rules.sh" "$build" || status=1; }
if [ "${BENCH_PAGE_RUN:-1}" = 1 ]; then
	echo
	echo "== the dial page in headless chromium (bench/page.mjs)"
	BENCH_OUT=$res node "$here/page.mjs" "$build" || status=1
fi

# key=value lines from the two scripts
get() { sed -n "s/^$1=//p" "$res" | tail -1; }
ok() { awk "BEGIN {print ($1) ? \"PASS\" : \"MISS\"}"; }
n() { awk -v v="$1" 'BEGIN {if (v == "") {print "?"; exit} s = sprintf("%d", v + 0.5); o = ""; while (length(s) > 3) {o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3)} print s o}'; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
apache=$(/usr/sbin/apache2 -v 2>/dev/null | sed -n 's/^Server version: //p')
fcgid=$(dpkg-query -W -f '${Version}' libapache2-mod-fcgid 2>/dev/null)
pn=$(dpkg-query -W -f '${Version}' libphonenumber8 2>/dev/null)
pypn=$(/usr/bin/python3 -c 'import phonenumbers; print(phonenumbers.__version__)' 2>/dev/null)

echo
echo "==================== summary (markdown, for README) ===================="
echo
echo "### Benchmarks"
echo
echo "Measured $(date -u '+%Y-%m-%d') by \`make bench\` (bench/run.sh) on $(nproc) cores ($cpu),"
echo "$apache, mod_fcgid $fcgid, libphonenumber $pn, Python phonenumbers $pypn."
echo
echo "| Benchmark | Measured | Target | |"
echo "|---|---|---|---|"
if [ -n "$(get import_best)" ]; then
	echo "| Import of $(n "$(get import_rows)") CSV rows over HTTP, end to end ($(n "$(get import_imported)") imported, $(n "$(get import_skipped)") skipped) | best $(get import_best) s, median $(get import_median) s ($(get import_runs) runs) | ≤ 1.0 s | $(ok "$(get import_best) <= 1.0") |"
	echo "| Peak RSS of the importing process (VmHWM) | $(get import_hwm_mb) MB | ≤ 64 MB | $(ok "$(get import_hwm_mb) <= 64") |"
	echo "| Python \`csv\` + \`phonenumbers\` on the same file | $(get py_best) s: ours is $(get py_ratio)× faster | ≥ 10× | $(ok "$(get py_ratio) >= 10") |"
else
	echo "| Import benchmark | did not run | | |"
fi
if [ -n "$(get list_rps)" ]; then
	echo "| \`GET /api/v1/contacts?per_page=50\`, wrk $(get list_wrk), $(n "$(get list_contacts)") contacts | $(n "$(get list_rps)") req/s, p50 $(get list_p50) ms, p99 $(get list_p99) ms | ≥ 5,000 req/s | $(ok "$(get list_rps) >= 5000") |"
	echo "| … against hello-world FastCGI, same server and run ($(n "$(get hello_rps)") req/s, p50 $(get hello_p50) ms, p99 $(get hello_p99) ms) | $(get list_pct)% | ≥ 80% | $(ok "$(get list_pct) >= 80") |"
	echo "| Non-2xx answers or socket errors | $(get list_bad) (hello: $(get hello_bad)) | 0 | $(ok "$(get list_bad) + $(get hello_bad) == 0") |"
	echo "| RSS of each \`contacts\` FastCGI process | ≤ $(get list_rss_mb) MB ($(get list_nproc) processes) | ≤ 15 MB | $(ok "$(get list_rss_mb) <= 15") |"
else
	echo "| Contact list benchmark | did not run | | |"
fi
if [ -n "$(get alt_list_rps)" ]; then
	echo "| *For comparison, not the deployment:* the same through mod_proxy_fcgi to $(get alt_pool) pre-started processes per program | $(n "$(get alt_list_rps)") req/s, p50 $(get alt_list_p50) ms, p99 $(get alt_list_p99) ms; hello $(n "$(get alt_hello_rps)") req/s, p50 $(get alt_hello_p50) ms, p99 $(get alt_hello_p99) ms ($(get alt_list_pct)%) | | |"
fi
if [ -n "$(get calls_get_rps)" ]; then
	echo "| \`GET /api/v1/calls/{id}\` (a call in progress, Twilio provider), wrk $(get calls_wrk) | $(n "$(get calls_get_rps)") req/s, p50 $(get calls_get_p50) ms, p99 $(get calls_get_p99) ms | ≥ 5,000 req/s | $(ok "$(get calls_get_rps) >= 5000") |"
	echo "| \`POST /api/v1/calls/{id}/token\`, wrk $(get calls_wrk) | $(n "$(get calls_tok_rps)") req/s, p50 $(get calls_tok_p50) ms, p99 $(get calls_tok_p99) ms | ≥ 5,000 req/s | $(ok "$(get calls_tok_rps) >= 5000") |"
	echo "| Non-2xx answers or socket errors (calls) | $(get calls_get_bad) (token: $(get calls_tok_bad)) | 0 | $(ok "$(get calls_get_bad) + $(get calls_tok_bad) == 0") |"
	echo "| \`POST /api/v1/calls\`, $(n "$(get calls_create_n)") sequential calls | p50 $(get calls_create_p50) ms, p99 $(get calls_create_p99) ms | ≤ 5 ms p99 | $(ok "$(get calls_create_p99) <= 5") |"
	echo "| Operator's participant-join webhook → the prospect's dial at a fake Twilio ($(get calls_dial_how)) | p50 $(get calls_dial_p50) ms, p99 $(get calls_dial_p99) ms | ≤ 5 ms p99 | $(ok "$(get calls_dial_p99) <= 5") |"
	echo "| TCP connections to Twilio over $(get calls_flow_n) sequential calls (create, voice webhook, join webhook → dial; $(get calls_flow_ok) complete) | $(get calls_fake_conns) connections, $(get calls_webhooks_procs) \`webhooks\` processes | ≤ 1 per process | $(ok "$(get calls_fake_conns) <= $(get calls_webhooks_procs) && $(get calls_flow_ok) == $(get calls_flow_n)") |"
elif [ "${BENCH_CALLS_RUN:-1}" = 1 ]; then
	echo "| Calls benchmark | did not run | | |"
fi
if [ -n "$(grep "^servers_.*_status_rps=" "$res")" ]; then
	for s in apache_fcgid apache_proxy lighttpd lighttpd_2w lighttpd_fast; do
		[ -n "$(get servers_${s}_status_rps)" ] || continue
		echo "| \`GET /api/v1/calls/{id}\` (session cookie), wrk -t2 -c64, $(echo $s | tr _ -); hello-world $(n "$(get servers_${s}_hello_rps)") req/s | $(n "$(get servers_${s}_status_rps)") req/s, p99 $(get servers_${s}_status_p99) ms; token $(n "$(get servers_${s}_token_rps)") req/s, p99 $(get servers_${s}_token_p99) ms | ≥ 30,000 req/s, p99 ≤ 5 ms (best setup) | $(ok "$(get servers_${s}_status_rps) >= 30000 && $(get servers_${s}_status_p99) <= 5") |"
	done
fi
if [ -n "$(get load_mixed_rps)" ]; then
	echo "| Read endpoints in turn, wrk -t2 -c64 -d60s (load.sh) | $(n "$(get load_reads_6_endpoints_in_turn_rps)") req/s, p99 $(get load_reads_6_endpoints_in_turn_p99) ms, non-2xx $(get load_reads_6_endpoints_in_turn_bad) | 0 non-2xx | $(ok "$(get load_reads_6_endpoints_in_turn_bad) == 0") |"
	echo "| Mixed: status polls, signed webhooks, outcome logs, wrk -t2 -c64 -d60s | $(n "$(get load_mixed_rps)") req/s, p99 $(get load_mixed_p99) ms, non-2xx $(get load_mixed_bad) | 0 non-2xx | $(ok "$(get load_mixed_bad) == 0") |"
fi
if [ -n "$(get telnyx_create_p99)" ]; then
	echo "| Side by side, Twilio / Telnyx: \`POST /api/v1/calls\` p99 | $(get calls_create_p99) ms / $(get telnyx_create_p99) ms (Telnyx fetches the login token from its fake) | ≤ 5 ms | $(ok "$(get telnyx_create_p99) <= 5") |"
	echo "| … operator's join webhook, the dial inside, p99 | $(get calls_join_p99) ms / $(get telnyx_join_p99) ms | ≤ 5 ms | $(ok "$(get telnyx_join_p99) <= 5") |"
	echo "| … TCP connections to the provider over $(get telnyx_calls_n) calls | $(get calls_fake_conns) for $(get calls_webhooks_procs) process / $(get telnyx_fake_conns) for $(get telnyx_procs) processes | ≤ 1 per process | $(ok "$(get telnyx_fake_conns) <= $(get telnyx_procs)") |"
fi
if [ -n "$(get page_interactive_ms)" ]; then
	echo "| First load of \`/dial\` signed in, empty cache, without the SDK ($(get page_first_load_requests) requests) | $(awk -v b="$(get page_first_load_bytes)" 'BEGIN {printf "%.1f", b / 1024}') KB | ≤ 300 KB | $(ok "$(get page_first_load_bytes) <= 307200") |"
	echo "| … navigation to the first Dial button on screen | $(get page_interactive_ms) ms | ≤ 1 s | $(ok "$(get page_interactive_ms) <= 1000") |"
	echo "| Search keystroke → repaint, $(n "$(get page_contacts)") contacts in the list (30 keys) | p50 $(get page_filter_p50_ms) ms, p95 $(get page_filter_p95_ms) ms | ≤ 100 ms | $(ok "$(get page_filter_p95_ms) <= 100") |"
elif [ "${BENCH_PAGE_RUN:-1}" = 1 ]; then
	echo "| Dial page benchmark | did not run | | |"
fi
if [ -n "$(get import_best)" ]; then
	echo
	echo "Where the import's time goes (best runs): HTTP, Apache and mod_fcgid take $(get import_http_only) s"
	echo "(the same upload into the hello program); the program logs $(awk -v a="$(get import_app_best)" 'BEGIN {printf "%.2f", a / 1000}') s for the request"
	[ -n "$(get import_cli)" ] && echo "and \`dialerctl import\` (same code, no HTTP) takes $(get import_cli) s."
	[ -n "$(get import_csv_ms)" ] && echo "CSV parsing alone takes $(awk -v a="$(get import_csv_ms)" 'BEGIN {printf "%.3f", a / 1000}') s;"
	[ -n "$(get import_per_num_us)" ] && echo "libphonenumber costs $(get import_per_num_us) µs per number on one core (parse, type, three formats, region)."
	if [ -n "$(get import_cpu_total_ms)" ]; then
		echo "Of the $(get import_cpu_total_ms) ms of CPU one upload costs (perf, both cores): phone parsing $(get import_cpu_phone_ms) ms"
		echo "(+ $(get import_cpu_libc_ms) ms in libc, mostly its allocations), SQLite $(get import_cpu_sqlite_ms) ms, kernel $(get import_cpu_kernel_ms) ms,"
		echo "CSV $(get import_cpu_csv_ms) ms, Apache $(get import_cpu_apache_ms) ms."
	fi
	echo "The first upload after a start, which spawns the program, took $(get import_cold) s."
fi
if [ -n "$(get list_rps)" ]; then
	echo
	echo "Contact list: before measuring, hello's pool is grown to a process per connection"
	echo "($(get hello_nproc) processes; contacts: $(get list_nproc)): mod_fcgid starts a process only for a request that"
	echo "found none free, slept a second and still found none, so under steady load a fast program's pool stops"
	echo "below the concurrency and about one request in a few hundred waits a whole second."
	if [ -n "$(get list_cpu_prog_us)" ]; then
		echo "CPU per request (perf): the contacts program $(get list_cpu_prog_us) µs (hello $(get hello_cpu_prog_us) µs),"
		echo "Apache + mod_fcgid $(get list_cpu_apache_us) µs (with hello: $(get hello_cpu_apache_us) µs); inside the program, building and"
		echo "printing the JSON (cJSON, and libc's malloc and number formatting under it) $(get list_cpu_json_us) µs,"
		echo "SQLite $(get list_cpu_sqlite_us) µs, kernel $(get list_cpu_kernel_us) µs."
	fi
fi
if [ -n "$(get calls_get_rps)" ]; then
	echo
	echo "Calls: the Twilio provider against $( [ "$(get calls_fake)" = fast ] && echo "the minimal fake Twilio in bench/calls_flow.py" || echo "tests/fake/fake_twilio.py") on loopback;"
	echo "sequential calls from one kept-alive connection, each ended by a signed call-status webhook. The join"
	echo "webhook itself answered in p50 $(get calls_join_p50) ms, p99 $(get calls_join_p99) ms (the dial inside it included)."
	echo "After all calls: $(get calls_fake_conns_all) connections, $(get calls_webhooks_procs_all) \`webhooks\` processes. wrk ran on"
	echo "$(get calls_nproc) \`calls\` processes (grown by warm-up; a request that finds every process busy waits up to a second)"
	echo "and made $(get calls_wrk_twilio) requests to Twilio."
fi
exit $status
