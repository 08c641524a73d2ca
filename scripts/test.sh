#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it
# needs, builds, runs every test, then the sanitizer runs (ASan+UBSan on
# everything, TSan on the suite 'threads'), a clang build, and set-up plus
# build in a fresh Debian 12 root.
#   scripts/test.sh            everything
#   QUICK=1 scripts/test.sh    skip the sanitizer runs, the clang build, the
#                              fuzz minute and the fresh root
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"

status=0
summary=()
step() { echo; echo "=== $*"; current="$*"; }
# record how the current step ended: ok or FAILED (with the failed tests'
# names, so the summary at the end of a long log says which)
result() {
	if [ "$1" -eq 0 ] && [ -n "${2:-}" ] && skipped "$2"; then
		summary+=("FAILED  $current (tests were skipped: a skipped test is not a pass)"); status=1
	elif [ "$1" -eq 0 ]; then summary+=("ok      $current")
	else
		summary+=("FAILED  $current${2:+: $(failed_tests "$2")}"); status=1
	fi
}

# names of the tests meson reported as failed or timed out in build dir $1
failed_tests() {
	python3 - "$1/meson-logs/testlog.json" <<'PY' 2>/dev/null || echo "(no test log)"
import json, sys
bad = [t["name"] + " (" + t["result"] + ")" for t in map(json.loads, open(sys.argv[1]))
       if t.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL")]
print(", ".join(bad) or "the build")
PY
}

# names of the tests meson reported as skipped in build dir $1
skipped() {
	python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
names = [t["name"] for t in map(json.loads, open(sys.argv[1])) if t.get("result") == "SKIP"]
print("\n".join(names), file=sys.stderr)
sys.exit(0 if names else 1)
PY
}

step "build and test (build/)"
# docker_tests=enabled: a dockerd that cannot start fails the docker suite
scripts/build.sh build -Ddocker_tests=enabled
# start dockerd now if none runs (the docker tests also try; failing there is a failure)
test/docker/ensure-dockerd.sh || echo "dockerd could not be started: the docker tests will fail"
rc=0; meson test -C build --num-processes 2 --print-errorlogs || rc=1; result $rc build

if [ -z "${QUICK:-}" ]; then
	# The microvm suite boots real VMs (minutes): it runs once, in build/ above.
	step "sanitizer build and test (build-asan/: ASan + UBSan)"
	rc=0
	scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --num-processes 2 --print-errorlogs \
		--no-suite slow --no-suite web --no-suite microvm --no-suite chaos || rc=1
	result $rc build-asan
fi

if [ -z "${QUICK:-}" ]; then
	# Only what drives libhodei from several threads (suite 'threads'): the
	# own-loop mode, provider updates, subscriptions, close.  libevent and
	# SQLite are not instrumented; every cross-thread hand-off goes through
	# pthread primitives, which TSan sees.
	step "thread sanitizer build and test (build-tsan/: TSan, suite threads)"
	rc=0
	[ -f build-tsan/build.ninja ] || meson setup build-tsan -Db_sanitize=thread \
		-Db_lundef=false -Dbuildtype=debug >/dev/null
	ninja -C build-tsan build.ninja >/dev/null # meson files changed: regenerate first
	tsan_targets=$(meson test -C build-tsan --list --suite threads --no-rebuild 2>/dev/null |
		sed -n 's|.* / integration_\(.*\)$|test/integration/test_\1|p')
	ninja -C build-tsan -j2 $tsan_targets || rc=1
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		meson test -C build-tsan --no-rebuild --num-processes 2 --print-errorlogs \
		--suite threads || rc=1
	result $rc build-tsan
fi

if [ -z "${QUICK:-}" ]; then
	# a second compiler, warnings still errors: clang sees what gcc does not
	step "clang build and unit tests (build-clang/)"
	rc=0; t0=$SECONDS
	{ CC=clang scripts/build.sh build-clang &&
		meson test -C build-clang --suite unit --num-processes 2 --print-errorlogs; } || rc=1
	current="$current, $((SECONDS - t0)) s"; result $rc build-clang
fi

if [ -x web/scripts/test.sh ]; then
	step "web dashboard: vitest and end-to-end in chromium"
	rc=0; web/scripts/test.sh "$root/build/tools/hodeid/hodeid" || rc=1; result $rc
fi

if [ -z "${QUICK:-}" ] && [ -x test/fuzz/run.sh ]; then
	step "fuzzing the gRPC request path for a minute"
	rc=0; FUZZ_SECONDS=60 test/fuzz/run.sh build || rc=1; result $rc
fi

if [ -z "${QUICK:-}" ]; then
	# what a newcomer's fresh Debian 12 gets from scripts/setup.sh is enough
	# to build and pass the unit tests (debootstrap root; minutes)
	step "fresh Debian 12 root: set-up, build, unit tests (scripts/fresh-root-check.sh)"
	rc=0; t0=$SECONDS
	scripts/fresh-root-check.sh || rc=1
	current="$current, $((SECONDS - t0)) s"; result $rc
fi

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
if [ $status -eq 0 ]; then echo "ALL TESTS PASSED"; else echo "SOME TESTS FAILED"; fi
exit $status
