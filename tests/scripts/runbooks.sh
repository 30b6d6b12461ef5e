#!/usr/bin/env bash
# The runbooks' queries are real (issue 10): every ```promql block of docs/runbooks/*.md parses
# (promtool, as a recording rule), and every queuewatch_* metric a runbook names, in a query or
# in prose, is one docs/metrics.md documents (which metrics_documented keeps equal to a live
# /metrics). A renamed metric then breaks this test instead of a 3 a.m. query. The pages' shape
# and their links are checked by tests/unit/rules/runbooks_test.cpp.
set -uo pipefail
: "${QW_SOURCE_DIR:?}"

tmp=$(mktemp -d)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

command -v promtool >/dev/null || { echo "FAIL: promtool not found (scripts/install-deps)" >&2; exit 1; }
runbooks=("$QW_SOURCE_DIR"/docs/runbooks/*.md)
[ "${#runbooks[@]}" -ge 10 ] || fail "found only ${#runbooks[@]} runbooks"

# Every query block, each as one recording rule (blocks span lines: join them).
python3 - "$tmp/queries.yml" "${runbooks[@]}" <<'PY'
import json, re, sys
out = ["groups:", "  - name: runbooks", "    rules:"]
count = 0
for path in sys.argv[2:]:
    for block in re.findall(r"```promql\n(.*?)```", open(path).read(), re.S):
        out.append("      - record: runbook_query")
        out.append("        expr: " + json.dumps(" ".join(block.split())))
        out.append("        labels: {page: " + json.dumps(path.rsplit("/", 1)[1]) + "}")
        count += 1
open(sys.argv[1], "w").write("\n".join(out) + "\n")
print(f"{count} PromQL queries in {len(sys.argv) - 2} runbooks")
PY
if ! out=$(promtool check rules "$tmp/queries.yml" 2>&1); then
  fail "a runbook query does not parse:"$'\n'"$out"
fi

# Documented metrics; a histogram also exports NAME_bucket, NAME_sum and NAME_count.
sed -nE 's/^\| `(queuewatch_[a-z_]+)` \| ([a-z]+) \|.*/\1 \2/p' "$QW_SOURCE_DIR/docs/metrics.md" |
  while read -r name type; do
    echo "$name"
    [ "$type" = histogram ] && printf '%s\n' "${name}_bucket" "${name}_sum" "${name}_count"
  done | sort -u >"$tmp/documented"
[ "$(wc -l <"$tmp/documented")" -ge 20 ] || fail "could not read docs/metrics.md's metric table"

for page in "${runbooks[@]}"; do
  # Recording-rule names (level:metric:operations) have colons and are not exported metrics.
  grep -oE '[A-Za-z0-9_:]+' "$page" | grep -E '^queuewatch_' | grep -v ':' | sort -u |
    while read -r name; do
      grep -qxF "$name" "$tmp/documented" || echo "$name"
    done >"$tmp/unknown"
  [ -s "$tmp/unknown" ] &&
    fail "${page#"$QW_SOURCE_DIR"/} names metrics docs/metrics.md does not document: $(tr '\n' ' ' <"$tmp/unknown")"
done

[[ $failures -eq 0 ]] || { echo "$failures failure(s)" >&2; exit 1; }
echo "runbooks: ok"
