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

# start_hodeid: hodeid on $dir/data (HODEID), gRPC on a free port (-> $port,
# its pid in $pid), no local provider; `cli` talks to it (CLI).
start_hodeid() {
	rm -f "$dir/ports"
	"$HODEID" --data-dir "$dir/data" -g 127.0.0.1:0 -H off --port-file "$dir/ports" \
		--no-local-provider >>"$dir/hodeid.log" 2>&1 &
	pid=$!
	until_true 30 test -f "$dir/ports" || fail "hodeid did not start"
	port=$(sed -n 's/^grpc=//p' "$dir/ports")
}
cli() { timeout 120 "$CLI" --server "127.0.0.1:$port" "$@"; }
