#!/bin/sh
# The microvm provider end to end: hodeid, hodei-jobs-cli and real VMs (QEMU
# -M microvm under TCG software emulation: no KVM is needed or used) booting
# the host's Debian kernel with the initramfs the provider builds, running
# the real hodei-worker.  Each boot costs seconds, so few are made.
#
# Usage: e2e.sh qemu|firecracker HODEID HODEI_JOBS_CLI SEED
#  qemu:
#   1. a provider whose kernel is missing is Unhealthy, naming the package;
#   2. a job with --cpu 2 --memory 200M runs in a VM (pid 1 is our /init,
#      2 vCPUs, ~264 MiB), as nobody, with no token on /proc/cmdline and the
#      config drive unreadable; the network isolated (hodeid's gRPC port on
#      the host's loopback unreachable, only the forwarded worker socket
#      is); its log streams; the VM is gone afterwards;
#   3. a second job gets a new VM (ephemeral); hodeid is killed (-9) while it
#      runs, the VM outlives it, and the next hodeid kills it at start; the
#      job then runs again to the end in a third VM;
#   4. a VM whose init never starts the agent is killed when the registration
#      deadline passes, with the last console lines as the reason.
#  firecracker: one job through the firecracker backend against
#   fc-standin.py, which checks each API request against Firecracker's API
#   schemas and then boots the same kernel and initramfs with QEMU.
set -eu
[ "${HODEI_E2E_TRACE:-0}" = 1 ] && set -x
MODE=$1 HODEID=$2 CLI=$3 SEED=$4
here=$(cd "$(dirname "$0")" && pwd)
unset HODEI_SERVER HODEI_MICROVM_DIR # hodeid sets them from its port and data dir
. "$here/../docker/common.sh" # until_true
for need in qemu-system-x86_64; do
	command -v $need >/dev/null || { echo "FAIL: $need missing: scripts/setup.sh installs qemu-system-x86"; exit 1; }
