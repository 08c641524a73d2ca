#!/bin/sh
# The peer comparison suite in one command (see bench/RESULTS-suite.md):
#   bench/run.sh [--large] [--only SYSTEM,...] [--out DIR]
# Installs the peers from Debian, starts dockerd if none answers, builds Hodei
# (build-bench/), then runs every system inside a private network namespace
# that has only loopback, and a private PID namespace, so every daemon stops
# when the suite ends (hodei-docker's hodeid joins the host's network, where
# its containers are, through fd 9).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
OUT=$ROOT/bench/out
ARGS=""
while [ $# -gt 0 ]; do
	case $1 in
	--large) ARGS="$ARGS --large" ;;
	--only) ARGS="$ARGS --only $2"; shift ;;
	--out) OUT=$2; shift ;;
	*) echo "usage: $0 [--large] [--only SYSTEM,...] [--out DIR]" >&2; exit 2 ;;
	esac
	shift
done

PKGS="parallel task-spooler redis-server python3-celery python3-redis slurm-wlm munge gnuplot-nox
      meson ninja-build gcc pkg-config iproute2 util-linux docker.io busybox-static curl"
missing=$(for p in $PKGS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	grep -q '^install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
# Debian starts no daemons here; the suite starts its own on loopback.
# dockerd is the exception (hodei-docker): it must outlive the namespaces,
# so it is started here when none answers (the system is skipped without it).
"$ROOT/test/docker/ensure-dockerd.sh" || echo "no dockerd: hodei-docker will be skipped" >&2

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$ROOT" -Dtests=false >/dev/null
ninja -j2 -C "$BUILD" bench/benchjob bench/spawnloop bench/hodei-bench tools/hodeid/hodeid \
	tools/hodei-worker/hodei-worker tools/hodei-jobs-cli/hodei-jobs-cli bench/hodei-client-bench \
	lib/docker/hodei-docker.so >/dev/null

mkdir -p "$OUT"
{ date -u '+date: %Y-%m-%d %H:%M UTC'; echo "nproc: $(nproc)";
  free -m | awk '/^Mem:/ {print "memory: " $2 " MB"}'; uname -sr | sed 's/^/kernel: /'; } > "$OUT/machine.txt"
cat "$OUT/machine.txt"
# fd 9 keeps the host's network namespace reachable from inside: the Docker
# provider's containers use the host network, so hodei-docker's hodeid must
# listen there (suite.py enters it with nsenter for that system only).
exec 9</proc/self/ns/net
exec unshare --net --pid --fork --mount-proc sh -c '
	ip link set lo up
	# A second loopback address: Slurm binds through getaddrinfo(AI_ADDRCONFIG),
	# which finds no address family when 127.0.0.1 is the only one.
	ip addr add 127.0.0.2/8 dev lo
	# Not exec: sh stays PID 1 of the namespace and reaps orphaned daemons.
	/usr/bin/python3 "$0"/bench/suite.py --build "$1" --out "$2" '"$ARGS"'
' "$ROOT" "$BUILD" "$OUT"
