#!/bin/sh
# The kubernetes provider end to end, against the API stand-in (standin.mjs)
# whose pods are real Docker containers running the real hodei-worker image.
# One stand-in, one image and one hodeid for all the cases (CI time):
#   kubectl    Debian's kubectl gets, logs and deletes pods on the stand-in
#   docker-tls the docker provider's tcp:// endpoint with DOCKER_TLS_VERIFY and
#              DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), through a proxy
#              that asks for the client certificate
#   refuse     a missing namespace, a bad kubeconfig, an unknown option are
#              refused when the provider is registered, the field named
#   incluster  the service account directory (token, ca.crt, namespace) and
#              KUBERNETES_SERVICE_HOST/PORT, as in a pod
#   orphans    a pod left by an earlier hodeid is removed at start
#   runs       a job runs in a pod: non-root, read-only root, limits from
#              --memory, labels from the job; the pod is gone afterwards
#   pending    ImagePullBackOff / Unschedulable: the worker fails after
#              pending_timeout_ms with the reason, the provider is Unhealthy
#              saying it, the job waits (QUEUED) and runs once pods start
#   invalid    InvalidImageName fails the worker at once
#   oom        an OOMKilled pod: the job fails with reason OOMKilled
#   evicted    an evicted pod: the job fails with the eviction message
#   throttle   429 with Retry-After on create: the pod is created after it
#   expired    the watch's version expires (410): relist, the job completes
#   down       API unreachable: Unhealthy, the job waits, runs when it is back
#   forbidden  403 (RBAC) and 401 (token): Unhealthy with the API's message
# Usage: e2e.sh HODEID HODEI_JOBS_CLI DK_SEED ENSURE_DOCKERD [CASE...]
set -eu
[ "${HODEI_E2E_TRACE:-0}" = 1 ] && set -x
HODEID=$1 CLI=$2 SEED=$3 ENSURE=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../docker/common.sh"
need_dockerd "$ENSURE"
[ -d "$here/node_modules/kubernetes-models" ] ||
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >/dev/null
dir=$(mktemp -d /tmp/hodei-k8s-e2e.XXXXXX)
IMAGE=${HODEI_WORKER_IMAGE:-hodei-worker:k8s-e2e}
unset HODEI_SERVER KUBECONFIG KUBERNETES_SERVICE_HOST
pid= spid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	[ -f "$dir/hodeid.log" ] && tail -25 "$dir/hodeid.log"
	[ -f "$dir/standin.log" ] && tail -10 "$dir/standin.log"
	exit 1
}
WANT=" $* "
case_on() { [ "$WANT" = "  " ] || echo "$WANT" | grep -q " $1 "; }

# ---- a CA, the stand-in (HTTPS), the image, kubeconfigs ----
# hodeid authenticates with a bearer token, kubectl with a client certificate.
pki() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=standin-ca \
		-keyout "$dir/ca.key" -out "$dir/ca.crt"
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$dir/server.key" \
		-out "$dir/server.csr"
	printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san"
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 2 -extfile "$dir/san" -out "$dir/server.crt"
	openssl req -newkey rsa:2048 -nodes -subj '/CN=tester/O=system:masters' \
		-keyout "$dir/client.key" -out "$dir/client.csr"
	openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-CAcreateserial -days 2 -out "$dir/client.crt"
}
pki >/dev/null 2>&1 || fail "openssl: cannot make the test CA"
node "$here/standin.mjs" --port-file "$dir/standin.ports" --token s3cret --namespace hodei \
	--tls-cert "$dir/server.crt" --tls-key "$dir/server.key" --client-ca "$dir/ca.crt" \
	>"$dir/standin.log" 2>&1 &
spid=$!
until_true 30 test -f "$dir/standin.ports" || fail "the stand-in did not start"
api=$(sed -n 's/^api=//p' "$dir/standin.ports")
ctl=$(sed -n 's/^control=//p' "$dir/standin.ports")
control() {
	body=${2:-'{}'}
	curl -sf --max-time 10 -X POST "http://127.0.0.1:$ctl/$1" -d "$body" >/dev/null || fail "control $1"
}
"$HODEID" image build -t "$IMAGE" >/dev/null || fail "cannot build $IMAGE"
cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster:
    server: https://127.0.0.1:$api
    certificate-authority: ca.crt
contexts:
- name: hodei
  context: {cluster: standin, user: hodeid, namespace: hodei}
- name: admin
  context: {cluster: standin, user: admin, namespace: hodei}
current-context: hodei
users:
- name: hodeid
  user:
    token: s3cret
