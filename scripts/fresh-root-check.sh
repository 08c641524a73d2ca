#!/usr/bin/env bash
# Run set-up, the build and the unit tests in a fresh Debian 12 root, as a
# newcomer's machine would: a debootstrap minbase bookworm with nothing but
# what scripts/setup.sh installs. A package missing from scripts/deps.txt
# fails here, not on someone's laptop.
#
#   scripts/fresh-root-check.sh              set-up, build, unit tests
#   scripts/fresh-root-check.sh 'CMD'        run CMD in /src instead
#
# The root gets the repository at /src as a clone of HEAD would, plus this
# tree's uncommitted changes (to tracked files, and new files that git does
# not ignore): in CI, exactly HEAD.
#
# Needs root (debootstrap, chroot, mounts), or sudo. The debootstrap base is
# cached in $FRESH_CACHE (default /var/tmp/fresh-root-base) and copied for each
# run; downloaded .deb files are kept in $FRESH_APT_CACHE (default
# /var/tmp/fresh-root-apt) so that a second run fetches nothing again. It
# still installs every package: only the download is saved. Without either
# cache the run makes it (about four minutes more for the base). The exit
# status is the command's.
set -euo pipefail

say() { echo "fresh-root: $*" >&2; }

# the Debian mirror this machine uses (deb822 sources, else sources.list)
mirror() {
	local m
	m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null || true)
	echo "${m:-http://deb.debian.org/debian}"
}

# The base is made once, in a directory of its own that is renamed when
# complete: a run that stops half-way, or two runs at once, never leave a
# base that looks finished and is not.
make_base() {
	local base=$1 tmp log
	[ -f "$base/.ok" ] && return 0
	command -v debootstrap >/dev/null || {
		say "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	}
	tmp=$(mktemp -d "$base.new.XXXX")
	chmod 755 "$tmp" # the root of a system: apt's _apt user must get through it
	log=$tmp.log
	say "debootstrap --variant=minbase bookworm from $(mirror) (cached in $base)"
	if ! debootstrap --variant=minbase bookworm "$tmp" "$(mirror)" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		umount -R "$tmp/proc" "$tmp/sys" 2>/dev/null || true
		rm -rf --one-file-system "$tmp" "$log"
		return 1
	fi
	rm -f "$log"
	touch "$tmp/.ok"
	rm -rf --one-file-system "$base"
	mv -T "$tmp" "$base" 2>/dev/null || rm -rf --one-file-system "$tmp"
}

main() {
	local root cmd base debs start dir rev rc=0
	root=$(cd "$(dirname "$0")/.." && pwd)
	cmd=${1:-'./scripts/setup.sh && ./scripts/build.sh build && meson test -C build --suite unit --print-errorlogs'}
	base=${FRESH_CACHE:-/var/tmp/fresh-root-base}
	debs=${FRESH_APT_CACHE:-/var/tmp/fresh-root-apt}
	start=$(date +%s)
	make_base "$base"

	dir=$(mktemp -d /var/tmp/fresh-root.XXXX)
	# shellcheck disable=SC2064 # $dir is fixed now
	trap "cleanup '$dir'" EXIT
	cp -a "$base/." "$dir/"
	chmod 755 "$dir"
	rm -f "$dir/.ok"
	mkdir -p "$dir/src" "$debs"
	# what a clone would have, with this tree's changes: tracked files as
	# they are now, and new files that git does not ignore
	rev=$(git -C "$root" stash create 2>/dev/null || true)
	git -C "$root" archive "${rev:-HEAD}" | tar -x -C "$dir/src"
	git -C "$root" ls-files -z --others --exclude-standard |
		(cd "$root" && tar --null -T - -c) | tar -x -C "$dir/src"
	cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
	# a throw-away root: dpkg need not fsync every file it unpacks
	echo force-unsafe-io >"$dir/etc/dpkg/dpkg.cfg.d/fresh-root-unsafe-io"
	# the registries are reached as from this machine: with its CA bundle
	cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/host-ca.crt"
	# downloads saved by earlier runs, as hard links where they can be (one
	# file system): the base's own (debootstrap's) are there already
	cp -aln "$debs/." "$dir/var/cache/apt/archives/" 2>/dev/null ||
		cp -an "$debs/." "$dir/var/cache/apt/archives/"
	mount -t proc proc "$dir/proc"
	mount --rbind /dev "$dir/dev"
	mount --make-rslave "$dir/dev"

	say "running in $dir: $cmd"
	chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
		LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive NODE_EXTRA_CA_CERTS=/etc/host-ca.crt \
		npm_config_cafile=/etc/host-ca.crt SSL_CERT_FILE=/etc/host-ca.crt \
		/bin/bash -c "cd /src && $cmd" || rc=$?

	# keep the new downloads for the next run
	find "$dir/var/cache/apt/archives" -maxdepth 1 -name '*.deb' \
		-exec cp -ln -t "$debs" {} + 2>/dev/null || true
	say "$([ $rc -eq 0 ] && echo passed || echo "FAILED (exit $rc)") in $(($(date +%s) - start)) s"
	return $rc
}

cleanup() {
	local dir=$1
	umount -R "$dir/dev" 2>/dev/null || true
	umount "$dir/proc" 2>/dev/null || true
	# never delete through a mount that is still there (it would be the host's /dev)
	if grep -q " $dir/" /proc/mounts; then
		say "left $dir: something is still mounted in it"
	else
		rm -rf --one-file-system "$dir"
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	exec sudo -E "$0" "$@"
fi
# in a function, and with exit on the same line, so that the whole script is
# read before it runs: editing it during a run (it takes minutes) cannot
# change what runs
main "$@"; exit
