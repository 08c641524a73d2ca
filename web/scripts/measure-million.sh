#!/bin/sh
# The Jobs page with a million jobs stored: seeds a fresh store with
# test/web's seed-jobs, starts hodeid on it and times ListJobs first pages.
#   web/scripts/measure-million.sh BUILD_DIR [COUNT]     (default 1000000)
# BUILD_DIR is a meson build dir with tools/hodeid/hodeid and test/web/seed-jobs.
set -eu
build=$(cd "$1" && pwd)
count=${2:-1000000}
web_dir=$(cd "$(dirname "$0")/.." && pwd)
data=$(mktemp -d /tmp/hodei-million.XXXXXX)
hodeid_pid=
cleanup() {
	[ -n "$hodeid_pid" ] && kill "$hodeid_pid" 2>/dev/null && wait "$hodeid_pid" 2>/dev/null
	rm -rf "$data"
}
trap cleanup EXIT INT TERM

start=$(date +%s)
"$build/test/web/seed-jobs" "$data/hodei.db" "$count"
echo "seeded in $(( $(date +%s) - start )) s"

"$build/tools/hodeid/hodeid" --data-dir "$data" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
	--port-file "$data/ports" --web-dir "$web_dir/dist" --local-workers 1 --log-level warn 2>"$data/hodeid.log" &
hodeid_pid=$!
i=0
until [ -s "$data/ports" ] && grep -q '^http=' "$data/ports"; do
	i=$((i + 1)); [ $i -gt 600 ] && { echo "hodeid did not start" >&2; cat "$data/hodeid.log" >&2; exit 1; }
	sleep 0.1
done
http=$(sed -n 's/^http=//p' "$data/ports")
cd "$web_dir"
node --import tsx scripts/bench-list-jobs.ts "http://127.0.0.1:$http" "${ROUNDS:-50}"
node --import tsx scripts/bench-metrics.ts "http://127.0.0.1:$http" 10
# The same first page in the browser (the dashboard as this hodeid serves it).
node scripts/million-page.mjs "http://127.0.0.1:$http"
