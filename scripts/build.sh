#!/usr/bin/env bash
# Configure (once) and build Hodei into build/ (or $1), with the given meson options.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
shift || true
cd "$root"
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir" -j2 >/dev/null
