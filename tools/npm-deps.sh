#!/bin/sh
# Install the pinned npm packages of package-lock.json (the Prism mock
# server for contract tests) when node_modules is missing or older than the
# lock file. Quiet when nothing is to do. Never fetches a browser.
set -eu
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ]; then
	exit 0
fi
echo "deps: npm ci"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
