#!/usr/bin/env bash
# scripts/build.sh is quiet when the build works and shows the build's whole
# output when it fails (a newcomer must see the compiler's error). A build dir
# with a hand-written build.ninja stands in for meson's, so no compiler runs.
set -euo pipefail
build_sh=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir "$tmp/ok" "$tmp/broken"
cat >"$tmp/ok/build.ninja" <<'NINJA'
rule noisy
  command = echo compiling things quietly; touch $out
build out.txt: noisy
NINJA
cat >"$tmp/broken/build.ninja" <<'NINJA'
rule broken
  command = echo 'dk_image.c:42:7: error: the compiler says why' >&2; exit 1
build out.txt: broken
NINJA

out=$("$build_sh" "$tmp/ok" 2>&1) || fail "a build that works failed: $out"
[ -z "$out" ] || fail "a build that works printed: $out"

rc=0; out=$("$build_sh" "$tmp/broken" 2>&1) || rc=$?
[ $rc -ne 0 ] || fail "a broken build exited 0"
grep -q 'dk_image.c:42:7: error: the compiler says why' <<<"$out" ||
	fail "the compiler's error is not shown; the output was: $out"
echo "ok: quiet on success, the error shown on failure"
