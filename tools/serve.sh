#!/bin/sh
# Serve colddialer in the foreground with Apache (apache.conf) or lighttpd
# (lighttpd.conf): the same programs, pages and state folder either way.
#   tools/serve.sh BUILD_DIR
# Environment: SERVER (apache, the default, or lighttpd), PORT (8080),
# PROCS (lighttpd: processes per program, 4), WORKERS (lighttpd: worker
# processes, 1; WORKERS=2 PROCS=2 is the fastest on two cores, see
# README's Benchmarks),
# DIALER_VAR (state folder, default ./var), DIALER_DB (default
# $DIALER_VAR/dialer.db), and any DIALER_*, TWILIO_*, TELNYX_* settings,
# which are handed to the FastCGI programs.
# Used by `make run` and by the end-to-end tests, so both run the real thing.
set -eu
server=${SERVER:-apache}
case "$server" in
apache|lighttpd) ;;
*) echo "serve: SERVER is apache or lighttpd, not '$server'" >&2; exit 2 ;;
esac
# The database holds contacts and password hashes: nobody else's to read.
umask 027
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
port=${PORT:-8080}
# lighttpd: processes per program, all started with the server.
procs=${PROCS:-4}
case "$procs" in
''|*[!0-9]*|0*) echo "serve: PROCS is a whole number from 1, not '$procs'" >&2; exit 2 ;;
esac
# lighttpd: worker processes sharing the connections (server.max-worker).
workers=${WORKERS:-1}
case "$workers" in
''|*[!0-9]*|0*) echo "serve: WORKERS is a whole number from 1, not '$workers'" >&2; exit 2 ;;
esac
var=${DIALER_VAR:-$root/var}
mkdir -p "$var/run" "$var/log"
var=$(cd "$var" && pwd)
export DIALER_DB="${DIALER_DB:-$var/dialer.db}"
case "$DIALER_DB" in /*) ;; *) DIALER_DB="$root/$DIALER_DB" ;; esac
export DIALER_LOG="${DIALER_LOG:-$var/log/requests.log}"
if [ -z "${DIALER_CONFIG:-}" ] && [ -f "$root/etc/dialer.conf" ]; then
	export DIALER_CONFIG="$root/etc/dialer.conf"
fi
# Plain http on loopback: a Secure cookie would never come back.
export DIALER_COOKIE_SECURE="${DIALER_COOKIE_SECURE:-0}"
export DIALER_PUBLIC_URL="${DIALER_PUBLIC_URL:-http://127.0.0.1:$port}"

"$build/dialerctl" init-db >/dev/null
"$build/dialerctl" ensure-admin

html="$root/html"
cgi="$build/cgi-bin"
if [ "$(id -u)" -eq 0 ]; then
	# Either server runs the programs as www-data: the state folder must be
	# theirs, and the programs and pages readable by them. A checkout they
	# cannot reach (under /root, say) is served from a copy in the state folder.
	chown -R www-data:www-data "$var"
	chmod -R o-rwx "$var"
	if ! runuser -u www-data -- test -r "$html/index.html" -a -x "$cgi/auth_login" 2>/dev/null; then
		rm -rf "$var/stage"
		mkdir -p "$var/stage"
		cp -R "$html" "$var/stage/html"
		cp -R "$cgi" "$var/stage/cgi-bin"
		chown -R www-data:www-data "$var/stage"
		html="$var/stage/html"
		cgi="$var/stage/cgi-bin"
	fi
fi

# Apache: mod_fcgid starts the programs with only what FcgidInitialEnv
# names, written to a file apache.conf includes. It may hold secrets: root only.
serve_apache() {
	envconf="$var/run/fcgid-env.conf"
	umask 077
	: > "$envconf"
	env | LC_ALL=C sort | while IFS= read -r line; do
		name=${line%%=*}
		value=${line#*=}
		case "$name" in DIALER_*|TWILIO_*|TELNYX_*) ;; *) continue ;; esac
		case "$value" in
		*'"'*|*'\'|*'${'*)
			echo "serve: $name holds a character Apache cannot pass (\", \${ or a final \\); put it in DIALER_CONFIG instead" >&2
			continue ;;
		esac
		printf 'FcgidInitialEnv %s "%s"\n' "$name" "$value" >> "$envconf"
	done
	umask 027
	# bench/ serves its hello-world ceiling beside the app (DIALER_BENCH_CGI).
	set -- -D DIALER_STANDALONE -D FOREGROUND
	if [ -n "${DIALER_BENCH_CGI:-}" ]; then
		set -- "$@" -D DIALER_BENCH -C "Define DIALER_BENCH_CGI $DIALER_BENCH_CGI"
	fi
	exec /usr/sbin/apache2 -f "$root/apache.conf" "$@" \
		-C "Define DIALER_HTML $html" -C "Define DIALER_CGI $cgi" \
		-C "Define DIALER_VAR $var" -C "Define DIALER_PORT $port"
}

# lighttpd: lighttpd.conf is always included from a server around it, here
# the one written on lighttpd's standard input. Paths, port and settings
# reach lighttpd through the environment (env.NAME), so no value is ever
# quoted into a config and no secret touches the disk.
lighttpd_conf() {
	cat <<EOF
server.modules = ( "mod_indexfile", "mod_alias", "mod_setenv", "mod_fastcgi",
	"mod_accesslog", "mod_staticfile" )
server.bind = "127.0.0.1"
server.port = env.SERVE_PORT
$max_worker
server.document-root = env.SERVE_HTML
server.upload-dirs = ( env.SERVE_VAR + "/run/upload" )
$user
# URLs reach the programs as sent, as under Apache, which judge them.
server.http-parseopts = ( "url-normalize" => "disable" )
# A URL may carry a call id, a provider's id or a phone number, and lighttpd
# cannot cut the path as apache.conf does: no path here. requests.log has
# each API request's route, under the same request id.
accesslog.filename = env.SERVE_VAR + "/log/access.log"
accesslog.format = "%h %{X-Request-Id}o %t \"%m\" %>s %b %Dus"
include_shell "/usr/share/lighttpd/create-mime.conf.pl"

var.dialer_html = env.SERVE_HTML
var.dialer_cgi = env.SERVE_CGI
var.dialer_sockets = env.SERVE_VAR + "/run/lighttpd"
var.dialer_env = (
$settings)
var.dialer_procs = $procs
\$SERVER["socket"] == "127.0.0.1:" + env.SERVE_PORT {
	include env.SERVE_ROOT + "/lighttpd.conf"
$bench
}
EOF
}

serve_lighttpd() {
	names=$(awk 'BEGIN { for (k in ENVIRON) if (k ~ /^(DIALER|TWILIO|TELNYX)_[A-Za-z0-9_]*$/) print k }' |
		LC_ALL=C sort)
	settings=""
	for name in $names; do
		settings="$settings	\"$name\" => env.$name,
"
	done
	mkdir -p "$var/run/lighttpd" "$var/run/upload"
	# bench/ serves its hello-world ceiling beside the app (DIALER_BENCH_CGI),
	# spawned exactly as the programs are.
	bench=""
	if [ -n "${DIALER_BENCH_CGI:-}" ]; then
		export SERVE_BENCH_CGI="$DIALER_BENCH_CGI"
		bench='	$HTTP["url"] == "/bench/hello" {
		fastcgi.server = ( "/" => ( var.dialer_fcgi + (
			"bin-path" => env.SERVE_BENCH_CGI + "/hello",
			"socket" => var.dialer_sockets + "/hello.sock" ) ) )
	}'
	fi
	# One event loop is lighttpd's default; a second process lets it use
	# both cores of a small machine (every program socket is shared).
	max_worker=""
	[ "$workers" -gt 1 ] && max_worker="server.max-worker = $workers"
	user=""
	if [ "$(id -u)" -eq 0 ]; then
		# lighttpd makes the programs' sockets and spools big bodies as www-data.
		chown www-data:www-data "$var/run/lighttpd" "$var/run/upload"
		user='server.username = "www-data"
server.groupname = "www-data"'
	fi
	export SERVE_ROOT="$root" SERVE_HTML="$html" SERVE_CGI="$cgi" SERVE_VAR="$var" SERVE_PORT="$port"
	# Mistakes in the config show here; once running, lighttpd's log and the
	# programs' stderr (crashes, sanitizer reports) both go to error.log, as
	# under Apache: lighttpd hands its own stderr to the programs.
	conf=$(lighttpd_conf)
	printf '%s\n' "$conf" | /usr/sbin/lighttpd -tt -f - >/dev/null
	/usr/sbin/lighttpd -D -f - 2>>"$var/log/error.log" <<EOF &
$conf
EOF
	lighttpd_pid=$!
	# lighttpd passes a stop on to its whole process group, so the trap may
	# run again after it has gone (and set -e holds inside a trap).
	trap 'kill -TERM "$lighttpd_pid" 2>/dev/null || :' INT TERM HUP
	rc=0
	while kill -0 "$lighttpd_pid" 2>/dev/null; do
		# (set -e: a signal makes wait fail, and the script must go on)
		if wait "$lighttpd_pid"; then rc=0; else rc=$?; fi
	done
	# With several workers, one that meets a program already stopped by
	# the same Ctrl-C (or kill of the group) starts it again on its way
	# out, after the master has gone; nobody would ever stop that one.
	# Our group's programs from this build are ours to end, until neither
	# they nor a worker is left (5 s at most). Zombies do not count: where
	# nothing reaps orphans (a container's first process may not), they
	# stay in the table, holding nothing.
	group=$(ps -o pgid= -p $$ | tr -d ' ')
	i=0
	while [ $i -lt 100 ]; do
		pkill -TERM -g "$group" -f "^$cgi/" 2>/dev/null || :
		ps -eo pgid=,stat=,comm=,args= | awk -v g="$group" -v c="$cgi/" '
		    $1 == g && $2 !~ /^Z/ && ($3 == "lighttpd" || index($4, c) == 1) {left = 1}
		    END {exit !left}' || break
		sleep 0.05
		i=$((i + 1))
	done
	exit "$rc"
}

provider=${DIALER_PROVIDER:-sim}
echo "colddialer: http://127.0.0.1:$port/  (provider: $provider$([ "$provider" = sim ] && echo ' — SIMULATED, no real calls'))"
echo "colddialer: served by $server, database $DIALER_DB, logs in $var/log/; Ctrl-C stops"
"serve_$server"
