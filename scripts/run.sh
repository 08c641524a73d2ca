#!/usr/bin/env bash
# Start Hodei on its embedded defaults: hodeid with SQLite in ./hodei-data,
# the local provider, gRPC on localhost:50051 and the dashboard and /metrics
# on http://localhost:8080.  Installs and builds what it needs first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
scripts/build.sh build
# the dashboard: built when missing or older than its sources
if [ -f web/package.json ] && { [ ! -f web/dist/index.html ] ||
	[ -n "$(find web/src web/index.html web/package.json -newer web/dist/index.html -print -quit)" ]; }; then
	(cd web && npm run build --silent)
fi
exec build/tools/hodeid/hodeid --data-dir "${HODEI_DATA_DIR:-$root/hodei-data}" "$@"
