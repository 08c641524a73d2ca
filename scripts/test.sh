#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it
# needs, builds, runs every test, then the sanitizer (ASan+UBSan) run.
#   scripts/test.sh            everything
#   QUICK=1 scripts/test.sh    skip the sanitizer run and the fuzz minute
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"

status=0
step() { echo; echo "=== $*"; }

step "build and test (build/)"
scripts/build.sh build
meson test -C build --num-processes 2 --print-errorlogs || status=1

if [ -z "${QUICK:-}" ]; then
	step "sanitizer build and test (build-asan/: ASan + UBSan)"
	scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --num-processes 2 --print-errorlogs \
		--no-suite slow --no-suite python --no-suite web --no-suite docker || status=1
fi

if [ -x web/scripts/test.sh ]; then
	step "web dashboard: vitest and end-to-end in chromium"
	web/scripts/test.sh "$root/build/tools/hodeid/hodeid" || status=1
fi

if [ -z "${QUICK:-}" ] && [ -x test/fuzz/run.sh ]; then
	step "fuzzing the gRPC request path for a minute"
	test/fuzz/run.sh 60 || status=1
fi

echo
if [ $status -eq 0 ]; then echo "ALL TESTS PASSED"; else echo "SOME TESTS FAILED"; fi
exit $status
