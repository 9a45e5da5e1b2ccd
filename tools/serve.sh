#!/bin/sh
# Serve colddialer with Apache from apache.conf, in the foreground.
#   tools/serve.sh BUILD_DIR
# Environment: PORT (8080), DIALER_VAR (state folder, default ./var),
# DIALER_DB (default $DIALER_VAR/dialer.db), and any DIALER_*, TWILIO_*,
# TELNYX_* settings, which are handed to the FastCGI programs.
# Used by `make run` and by the end-to-end tests, so both run the real thing.
set -eu
# The database holds contacts and password hashes: nobody else's to read.
umask 027
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
port=${PORT:-8080}
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
	# Apache's workers run as www-data: the state folder must be theirs,
	# and the programs and pages readable by them. A checkout they cannot
	# reach (under /root, say) is served from a copy in the state folder.
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

# Hand the settings to the FastCGI programs: mod_fcgid starts them with
# only what FcgidInitialEnv names. The file may hold secrets: root only.
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

provider=${DIALER_PROVIDER:-sim}
echo "colddialer: http://127.0.0.1:$port/  (provider: $provider$([ "$provider" = sim ] && echo ' — SIMULATED, no real calls'))"
echo "colddialer: database $DIALER_DB, logs in $var/log/; Ctrl-C stops"
# bench/ serves its hello-world ceiling beside the app (DIALER_BENCH_CGI).
set -- -D DIALER_STANDALONE -D FOREGROUND
if [ -n "${DIALER_BENCH_CGI:-}" ]; then
	set -- "$@" -D DIALER_BENCH -C "Define DIALER_BENCH_CGI $DIALER_BENCH_CGI"
fi
exec /usr/sbin/apache2 -f "$root/apache.conf" "$@" \
	-C "Define DIALER_HTML $html" -C "Define DIALER_CGI $cgi" \
	-C "Define DIALER_VAR $var" -C "Define DIALER_PORT $port"
