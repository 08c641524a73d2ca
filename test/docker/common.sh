# Shared by the docker shell tests (e2e.sh, attack.sh): sourced, not run.

# need_dockerd ENSURE_DOCKERD: dockerd answers, or skip (exit 77); a failure
# instead with HODEI_DOCKER_REQUIRED=1 (-Ddocker_tests=enabled).
need_dockerd() {
	if ! "$1"; then
		echo "SKIP: dockerd is not running and could not be started"
		[ "${HODEI_DOCKER_REQUIRED:-0}" = 1 ] && exit 1
		exit 77
	fi
}

# until_true SECONDS COMMAND...: poll a condition, bounded.
until_true() {
	n=$(($1 * 5)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; n=$((n - 1)); sleep 0.2; done
	return 1
}
