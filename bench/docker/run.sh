#!/bin/sh
# Docker provider benchmark, in one run (figures go to bench/docker/RESULTS.md):
#  1. cold start: QueueJob to the job's first log line on a new container
#     (ephemeral provider, nothing warm), against `docker run --rm` of the
#     same image running `true` (the image's entrypoint is the agent, so
#     --entrypoint true); median of N runs each.
#  2. throughput: 200 short jobs (`true`) on warm containers (max_workers 2,
#     warmed first), queued back to back; jobs/s from the first QueueJob to
#     the last job's end.
# Usage: bench/docker/run.sh BUILD_DIR [N]
set -eu
B=$(cd "$1" && pwd) N=${2:-10}
HODEID=$B/tools/hodeid/hodeid CLI=$B/tools/hodei-jobs-cli/hodei-jobs-cli SEED=$B/test/docker/dk-seed
export HODEI_WORKER_BIN=$B/tools/hodei-worker/hodei-worker
IMAGE=${HODEI_WORKER_IMAGE:-hodei-worker:latest}
unset HODEI_SERVER
"$(dirname "$0")/../../test/docker/ensure-dockerd.sh"
dir=$(mktemp -d /tmp/hodei-dk-bench.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

mkdir -p "$dir/data"
"$SEED" "$dir/data/hodei.db" cold '{"ephemeral": true}' 4
"$SEED" "$dir/data/hodei.db" warm '{}' 2
"$HODEID" --data-dir "$dir/data" -g 127.0.0.1:0 -H off --port-file "$dir/ports" \
	--no-local-provider --log-level warn 2>"$dir/hodeid.log" &
pid=$!
while [ ! -f "$dir/ports" ]; do sleep 0.1; done
port=$(sed -n 's/^grpc=//p' "$dir/ports")
cli() { "$CLI" --server "127.0.0.1:$port" "$@"; }
# The image exists after this (built by the provider if it was missing).
cli jobs queue --provider cold --shell --wait --command 'echo warmup' >/dev/null 2>&1

# 1. cold start
: >"$dir/cold"
i=0
while [ $i -lt "$N" ]; do
	t0=$(now_ms)
	cli jobs queue --provider cold --shell --follow --command 'echo first-line; sleep 1' 2>/dev/null |
		{ while read -r line; do case $line in *first-line*) break ;; esac; done
		  t1=$(now_ms); echo $((t1 - t0)) >>"$dir/cold"; cat >/dev/null; }
	i=$((i + 1))
done
: >"$dir/run"
i=0
while [ $i -lt "$N" ]; do
	t0=$(now_ms)
	docker run --rm --entrypoint true "$IMAGE"
	t1=$(now_ms)
	echo $((t1 - t0)) >>"$dir/run"
	i=$((i + 1))
done
cold=$(median <"$dir/cold")
run=$(median <"$dir/run")

# 2. warm throughput
cli jobs queue --provider warm --shell --command 'sleep 1' >/dev/null # two warm containers
cli jobs queue --provider warm --shell --command 'sleep 1' --wait >/dev/null 2>&1
while [ -n "$(cli -o json jobs list --status active --limit 0)" ]; do sleep 0.05; done
t0=$(now_ms)
i=0
while [ $i -lt 200 ]; do
	cli jobs queue --id "w-$i" --provider warm --command true >/dev/null
	i=$((i + 1))
done
while [ -n "$(cli -o json jobs list --status active --limit 0)" ]; do sleep 0.02; done
t1=$(now_ms)
ok=$(cli -o json jobs list --status succeeded --search w- --limit 0 | grep -c '"id":"w-' || true)
jps=$(awk "BEGIN {printf \"%.1f\", 200 * 1000 / ($t1 - $t0)}")

echo "cold QueueJob->first log line: median ${cold} ms over $N runs ($(tr '\n' ' ' <"$dir/cold"))"
echo "docker run --rm --entrypoint true $IMAGE: median ${run} ms ($(tr '\n' ' ' <"$dir/run"))"
echo "ratio: $(awk "BEGIN {printf \"%.2f\", $cold / $run}") (target <= 1.2)"
echo "warm: 200 jobs in $((t1 - t0)) ms = $jps jobs/s ($ok succeeded)"
