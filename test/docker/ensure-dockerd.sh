#!/bin/sh
# Make sure a Docker daemon answers on /var/run/docker.sock (or $DOCKER_HOST's
# unix socket), starting one when none runs.  CI calls this before the docker
# tests; tests also call it and skip (exit 77 from the test) when it fails.
#
# In this sandbox (no systemd) a plain `dockerd` works: overlay2, cgroup v1
# with memory and cpu controllers, iptables available.  If it does not start,
# a second try drops what sandboxes usually lack: --iptables=false
# --ip-masq=false (containers on the provider's bridge network, hodei-workers,
# then have no NAT to the internet and no inter-container isolation; the
# tests need neither).  Logs: ${HODEI_DOCKERD_LOG:-/tmp/hodei-dockerd.log}.
#
# exit 0: dockerd answers; exit 1: it could not be started (reason printed).
set -u
sock=/var/run/docker.sock
case "${DOCKER_HOST:-}" in unix://*) sock=${DOCKER_HOST#unix://} ;; esac
log=${HODEI_DOCKERD_LOG:-/tmp/hodei-dockerd.log}

ping() {
	curl -sf --max-time 3 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1
}

wait_up() {
	i=0
	while [ $i -lt 60 ]; do
		ping && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}

start() {
	setsid dockerd -H "unix://$sock" "$@" >>"$log" 2>&1 </dev/null &
	pid=$!
	if wait_up $pid; then
		echo "ensure-dockerd: dockerd $* started (pid $pid)"
		return 0
	fi
	kill $pid 2>/dev/null
	return 1
}

ping && exit 0
if ! command -v dockerd >/dev/null 2>&1; then
	echo "ensure-dockerd: dockerd is not installed (apt-get install docker.io)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "ensure-dockerd: no dockerd answers on $sock and only root can start one" >&2
	exit 1
fi
# A daemon still shutting down holds the pid file: wait for it (bounded).
# A stale pid file from a killed daemon blocks the next start.
if [ -f /var/run/docker.pid ]; then
	old=$(cat /var/run/docker.pid)
	i=0
	while [ -n "$old" ] && kill -0 "$old" 2>/dev/null && [ $i -lt 60 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	kill -0 "$old" 2>/dev/null || rm -f /var/run/docker.pid
fi
start && exit 0
start --iptables=false --ip-masq=false && exit 0
echo "ensure-dockerd: dockerd did not start; see $log" >&2
tail -5 "$log" >&2
exit 1
