#!/usr/bin/env bash
# Configure and build Hodei into build/ (or $1), with the given meson options
# (applied to an existing build dir too). Quiet when it works; when meson or
# ninja fails, their whole output is shown, so the error is on the screen.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
shift || true
cd "$root"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# run a command with its output kept aside; show it all if the command fails
quiet() {
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		echo "build.sh: failed: $*" >&2
		exit 1
	fi
}

if [ ! -f "$dir/build.ninja" ]; then
	quiet meson setup "$dir" "$@"
elif [ $# -gt 0 ]; then
	quiet meson configure "$dir" "$@"
fi
quiet ninja -C "$dir" -j2
