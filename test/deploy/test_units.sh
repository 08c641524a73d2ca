#!/bin/sh
# The systemd units in deploy/systemd/ keep their hardening: each one is
# scored by `systemd-analyze security --offline=true` (systemd 252 on Debian
# 12 has it) and must stay at an exposure of 2.0 or less ("OK"), and the
# directives SECURITY.md promises must be there.
#   test_units.sh DEPLOY_DIR
set -eu
dir=${1:?usage: test_units.sh DEPLOY_DIR}
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze is missing (apt-get install systemd)" >&2
	exit 1
fi
status=0
for unit in "$dir"/systemd/hodeid.service "$dir"/systemd/hodei-worker.service; do
	name=$(basename "$unit")
	out=$(cd "$(dirname "$unit")" && systemd-analyze security --offline=true "$name" 2>&1) || true
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	if [ -z "$score" ]; then
		printf '%s\n' "$out" >&2
		echo "FAIL $name: no exposure score" >&2
		status=1
		continue
	fi
	if ! awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
		printf '%s\n' "$out" | grep '✗' >&2 || true
		echo "FAIL $name: exposure $score, above 2.0" >&2
		status=1
	fi
	for directive in 'DynamicUser=yes' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
		'PrivateTmp=yes' 'StateDirectoryMode=0700' 'UMask=0077' 'CapabilityBoundingSet=$' \
		'LoadCredential=[a-z.]*:/etc/hodei/'; do
		if ! grep -q "^$directive" "$unit"; then
			echo "FAIL $name: no $directive" >&2
			status=1
		fi
	done
	# Tokens come as credentials, never in the environment (jobs read /proc/*/environ).
	if grep -Eqi '^Environment=.*TOKEN' "$unit"; then
		echo "FAIL $name: a token in Environment=" >&2
		status=1
	fi
	echo "$name: exposure $score"
done
exit $status