done
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "FAIL: no /boot/vmlinuz-*: scripts/setup.sh installs linux-image-amd64"; exit 1; }
dir=$(mktemp -d /tmp/hodei-mv-e2e.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	for f in "$dir"/data/microvm/*/*/pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	[ -f "$dir/hodeid.log" ] && tail -20 "$dir/hodeid.log"
	for c in "$dir"/data/microvm/*/*/console.log; do [ -f "$c" ] && { echo "== $c"; tail -15 "$c"; }; done
	exit 1
}
start_hodeid() {
	rm -f "$dir/ports"
	"$HODEID" --data-dir "$dir/data" -g 127.0.0.1:0 -H off --port-file "$dir/ports" \
		--no-local-provider >>"$dir/hodeid.log" 2>&1 &
	pid=$!
	until_true 30 test -f "$dir/ports" || fail "hodeid did not start"
	port=$(sed -n 's/^grpc=//p' "$dir/ports")
}
cli() { timeout 900 "$CLI" --server "127.0.0.1:$port" "$@"; }
state() { cli -o json jobs get "$1" | grep -o '"state": *"[A-Z_]*"' | cut -d'"' -f4; }
is_state() { [ "$(state "$1")" = "$2" ]; }
vm_dirs() { find "$dir/data/microvm/$1" -mindepth 1 -maxdepth 1 -type d 2>/dev/null; }
no_vms() { [ -z "$(vm_dirs "$1")" ]; }
gone() { [ ! -d "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
# An orderly stop at the end: the provider's destroy runs, and under ASan a
# leak or any sanitizer report fails the test.
stop_hodeid() {
	kill -TERM "$pid"
	rc=0; wait "$pid" || rc=$?
	pid=
	[ "$rc" = 0 ] || fail "hodeid exited with $rc on SIGTERM"
	if grep -q 'Sanitizer\|runtime error' "$dir/hodeid.log"; then
		grep -A20 'Sanitizer\|runtime error' "$dir/hodeid.log" | head -40
		fail "sanitizer report from hodeid"
	fi
}
mkdir -p "$dir/data"
# registering a provider starts it once: its files go aside, not into the cwd
seed() { HODEI_MICROVM_DIR="$dir/seed-vm" "$SEED" "$@"; }

if [ "$MODE" = firecracker ]; then
	seed "$dir/data/hodei.db" fc "{\"backend\": \"firecracker\", \"vmm\": \"$here/fc-standin.py\", \"accel\": \"tcg\", \"register_timeout_ms\": 900000}" 1 microvm ||
		fail "cannot register the provider"
	# the stand-in refuses what Firecracker refuses
	sock="$dir/check.sock"
	"$here/fc-standin.py" --api-sock "$sock" >"$dir/check.log" 2>&1 &
	checker=$!
	until_true 30 test -S "$sock" || fail "the stand-in did not listen"
	bad=$(curl -s --unix-socket "$sock" -X PUT -d '{"vcpu_count": 0, "mem_size_mib": 128}' http://localhost/machine-config)
	kill "$checker"
	echo "$bad" | grep -q 'fault_message.*vcpu_count: below 1' || fail "stand-in accepted vcpu_count 0: $bad"
	export FC_STANDIN_LOG="$dir/fc.log"
	start_hodeid
	out=$(cli jobs queue --id fc-1 --provider fc --shell --cpu 2 --memory 100M --follow \
		--command 'grep -q /init /proc/1/cmdline && echo pid1-is-hodei-init; echo vcpus=$(nproc); echo job=$HODEI_JOB_ID') ||
		fail "job fc-1 failed: $out"
	echo "$out"
	echo "$out" | grep -q pid1-is-hodei-init || fail "not in the VM"
	echo "$out" | grep -q vcpus=2 || fail "machine-config vcpu_count not applied"
	echo "$out" | grep -q job=fc-1 || fail "log did not stream"
	cat "$dir/fc.log"
	[ "$(grep -c '^PUT .* -> 204$' "$dir/fc.log")" = 5 ] || fail "not 5 accepted API requests"
	for p in /boot-source /machine-config /drives/config /network-interfaces/eth0 /actions; do
		grep -q "^PUT $p -> 204" "$dir/fc.log" || fail "no PUT $p"
	done
	until_true 60 no_vms fc || fail "VM left behind"
	stop_hodeid
	echo "firecracker stand-in: every request valid, job ran"
	echo "1 passed, 0 failed"
	exit 0
fi

seed "$dir/data/hodei.db" mv '{"register_timeout_ms": 900000}' 1 microvm || fail "seed mv"
seed "$dir/data/hodei.db" mv-nokernel '{"kernel": "/nonexistent/vmlinuz"}' 1 microvm || fail "seed mv-nokernel"
seed "$dir/data/hodei.db" mv-hang '{"kernel_args": "rdinit=/bin/sleep -- 3600", "register_timeout_ms": 15000}' 1 microvm ||
	fail "seed mv-hang"
start_hodeid

# 1. missing kernel: Unhealthy, with the package to install
nk=$(cli providers get mv-nokernel)
echo "$nk" | grep -q UNHEALTHY || fail "mv-nokernel not unhealthy: $nk"
echo "$nk" | grep -q 'linux-image-amd64' || fail "mv-nokernel does not say what to install: $nk"
cli providers get mv | grep -q 'TCG' || fail "mv does not report TCG: $(cli providers get mv)"
cli providers get mv | grep -q 'network isolated' || fail "mv not isolated: $(cli providers get mv)"
echo "ok 1 missing kernel: $(echo "$nk" | grep Message)"

# 2. one job in a VM, checked from inside
out=$(cli jobs queue --id mv-1 --provider mv --shell --cpu 2 --memory 200M --follow --command '
	grep -q /init /proc/1/cmdline && echo pid1-is-hodei-init
	echo vcpus=$(nproc)
	echo mem_mib=$(( $(sed -n "s/^MemTotal: *\([0-9]*\).*/\1/p" /proc/meminfo) / 1024 ))
	echo uid=$(id -u)
	grep -qi token /proc/cmdline && echo TOKEN-ON-CMDLINE
	cat /dev/vda >/dev/null 2>&1 && echo CONFIG-DRIVE-READABLE
	nc -w 3 10.0.2.2 '"$port"' </dev/null >/dev/null 2>&1 && echo HOST-LOOPBACK-REACHABLE
	nc -w 3 10.0.2.100 50051 </dev/null >/dev/null 2>&1 && echo WORKER-SOCKET-REACHABLE
	echo job=$HODEI_JOB_ID') || fail "job mv-1 failed: $out"
echo "$out"
echo "$out" | grep -q pid1-is-hodei-init || fail "not in the VM"
echo "$out" | grep -q vcpus=2 || fail "vCPUs not from --cpu 2"
mem=$(echo "$out" | sed -n 's/^mem_mib=//p')
[ "$mem" -ge 200 ] && [ "$mem" -le 300 ] || fail "guest memory $mem MiB, not 200M + room"
echo "$out" | grep -q uid=65534 || fail "job not run as nobody"
echo "$out" | grep -q TOKEN-ON-CMDLINE && fail "token on the kernel command line"
echo "$out" | grep -q CONFIG-DRIVE-READABLE && fail "job can read the config drive"
echo "$out" | grep -q job=mv-1 || fail "log did not stream"
echo "$out" | grep -q HOST-LOOPBACK-REACHABLE && fail "a job in an isolated VM reached hodeid's API port"
echo "$out" | grep -q WORKER-SOCKET-REACHABLE || fail "nc cannot reach even the forwarded worker socket"
until_true 60 no_vms mv || fail "VM left behind after an ephemeral job: $(vm_dirs mv)"
echo "ok 2 job in a VM (2 vCPUs, $mem MiB), VM destroyed after it"

# 3. a second job, a new VM; kill -9 of hodeid; the stale VM killed at the next start
cli jobs queue --id mv-2 --provider mv --shell --command \
	'if [ "$HODEI_JOB_ATTEMPT" = 1 ]; then echo first-attempt; sleep 600; fi; echo second-done' >/dev/null
until_true 900 is_state mv-2 RUNNING || fail "mv-2 never ran"
vm=$(vm_dirs mv)
[ -n "$vm" ] || fail "no VM for mv-2"
vmpid=$(cat "$vm/pid")
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
gone "$vmpid" && fail "the VM went away with hodeid"
start_hodeid
until_true 30 gone "$vmpid" || fail "stale VM $vmpid not killed at start"
cli providers get mv | grep -q 'killed 1 VMs of a previous run' || fail "no word of the stale VM: $(cli providers get mv)"
echo "ok 3a stale VM (pid $vmpid) of the killed hodeid killed at start"
until_true 900 is_state mv-2 SUCCEEDED || fail "mv-2 did not finish after the restart: $(state mv-2)"
cli logs mv-2 | grep -q second-done || fail "mv-2 attempt 2 output missing"
until_true 60 no_vms mv || fail "VM left behind after mv-2"
echo "ok 3b second job ran to the end in a new VM"

# 4. a VM that never registers is killed with its console as the reason
cli jobs queue --id mv-3 --provider mv-hang --shell --command 'true' >/dev/null
until_true 300 grep -q 'did not register within 15000 ms' "$dir/hodeid.log" || fail "no registration deadline"
line=$(grep 'did not register within 15000 ms' "$dir/hodeid.log" | head -1)
echo "$line"
echo "$line" | grep -q 'console: ' || fail "no console lines in the reason"
echo "$line" | grep -q 'console: (nothing printed)' && fail "the console was empty"
shows_failure() { cli providers get mv-hang | grep -q 'last failure: .*did not register'; }
until_true 30 shows_failure || fail "provider does not show the failure: $(cli providers get mv-hang)"
cli jobs cancel mv-3 >/dev/null || true
echo "ok 4 VM that never registered killed, console in the reason"
stop_hodeid
echo "5 passed, 0 failed"
