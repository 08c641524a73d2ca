#!/bin/sh
# Pods per second through the Kubernetes API stand-in, and the kubernetes
# provider's own cost per pod (API requests and bytes, CPU in hodeid), beside
# the docker provider measured in the same run on the same dockerd: N jobs
# (`true`) on an ephemeral provider of W workers, one pod or container each.
# The stand-in runs each pod as a Docker container, so both rows pay the
# same container start; the kubernetes row adds the API round trips and the
# watch.  No real cluster: kubelet, scheduler and etcd are not in the loop.
# hodeid's CPU counts the CLI calls that queue and poll the jobs (the same
# for both rows).
# Usage: bench/kubernetes/run.sh BUILD_DIR [N [W]]   (writes RESULTS.md here)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "$1" && pwd) N=${2:-40} W=${3:-4}
HODEID=$B/tools/hodeid/hodeid CLI=$B/tools/hodei-jobs-cli/hodei-jobs-cli SEED=$B/test/docker/dk-seed
export HODEI_WORKER_BIN=$B/tools/hodei-worker/hodei-worker HODEI_WORKER_IMAGE=hodei-worker:bench
. "$root/test/docker/common.sh"
"$root/test/docker/ensure-dockerd.sh" >/dev/null
dir=$(mktemp -d /tmp/hodei-k8s-bench.XXXXXX)
pid= spid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM
fail() { echo "bench: $*" >&2; exit 1; }
"$HODEID" image build -t "$HODEI_WORKER_IMAGE" >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
node "$root/test/kubernetes/standin.mjs" --port-file "$dir/ports.si" --token t --namespace bench \
	--tls-cert "$dir/tls.crt" --tls-key "$dir/tls.key" --client-ca "$dir/tls.crt" >"$dir/si.log" 2>&1 &
spid=$!
until_true 30 test -f "$dir/ports.si" || fail "stand-in"
api=$(sed -n 's/^api=//p' "$dir/ports.si") ctl=$(sed -n 's/^control=//p' "$dir/ports.si")
cat >"$dir/kubeconfig" <<K
apiVersion: v1
kind: Config
clusters: [{name: s, cluster: {server: "https://127.0.0.1:$api", certificate-authority: tls.crt}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: s, user: u, namespace: bench}}]
current-context: c
K
export KUBECONFIG=$dir/kubeconfig
unset HODEI_SERVER
mkdir -p "$dir/data"
"$SEED" "$dir/data/hodei.db" dk '{"ephemeral":true}' "$W" docker >/dev/null
"$SEED" "$dir/data/hodei.db" k8s '{"ephemeral":true}' "$W" kubernetes >/dev/null
start_hodeid
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # clock ticks
hz=$(getconf CLK_TCK)
# run PROVIDER: N jobs, wall ms and hodeid CPU ms
succeeded() { cli -o json jobs get "$1" | grep -q '"state":"SUCCEEDED"'; }
run() {
	# warm: the image in the page cache, the provider set up (sweep, image check)
	cli jobs queue --id "warm-$1" --provider "$1" --shell --follow --command true >/dev/null
	c0=$(cpu)
	i=0
	while [ $i -lt "$N" ]; do
		i=$((i + 1))
		cli jobs queue --id "$1-$i" --provider "$1" --shell --command true >/dev/null
	done
	i=0
	while [ $i -lt "$N" ]; do
		i=$((i + 1))
		until_true 300 succeeded "$1-$i" || fail "$1-$i did not succeed"
	done
	c1=$(cpu)
	# wall: first job queued to last job finished, from the jobs' own times
	# (the polling above would otherwise count)
	wall=$(i=0; while [ $i -lt "$N" ]; do i=$((i + 1)); cli -o json jobs get "$1-$i"; done |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=s.trim().split("\n").map(JSON.parse);
		const t0=Math.min(...j.map(x=>Date.parse(x.created_at))),t1=Math.max(...j.map(x=>Date.parse(x.finished_at)));console.log(t1-t0)})')
	cpums=$(( (c1 - c0) * 1000 / hz ))
}
run dk
dk_wall=$wall dk_cpu=$cpums
s0=$(curl -sf "http://127.0.0.1:$ctl/stats")
run k8s
k8_wall=$wall k8_cpu=$cpums
# every pod released and deleted, so that its whole life is counted
gone() { curl -sf "http://127.0.0.1:$ctl/stats" | grep -q '"pods":0'; }
until_true 120 gone || fail "pods left"
s1=$(curl -sf "http://127.0.0.1:$ctl/stats")
reqs() { echo "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);let r=0,b=0;for(const[k,v]of Object.entries(o.stats))if(k!=="watch-event"){r+=v.requests;b+=v.bytesIn};console.log(r,b,o.bytesOut,(o.stats["watch-event"]||{}).requests||0)})'; }
set -- $(reqs "$s0"); r0=$1 bi0=$2 bo0=$3 e0=$4
set -- $(reqs "$s1"); r1=$1 bi1=$2 bo1=$3 e1=$4
pods_s() { awk -v n="$N" -v w="$1" 'BEGIN{printf "%.2f", n * 1000 / w}'; }
per() { awk -v a="$1" -v n="$N" 'BEGIN{printf "%.1f", a / n}'; }
out="$root/bench/kubernetes/RESULTS.md"
{
	echo "# Kubernetes provider vs docker provider, $(date -u +'%d %b %Y %H:%M UTC')"
	echo
	echo "$N jobs (\`true\`), ephemeral providers of $W workers, one pod or container per job;"
	echo "$(nproc) CPUs, $(docker version --format '{{.Server.Version}}' 2>/dev/null) dockerd; the machine was shared with other builds."
	echo
	echo "| provider | wall | pods/s | hodeid CPU per pod | API requests per pod | bytes sent / received per pod | watch events per pod |"
	echo "|---|---|---|---|---|---|---|"
	echo "| docker | $dk_wall ms | $(pods_s $dk_wall) | $(per $dk_cpu) ms | | | |"
	echo "| kubernetes (stand-in, HTTPS) | $k8_wall ms | $(pods_s $k8_wall) | $(per $k8_cpu) ms | $(per $((r1 - r0))) | $(per $((bi1 - bi0))) / $(per $((bo1 - bo0))) | $(per $((e1 - e0))) |"
} >"$out"
cat "$out"