- name: admin
  user:
    client-certificate-data: $(base64 -w0 "$dir/client.crt")
    client-key-data: $(base64 -w0 "$dir/client.key")
EOF
export KUBECONFIG="$dir/kubeconfig"
kc() { timeout 30 kubectl --kubeconfig "$dir/kubeconfig" --context admin "$@"; }
pod_count() { kc get pods -n hodei -l "hodei.io/provider=$1" -o json | grep -c '"kind": "Pod"' || true; }
no_pods() { [ "$(pod_count "$1")" = 0 ]; }

# ---- kubectl against the stand-in ----
if case_on kubectl; then
	curl -sf --cacert "$dir/ca.crt" -X POST -H 'Authorization: Bearer s3cret' \
		"https://127.0.0.1:$api/api/v1/namespaces/hodei/pods" -d '{"apiVersion":"v1","kind":"Pod",
		"metadata":{"name":"kubectl-check"},"spec":{"containers":[{"name":"c","image":"'"$IMAGE"'",
		"command":["/bin/sh","-c","echo hello from the pod; sleep 60"]}]}}' >/dev/null ||
		fail "cannot create a pod"
	running() { kc get pod kubectl-check -n hodei -o json | grep -q '"phase": "Running"'; }
	until_true 30 running || fail "kubectl: the pod does not run: $(kc get pod kubectl-check -n hodei -o json)"
	kc get pods -n hodei -o json | grep -q '"name": "kubectl-check"' || fail "kubectl get pods -o json"
	logged() { kc logs kubectl-check -n hodei | grep -q 'hello from the pod'; }
	until_true 10 logged || fail "kubectl logs: $(kc logs kubectl-check -n hodei 2>&1)"
	kc delete pod kubectl-check -n hodei | grep -q 'deleted' || fail "kubectl delete pod"
	kc get pod kubectl-check -n hodei 2>&1 | grep -q 'NotFound' || fail "kubectl: the pod is still there"
	echo "ok kubectl"
fi

