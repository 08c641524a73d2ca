#!/bin/sh
# The dashboard's calls against hodeid with a million jobs stored, over
# gRPC-Web on loopback, as web/scripts/measure-million.sh takes them but on a
# database seeded once (so a build before and after a change can be compared
# on the same jobs) and without the browser step.
#   bench/store/hodeid-million.sh HODEID DB [ROUNDS]
# DB is copied (with its -wal) into a temporary data dir first: a database of
# an older schema is migrated by that copy's first open, timed separately.
# Needs web/node_modules and web/src/gen (npm ci; npm run gen in web/).
set -eu
hodeid=$1
db=$2
rounds=${3:-50}
web_dir=$(cd "$(dirname "$0")/../../web" && pwd)
data=$(mktemp -d /tmp/hodei-million.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$data"
}
trap cleanup EXIT INT TERM
cp "$db" "$data/hodei.db"
[ -f "$db-wal" ] && cp "$db-wal" "$data/hodei.db-wal"

start_hodeid() {
	rm -f "$data/ports"
	"$hodeid" --data-dir "$data" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
		--port-file "$data/ports" --web-dir "$web_dir" --local-workers 1 --log-level warn \
		2>>"$data/hodeid.log" &
	pid=$!
	t0=$(date +%s%N)
	i=0
	until [ -s "$data/ports" ] && grep -q '^http=' "$data/ports"; do
		i=$((i + 1)); [ $i -gt 6000 ] && { echo "hodeid did not start" >&2; cat "$data/hodeid.log" >&2; exit 1; }
		sleep 0.01
	done
	echo "hodeid $1: listening after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	http=$(sed -n 's/^http=//p' "$data/ports")
}
stop_hodeid() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

# The first start may migrate the database; the second is a plain restart.
start_hodeid "first start"
stop_hodeid
start_hodeid "restart"
cd "$web_dir"
node --import tsx scripts/bench-list-jobs.ts "http://127.0.0.1:$http" "$rounds"
node --import tsx scripts/bench-metrics.ts "http://127.0.0.1:$http" 10
