#!/usr/bin/env bash
# The command line as an operator meets it: help, version, check-config on a good and on a
# broken file, and usage errors. Run by ctest with QW_BINARY and QW_SOURCE_DIR set.
#
# Exit codes under test: 0 = success, 2 = usage error or invalid configuration.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

# run NAME ARGS...: runs the binary, keeping stdout+stderr in $out and the exit code in $rc.
run() {
  local name="$1"
  shift
  out=$("$QW_BINARY" "$@" 2>&1)
  rc=$?
  printf -- '--- %s (exit %d):\n%s\n' "$name" "$rc" "$out" >"$tmp/$name.log"
}

expect_rc() {  # expect_rc NAME WANT
  [ "$rc" -eq "$2" ] || fail "$1: exit code $rc, want $2; output:"$'\n'"$out"
}

expect_output() {  # expect_output NAME REGEX (extended, case-insensitive)
  grep -Eqi -- "$2" <<<"$out" || fail "$1: output does not match /$2/; output:"$'\n'"$out"
}

# --help: exit 0 and name every subcommand.
run help --help
expect_rc help 0
for sub in run check-config once; do expect_output help "(^|[^a-z-])$sub([^a-z-]|$)"; done

# --version: the project version from CMakeLists.txt.
version=$(sed -nE 's/^project\(queuewatch VERSION ([0-9.]+).*/\1/p' "$QW_SOURCE_DIR/CMakeLists.txt")
[ -n "$version" ] || fail "could not read the project version from CMakeLists.txt"
run version --version
expect_rc version 0
expect_output version "${version//./\\.}"

# check-config on the shipped demo configuration: valid. The demo config takes its ports from
# the environment, as scripts/demo sets them.
export QW_DEMO_PGPORT=5432 QW_DEMO_HTTP_PORT=9187
run check-config-demo check-config --config "$QW_SOURCE_DIR/config/examples/demo.yaml"
expect_rc check-config-demo 0

# check-config on a broken file: exit 2, and BOTH problems reported (not just the first), each
# with its line number, so the operator fixes the file in one pass.
broken="$tmp/broken.yaml"
cat >"$broken" <<'YAML'
http:
  listen: 127.0.0.1:9187
  request_timout: 5s
probes:
  postgres_health:
    interval: 5 parsecs
targets:
  - name: main
    region: local
    dsn: "host=127.0.0.1 port=5432 dbname=app user=queuewatch"
YAML
run check-config-broken check-config --config "$broken"
expect_rc check-config-broken 2
expect_output check-config-broken "broken\.yaml:3:.*request_timout"  # the unknown key (a typo)
expect_output check-config-broken "broken\.yaml:6:.*(interval|parsecs)"  # the bad duration

# A usage error: an unknown subcommand exits 2 and names what it did not understand.
run unknown-subcommand frobnicate
expect_rc unknown-subcommand 2
expect_output unknown-subcommand "frobnicate"

if [ "$failures" -ne 0 ]; then
  echo "cli_smoke: $failures failure(s)" >&2
  exit 1
fi
echo "cli_smoke: ok"