# ---- the docker provider's tcp:// with TLS client certificates ----
if case_on docker-tls; then
	mkdir -p "$dir/certs"
	cp "$dir/ca.crt" "$dir/certs/ca.pem"
	cp "$dir/client.crt" "$dir/certs/cert.pem"
	cp "$dir/client.key" "$dir/certs/key.pem"
	node "$here/docker-tls-proxy.mjs" "$dir/server.crt" "$dir/server.key" "$dir/ca.crt" \
		"$dir/proxy.port" >>"$dir/standin.log" 2>&1 &
	ppid=$!
	until_true 30 test -s "$dir/proxy.port" || fail "the TLS proxy did not start"
	ep=tcp://127.0.0.1:$(cat "$dir/proxy.port")
	out=$(DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$dir/certs" "$HODEID" image build -e "$ep" \
		-t hodei-worker:k8s-tls 2>&1) || { kill $ppid; fail "image build over TLS: $out"; }
	out=$(DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$dir/nowhere" "$HODEID" image build -e "$ep" \
		-t hodei-worker:k8s-tls 2>&1) && { kill $ppid; fail "no certificates, yet it worked"; }
	echo "$out" | grep -q "DOCKER_CERT_PATH: cannot read $dir/nowhere/ca.pem" || { kill $ppid; fail "missing certs: $out"; }
	out=$(DOCKER_TLS_VERIFY= "$HODEID" image build -e "$ep" -t hodei-worker:k8s-tls 2>&1) &&
		{ kill $ppid; fail "plain HTTP to a TLS port worked"; }
	kill $ppid
	wait $ppid 2>/dev/null || true
	echo "ok docker-tls"
fi

# ---- refused at registration ----
seed() { "$SEED" "$dir/data/hodei.db" "$@" 2>&1; }
mkdir -p "$dir/data"
if case_on refuse; then
	out=$(seed k8sbad '{"namespace":"nowhere"}' 1 kubernetes) && fail "a missing namespace was accepted"
	echo "$out" | grep -q 'options.namespace: namespaces "nowhere" not found' || fail "namespace: $out"
	echo 'clusters: [' >"$dir/broken"
	out=$(seed k8sbad '{"kubeconfig":"'"$dir/broken"'"}' 1 kubernetes) && fail "a broken kubeconfig was accepted"
	echo "$out" | grep -q 'options.kubeconfig: .*not YAML' || fail "kubeconfig: $out"
	out=$(seed k8sbad '{"kubeconfig":"'"$dir/kubeconfig"'","context":"nope"}' 1 kubernetes) && fail "a missing context was accepted"
	echo "$out" | grep -q 'options.context: context "nope"' || fail "context: $out"
	out=$(seed k8sbad '{"imagee":"x"}' 1 kubernetes) && fail "an unknown option was accepted"
	echo "$out" | grep -q 'options.imagee: unknown option' || fail "unknown option: $out"
	echo "ok refuse"
fi

# ---- in-cluster: the service account's token, CA and namespace files ----
if case_on incluster; then
	mkdir -p "$dir/sa"
	cp "$dir/ca.crt" "$dir/sa/ca.crt"
	printf 's3cret\n' >"$dir/sa/token"
	printf 'nowhere' >"$dir/sa/namespace"
	ic() { KUBECONFIG= KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$api \
		"$SEED" "$dir/ic.db" k8sic '{"service_account_dir":"'"$dir/sa"'"}' 1 kubernetes 2>&1; }
	out=$(ic) && fail "in-cluster: the service account's missing namespace was accepted"
	echo "$out" | grep -q 'options.namespace: namespaces "nowhere" not found' || fail "in-cluster: $out"
	printf 'hodei' >"$dir/sa/namespace"
	out=$(ic) || fail "in-cluster: $out"
	rm "$dir/sa/token"
	out=$(ic) && fail "in-cluster without a token was accepted"
	echo "$out" | grep -q "options.service_account_dir: cannot read $dir/sa/token" || fail "in-cluster: $out"
	echo "ok incluster"
fi

# ---- hodeid with two providers: k8s (the runs) and k8sp (failures, short timeouts) ----
common='"namespace":"hodei","image":"'"$IMAGE"'","labels":{"team":"ci"}'
seed k8s '{'"$common"',"ephemeral":true}' 2 kubernetes >/dev/null || fail "cannot register k8s"
seed k8sp '{'"$common"',"pending_timeout_ms":1500,"ephemeral":true}' 1 kubernetes >/dev/null ||
	fail "cannot register k8sp"
# an orphan from "an earlier hodeid"
curl -sf --cacert "$dir/ca.crt" -X POST -H 'Authorization: Bearer s3cret' \
	"https://127.0.0.1:$api/api/v1/namespaces/hodei/pods" \
	-d '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"hodei-k8s-old","labels":{"hodei.io/provider":"k8s"}},
	"spec":{"containers":[{"name":"c","image":"'"$IMAGE"'","command":["sleep","300"]}]}}' >/dev/null ||
	fail "cannot create the orphan"
start_hodeid
orphan_gone() { ! kc get pod hodei-k8s-old -n hodei >/dev/null 2>&1; }
until_true 30 orphan_gone || fail "the orphan pod was not removed at start"
echo "ok orphans"

provider() { cli -o json providers get "$1"; }
provider_says() { provider "$1" | grep -q "$2"; }
job_state() { cli -o json jobs get "$1" | grep -o '"state": *"[A-Z_]*"' | grep -o '[A-Z_]*"$' | tr -d '"'; }
job_is() { [ "$(job_state "$1")" = "$2" ]; }

if case_on runs; then
	out=$(cli jobs queue --id k-1 --provider k8s --shell --memory 64M --label app=e2e --follow --command \
		'echo uid=$(id -u); touch /rootfs-write 2>/dev/null || echo root-read-only; echo id=$HODEI_WORKER_ID;
		cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max') ||
		fail "k-1 failed: $out"
	echo "$out" | grep -q 'uid=65532' || fail "not the non-root user: $out"
	echo "$out" | grep -q 'root-read-only' || fail "the root filesystem is writable: $out"
	echo "$out" | grep -q '^67108864' || fail "no 64M memory limit: $out"
	until_true 60 no_pods k8s || fail "pod left behind: $(kc get pods -n hodei)"
	echo "ok runs"
fi

if case_on pending; then
	control pending '{"reason":"ImagePullBackOff","count":1}'
	cli jobs queue --id k-pend --provider k8sp --shell --command 'echo ran-after-pending' >/dev/null
	until_true 30 provider_says k8sp 'ImagePullBackOff' || fail "no ImagePullBackOff: $(provider k8sp)"
	provider_says k8sp 'stayed Pending for 1500 ms' || fail "reason: $(provider k8sp)"
	job_is k-pend QUEUED || fail "the job did not wait: $(job_state k-pend)"
	done_ok() { job_is k-pend SUCCEEDED; }
	until_true 90 done_ok || fail "k-pend did not run once pods started: $(job_state k-pend)"
	control pending '{"reason":"Unschedulable","count":1}'
	cli jobs queue --id k-unsched --provider k8sp --shell --command 'true' >/dev/null
	until_true 30 provider_says k8sp 'Unschedulable: 0/3 nodes are available' ||
		fail "no Unschedulable: $(provider k8sp)"
	until_true 90 job_is k-unsched SUCCEEDED || fail "k-unsched: $(job_state k-unsched)"
	echo "ok pending"
fi

if case_on invalid; then
	control pending '{"reason":"InvalidImageName","count":1}'
	cli jobs queue --id k-inv --provider k8sp --shell --command 'true' >/dev/null
	until_true 30 provider_says k8sp 'cannot start: InvalidImageName' || fail "no InvalidImageName: $(provider k8sp)"
	until_true 90 job_is k-inv SUCCEEDED || fail "k-inv: $(job_state k-inv)"
	echo "ok invalid"
fi

kill_pod_when_running() { # JOB HOW
	until_true 60 job_is "$1" RUNNING || fail "$1 never ran"
	wid=$(cli -o json jobs get "$1" | sed -n 's/.*"worker_id":"\([^"]*\)".*/\1/p')
	[ -n "$wid" ] || fail "no worker for $1"
	name=hodei-$wid # the pod of the job's worker
	control kill '{"name":"'"$name"'","how":"'"$2"'"}'
}
# A lost worker is not the job's fault: the library queues the job again
# (a few times more than its retries), and its log says why it was lost.
said() { cli logs "$1" 2>/dev/null | grep -q "$2"; }
# pod_killed CASE JOB HOW PATTERN: the pod of a running job is OOM-killed or
# evicted; the job's log says so.
pod_killed() {
	case_on "$1" || return 0
	cli jobs queue --id "$2" --provider k8s --shell --command 'sleep 120' >/dev/null
	kill_pod_when_running "$2" "$3"
	until_true 60 said "$2" "$4" || fail "$1: not in the log: $(cli logs "$2" 2>&1)"
	cli jobs cancel "$2" >/dev/null
	echo "ok $1"
}
pod_killed oom k-oom OOMKilled 'worker lost: kubernetes provider k8s: pod hodei-k8s-[0-9]* was OOMKilled: the job'
pod_killed evicted k-evict Evicted 'was Evicted: The node was low on resource: memory'

if case_on throttle; then
	control fault '{"op":"create","status":429,"retryAfter":1,"count":2}'
	out=$(cli jobs queue --id k-429 --provider k8s --shell --follow --command 'echo after-429') || fail "k-429: $out"
	echo "$out" | grep -q after-429 || fail "k-429 output: $out"
	echo "ok throttle"
fi

if case_on expired; then
	lists() { curl -sf "http://127.0.0.1:$ctl/stats" | sed 's/.*"list":{"requests":\([0-9]*\).*/\1/'; }
	before=$(lists)
	cli jobs queue --id k-410 --provider k8s --shell --command 'sleep 2; echo after-410' >/dev/null
	until_true 60 job_is k-410 RUNNING || fail "k-410 never ran"
	control expire
	until_true 90 job_is k-410 SUCCEEDED || fail "k-410: $(job_state k-410)"
	[ "$(lists)" -gt "$before" ] || fail "no relist after 410"
	echo "ok expired"
fi

if case_on down; then
	control down
	until_true 30 provider_says k8s 'cannot reach the Kubernetes API' || fail "not Unhealthy: $(provider k8s)"
	cli jobs queue --id k-down --provider k8s --shell --command 'echo after-outage' >/dev/null
	job_is k-down QUEUED || fail "k-down: $(job_state k-down)"
	control up
	until_true 90 job_is k-down SUCCEEDED || fail "k-down after the outage: $(job_state k-down)"
	echo "ok down"
fi

if case_on forbidden; then
	control fault '{"op":"list","status":403,"count":1000}'
	control fault '{"op":"watch","status":403,"count":1000}'
	control expire
	until_true 30 provider_says k8s 'cannot list resource \\"pods\\" in API group' ||
		fail "no RBAC message: $(provider k8s)"
	control clear
	until_true 30 provider_says k8s '"ACTIVE"' || fail "not back after 403: $(provider k8s)"
	control token '{"token":"rotated"}'
	control expire
	until_true 30 provider_says k8s 'Unauthorized' || fail "no 401 message: $(provider k8s)"
	control token '{"token":"s3cret"}'
	echo "ok forbidden"
fi

kill "$pid"
# a clean exit: under ASan, LeakSanitizer's report would make it fail
wait "$pid" || fail "hodeid exited with status $? on SIGTERM"
pid=
echo "ok"
