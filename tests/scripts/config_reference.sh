#!/usr/bin/env bash
# `queuewatch config-reference` prints the reference generated from the code that reads the
# config: every line of the generated blocks of docs/configuration.md (which a unit test keeps
# equal to the code) must be in its output, and so must the sections whose tables of prose the
# unit test checks (tests/unit/config/reference_docs_test.cpp).
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

out=$("$QW_BINARY" config-reference 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "config-reference: exit code $rc, want 0; output:"$'\n'"$out"

doc="$QW_SOURCE_DIR/docs/configuration.md"
generated=$(awk '/^<!-- generated: /{inside=1; next} /^<!-- end generated: /{inside=0} inside' "$doc")
[ -n "$generated" ] || fail "no generated blocks in $doc"
lines=0
while IFS= read -r line; do
  [ -n "$line" ] || continue
  lines=$((lines + 1))
  grep -qxF -- "$line" <<<"$out" || fail "config-reference does not print this line of $doc:"$'\n'"$line"
done <<<"$generated"
[ "$lines" -ge 40 ] || fail "only $lines generated lines found in $doc"

# Each section the unit test compares with a table of prose is printed too.
for section in 'top level' http 'probes.*' 'targets[]' 'queues[]' 'queues[].timestamps' alerting; do
  grep -qF -- "## \`$section\` (" <<<"$out" || fail "config-reference prints no section \`$section\`"
done

# No argument is taken: a file given by habit is refused with the usage, exit 2.
"$QW_BINARY" config-reference queuewatch.yaml >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "config-reference FILE: exit code $rc, want 2"

if [ "$failures" -ne 0 ]; then
  echo "config_reference: $failures failure(s)" >&2
  exit 1
fi
echo "config_reference: ok ($lines generated lines checked)"
