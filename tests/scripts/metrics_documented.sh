#!/usr/bin/env bash
# Every metric family the code registers is documented in docs/metrics.md, and every metric the
# docs list still exists: dashboards and alert rules are written from that page.
# Run by ctest with QW_SOURCE_DIR.
set -uo pipefail
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
cd "$QW_SOURCE_DIR" || exit 1

registered=$(grep -rhoE 'Name\("queuewatch_[a-z_]+"\)' daemon alerts probes rules |
  sed -E 's/Name\("(.*)"\)/\1/' | sort -u)
documented=$(grep -oE '^\| `queuewatch_[a-z_]+`' docs/metrics.md | sed -E 's/^\| `(.*)`/\1/' | sort -u)

[ -n "$registered" ] || { echo "FAIL: found no registered metric: the pattern is stale" >&2; exit 1; }
missing=$(comm -23 <(echo "$registered") <(echo "$documented"))
stale=$(comm -13 <(echo "$registered") <(echo "$documented"))
status=0
if [ -n "$missing" ]; then
  echo "FAIL: registered but not in docs/metrics.md:" >&2
  echo "$missing" >&2
  status=1
fi
if [ -n "$stale" ]; then
  echo "FAIL: in docs/metrics.md but registered nowhere:" >&2
  echo "$stale" >&2
  status=1
fi
[ "$status" = 0 ] && echo "metrics_documented: $(echo "$registered" | wc -l) metrics, all documented"
exit "$status"
