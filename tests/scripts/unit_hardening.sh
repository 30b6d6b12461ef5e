#!/usr/bin/env bash
# The shipped systemd unit stays hardened: `systemd-analyze security --offline=true` (systemd
# 252, Debian 12) gives deploy/systemd/queuewatch.service an exposure of 1.5 or less, and reads
# every line of it (a misspelt directive is ignored by systemd with a warning, and silently
# protects nothing).
# Run by ctest with QW_SOURCE_DIR (QW_UNIT=FILE scores another unit file). Tools:
# scripts/install-deps (package systemd).
set -uo pipefail

: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
unit="${QW_UNIT:-$QW_SOURCE_DIR/deploy/systemd/queuewatch.service}"
max_exposure=1.5

command -v systemd-analyze >/dev/null || {
  echo "FAIL: systemd-analyze not found (scripts/install-deps installs systemd)" >&2
  exit 1
}

out=$(systemd-analyze security --offline=true "$unit" 2>"${TMPDIR:-/tmp}/qw-unit-hardening.$$.err")
rc=$?
err=$(cat "${TMPDIR:-/tmp}/qw-unit-hardening.$$.err")
rm -f "${TMPDIR:-/tmp}/qw-unit-hardening.$$.err"
failures=0
if [ $rc -ne 0 ]; then
  echo "FAIL: systemd-analyze security exited $rc:"$'\n'"$err" >&2
  exit 1
fi
# Offline, systemd-analyze reports what it could not parse on stderr and carries on.
if [ -n "$err" ]; then
  echo "FAIL: systemd-analyze did not take every line of the unit:"$'\n'"$err" >&2
  failures=$((failures + 1))
fi

# → Overall exposure level for queuewatch.service: 1.1 OK 🙂
exposure=$(sed -nE 's/.*Overall exposure level for [^:]*: ([0-9]+\.[0-9]+) .*/\1/p' <<<"$out")
if [ -z "$exposure" ]; then
  echo "FAIL: no overall exposure level in systemd-analyze's output:"$'\n'"$out" >&2
  exit 1
fi
if ! awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }'; then
  echo "FAIL: exposure $exposure is above $max_exposure; what is still exposed:" >&2
  grep '✗' <<<"$out" >&2
  failures=$((failures + 1))
fi

[ "$failures" -eq 0 ] || exit 1
echo "unit_hardening: exposure $exposure (at most $max_exposure)"
