#!/usr/bin/env bash
# The chaos suite against a build: test/chaos/run.sh [--full] [BUILD_DIR]
# Without --full: the bounded run that CI does (meson test --suite chaos).
# With --full: thousands of jobs and tens of kills; figures for BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
full=
if [ "${1:-}" = --full ]; then full=--full; shift; fi
build=${1:-$root/build}
export HODEID=$build/tools/hodeid/hodeid
export HODEI_JOBS_CLI=$build/tools/hodei-jobs-cli/hodei-jobs-cli
export HODEI_WORKER_BIN=$build/tools/hodei-worker/hodei-worker
python3 "$root/test/chaos/graceful.py"
python3 "$root/test/chaos/crash_spawn.py"
python3 "$root/test/chaos/chaos.py" $full
