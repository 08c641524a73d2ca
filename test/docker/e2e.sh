#!/bin/sh
# End to end: hodeid with a docker provider, the real hodei-worker image
# (built by the provider itself when missing), jobs queued with the CLI.
#  1. a job runs inside a container (checked from inside), its log streams,
#     the container is gone afterwards (ephemeral provider);
#  2. two jobs with --cpu/--memory get those limits (read from inside);
#  3. kill -9 of hodeid mid-job, restart: the orphan container is removed
#     and the job is run again to the end.
# Usage: e2e.sh HODEID HODEI_JOBS_CLI DK_SEED ENSURE_DOCKERD
set -eu
[ "${HODEI_E2E_TRACE:-0}" = 1 ] && set -x
HODEID=$1 CLI=$2 SEED=$3 ENSURE=$4
unset HODEI_SERVER # hodeid sets it for its containers from the port it binds
. "$(dirname "$0")/common.sh"
need_dockerd "$ENSURE"
dir=$(mktemp -d /tmp/hodei-dk-e2e.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$dir/hodeid.log" ] && tail -20 "$dir/hodeid.log"; exit 1; }

dock() { curl -sf --max-time 30 --unix-socket /var/run/docker.sock "http://localhost/v1.41$1"; }
containers() { # ids of the provider's containers
	dock "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.hodei.provider%3De2e%22%5D%7D" |
		grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4
}
no_containers() { [ -z "$(containers)" ]; }


# The provider builds the image itself when it is missing.
curl -sf -X DELETE --unix-socket /var/run/docker.sock \
	"http://localhost/v1.41/images/${HODEI_WORKER_IMAGE:-hodei-worker:latest}?force=1" >/dev/null || true
mkdir -p "$dir/data"
"$SEED" "$dir/data/hodei.db" e2e '{"ephemeral": true}' 4 || fail "cannot register the provider"
start_hodeid

# 1. inside a container, log streamed, container gone afterwards
out=$(cli jobs queue --id e2e-1 --provider e2e --shell --follow \
	--command 'test -f /.dockerenv && echo in-docker; grep -q docker /proc/self/cgroup && echo cgroup-docker; echo job=$HODEI_JOB_ID') ||
	fail "job e2e-1 failed: $out"
echo "$out"
echo "$out" | grep -q in-docker || fail "not in a container"
echo "$out" | grep -q cgroup-docker || fail "not in a docker cgroup"
echo "$out" | grep -q job=e2e-1 || fail "log did not stream"
until_true 60 no_containers || fail "container left behind: $(containers)"

# 2. limits from --cpu/--memory
limits='cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max'
a=$(cli jobs queue --id e2e-2 --provider e2e --shell --cpu 500m --memory 64M --follow --command "$limits") || fail "e2e-2: $a"
b=$(cli jobs queue --id e2e-3 --provider e2e --shell --cpu 1.5 --memory 96M --follow --command "$limits") || fail "e2e-3: $b"
echo "$a" | grep -q '^67108864' || fail "e2e-2 memory: $a"
echo "$a" | grep -q '50000' || fail "e2e-2 cpu: $a"
echo "$b" | grep -q '^100663296' || fail "e2e-3 memory: $b"
echo "$b" | grep -q '150000' || fail "e2e-3 cpu: $b"
echo "limits ok: 64M/0.5 cpu and 96M/1.5 cpu"
until_true 60 no_containers || fail "containers left behind: $(containers)"

# 3. kill -9 of hodeid mid-job, then restart
cli jobs queue --id e2e-4 --provider e2e --shell --retries 1 --command 'sleep 5; echo done' >/dev/null
running() { cli -o json jobs get e2e-4 | grep -q '"RUNNING"'; }
until_true 60 running || fail "e2e-4 never ran"
orphan=$(containers)
[ -n "$orphan" ] || fail "no container for e2e-4"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
dock "/containers/$orphan/json" >/dev/null || fail "the container went away with hodeid"
start_hodeid
gone() { ! dock "/containers/$orphan/json" >/dev/null; }
until_true 60 gone || fail "orphan $orphan not removed after restart"
final() { cli -o json jobs get e2e-4 | grep -q '"SUCCEEDED"'; }
until_true 120 final || fail "e2e-4 did not complete after restart: $(cli -o json jobs get e2e-4)"
until_true 60 no_containers || fail "containers left behind: $(containers)"
echo "ok"
