#!/usr/bin/env bash
# Backtest acceptance on the shared datasets, with default thresholds:
#  - art_daily_jumpsdown and art_daily_nojump: a firing below_baseline or no_throughput
#    transition inside NAB's labelled window for the file (labelled_windows.json);
#  - art_daily_no_noise and art_daily_small_noise: no firing transition at all;
#  - art_daily_flatmiddle (negative values): exit 2, the message names file:line.
# The datasets live beside the clone (../shared/datasets) or in /work/shared/datasets; without
# them this test FAILS: a skipped acceptance test is a silent one.
set -euo pipefail

: "${QW_BINARY:?QW_BINARY must point at the queuewatch binary}"
: "${QW_SOURCE_DIR:?QW_SOURCE_DIR must point at the source tree}"

datasets=""
for candidate in "$QW_SOURCE_DIR/../shared/datasets" /work/shared/datasets; do
  if [[ -d "$candidate/nab" ]]; then datasets="$candidate/nab"; break; fi
done
if [[ -z "$datasets" ]]; then
  echo "FAIL: no datasets in $QW_SOURCE_DIR/../shared/datasets or /work/shared/datasets" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/config.yaml" <<'YAML'
targets:
  - name: backtest
    dsn: host=localhost dbname=app
    region: local
YAML

# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

run() {  # run NAME -> $work/NAME.out, exit status in $status
  set +e
  "$QW_BINARY" backtest --config "$work/config.yaml" --queue "$1" \
    --series "$datasets/$1.csv" >"$work/$1.out" 2>"$work/$1.err"
  status=$?
  set -e
}

# The labelled window of FILE as "start,end" in the backtest's output format (UTC, the config's
# timezone: NAB timestamps are naive and read as UTC here).
window() {
  python3 - "$datasets/labelled_windows.json" "$1" <<'PY'
import json, sys
windows = json.load(open(sys.argv[1]))
for key, spans in windows.items():
    if key.endswith("/" + sys.argv[2] + ".csv"):
        a, b = spans[0]
        print(a[:19].replace(" ", "T") + "Z," + b[:19].replace(" ", "T") + "Z")
PY
}

for name in art_daily_jumpsdown art_daily_nojump; do
  run "$name"
  [[ $status -eq 0 ]] || { fail "$name: exit $status: $(cat "$work/$name.err")"; continue; }
  IFS=, read -r start end <<<"$(window "$name")"
  [[ -n "$start" ]] || { fail "$name: no labelled window"; continue; }
  # ISO timestamps of one format compare correctly as strings.
  caught=$(awk -F, -v a="$start" -v b="$end" \
    '($2=="below_baseline"||$2=="no_throughput"||$2=="throughput_collapse") && $3=="firing" && $1>=a && $1<=b' \
    "$work/$name.out")
  if [[ -z "$caught" ]]; then
    fail "$name: no firing below_baseline/no_throughput/throughput_collapse within $start..$end; got:
$(cat "$work/$name.out")"
  else
    echo "ok: $name caught: $caught"
  fi
done

for name in art_daily_no_noise art_daily_small_noise; do
  run "$name"
  [[ $status -eq 0 ]] || { fail "$name: exit $status: $(cat "$work/$name.err")"; continue; }
  if grep -q ',firing,' "$work/$name.out"; then
    fail "$name: expected no alert, got: $(grep ',firing,' "$work/$name.out")"
  else
    echo "ok: $name: no alert"
  fi
done

run art_daily_flatmiddle
if [[ $status -ne 2 ]]; then
  fail "art_daily_flatmiddle: expected exit 2 for negative values, got $status"
elif ! grep -q "art_daily_flatmiddle.csv:2: completions -21.0483826823 is negative" \
  "$work/art_daily_flatmiddle.err"; then
  fail "art_daily_flatmiddle: message does not name the line: $(cat "$work/art_daily_flatmiddle.err")"
else
  echo "ok: art_daily_flatmiddle rejected: $(cat "$work/art_daily_flatmiddle.err")"
fi

[[ $failures -eq 0 ]] || { echo "$failures failure(s)" >&2; exit 1; }
