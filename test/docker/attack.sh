#!/bin/sh
# A job in a Docker container tries every way to hodeid's API and fails,
# while the agent in the same container works (issue 14, item 2):
#  - gRPC and HTTP on 127.0.0.1, on every address of the host, on the
#    gateway of the workers' network: the probe is the real hodei-worker
#    binary in the image, which says which it was: no connection, or a
#    server that refused the registration or is not gRPC (the HTTP port);
#  - the worker socket mounted for the agent, as the job's user;
#  - and the job is not root, has no capabilities and no_new_privs.
# The same probe run from the host reaches hodeid, so a refusal inside is
# the container's doing, not a broken probe.
# Usage: attack.sh HODEID DK_SEED ENSURE_DOCKERD HODEI_JOBS_CLI
set -eu
HODEID=$1 SEED=$2 ENSURE=$3 CLI=$4
WORKER=${HODEI_WORKER_BIN:?}
unset HODEI_SERVER
. "$(dirname "$0")/common.sh"
need_dockerd "$ENSURE"
dir=$(mktemp -d /tmp/hodei-dk-attack.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$dir/hodeid.log" ] && tail -20 "$dir/hodeid.log"; exit 1; }

mkdir -p "$dir/data"
"$SEED" "$dir/data/hodei.db" attack '{"ephemeral": true}' 2 || fail "cannot register the provider"
"$SEED" "$dir/data/hodei.db" warm '{}' 1 || fail "cannot register the provider"
"$HODEID" --data-dir "$dir/data" -g 127.0.0.1:0 -H 127.0.0.1:0 --port-file "$dir/ports" \
	--no-local-provider >>"$dir/hodeid.log" 2>&1 &
pid=$!
until_true 30 test -f "$dir/ports" || fail "hodeid did not start"
grpc=$(sed -n 's/^grpc=//p' "$dir/ports")
http=$(sed -n 's/^http=//p' "$dir/ports")

# Positive control: from the host, the probe reaches the API.
control=$(HODEI_JOIN_TOKEN=probe timeout 20 "$WORKER" --server "127.0.0.1:$grpc" --once 2>&1 || true)
echo "$control" | grep -q "registration refused" || fail "the probe does not work: $control"

# Every address of the host, and the gateway of the workers' network.
gateway=$(docker network inspect -f '{{range .IPAM.Config}}{{.Gateway}} {{end}}' hodei-workers \
	2>/dev/null || true)
targets="127.0.0.1 $(hostname -I 2>/dev/null || true) $gateway"
echo "targets: $targets (gRPC port $grpc, HTTP port $http)"

probe='export HODEI_JOIN_TOKEN=probe
echo "id: $(id -u) $(grep -E "^(CapEff|NoNewPrivs)" /proc/self/status | tr "\t\n" "  ")"
for h in $TARGETS; do
  case $h in *:*) h="[$h]" ;; esac
  for p in $GRPC $HTTP; do
    echo "tcp $h:$p: $(timeout 10 hodei-worker --server $h:$p --once 2>&1 | tail -1)"
  done
done
echo "socket dir: $(ls /run/hodei 2>&1)"
echo "grpc unix: $(timeout 10 hodei-worker --server unix:/run/hodei/agent.sock --once 2>&1 | tail -1)"
echo probe-done'
out=$(timeout 300 "$CLI" --server "127.0.0.1:$grpc" jobs queue --provider attack --shell --follow \
	--env "TARGETS=$targets" --env "GRPC=$grpc" --env "HTTP=$http" --command "$probe" 2>&1) ||
	fail "the job failed (is the agent working?): $out"
echo "$out"
echo "$out" | grep -q probe-done || fail "the probe did not run to its end"
echo "$out" | grep -q '^id: 65534 CapEff: 0000000000000000 NoNewPrivs: 1' ||
	fail "the job is not an unprivileged user without capabilities"
# Reached = a connection was made: then the agent says "registration refused"
# (gRPC) or "is not a Hodei server" (the HTTP port), never "cannot connect to".
if echo "$out" | grep -E '^tcp ' | grep -v 'cannot connect to' | grep -q .; then
	fail "a TCP attempt connected"
fi
echo "$out" | grep -q '^socket dir: .*Permission denied' || fail "the job listed the socket dir"
echo "$out" | grep -q '^grpc unix: .*Permission denied' || fail "the job connected to the socket"
grep -q 'worker registered' "$dir/hodeid.log" || fail "the agent did not register"

# Item 5 in a container: daemons a job leaves (setsid, double fork) are gone
# before the next job on the same (warm) container starts.
daemon='while :; do sleep 1; done'
out=$(timeout 300 "$CLI" --server "127.0.0.1:$grpc" jobs queue --provider warm --shell --follow \
	--command "setsid sh -c 'echo \$\$ > /dev/shm/a.pid; $daemon' & (setsid sh -c 'echo \$\$ > /dev/shm/b.pid; $daemon' &);
	  while [ ! -s /dev/shm/a.pid ] || [ ! -s /dev/shm/b.pid ]; do sleep 0.1; done; echo started" 2>&1) ||
	fail "the daemon job failed: $out"
echo "$out" | grep -q started || fail "the daemons did not start: $out"
out=$(timeout 300 "$CLI" --server "127.0.0.1:$grpc" jobs queue --provider warm --shell --follow \
	--command 'for f in a b; do p=$(cat /dev/shm/$f.pid); echo "daemon $f: $([ -d /proc/$p ] && echo alive || echo gone)"; done' 2>&1) ||
	fail "the checking job failed: $out"
echo "$out"
[ "$(echo "$out" | grep -c '^daemon .: gone$')" = 2 ] || fail "a daemon outlived its job"
echo "ok"
