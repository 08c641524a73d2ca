#!/usr/bin/env bash
# Install what building and testing Hodei needs on a fresh Debian 12 machine.
# Idempotent: packages already installed are not fetched again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

missing=()
while read -r pkg; do
	pkg=${pkg%%#*}
	pkg=$(echo "$pkg" | tr -d '[:space:]')
	[ -n "$pkg" ] || continue
	case "$pkg" in
	nodejs|npm) command -v "${pkg/nodejs/node}" >/dev/null 2>&1 && continue ;;
	# any kubectl will do (Google's kubectl package conflicts with Debian's)
	kubernetes-client) command -v kubectl >/dev/null 2>&1 && continue ;;
	esac
	dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < "$here/deps.txt"

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

# npm packages of the parts that have a lock file
for dir in "$root/web" "$root/test/rpc" "$root/test/kubernetes"; do
	if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules" -o "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
		echo "setup: npm ci in ${dir#$root/}" >&2
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	fi
done
