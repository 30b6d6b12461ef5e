#!/usr/bin/env bash
# Backtest input handling: bad rows are rejected with file:line and exit 2; good input in every
# accepted timestamp form replays; a synthetic stall (seeded generator) is found.
set -euo pipefail
: "${QW_BINARY:?}" "${QW_SOURCE_DIR:?}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/config.yaml" <<'YAML'
targets:
  - name: backtest
    dsn: host=localhost dbname=app
    region: local
rules:
  timezone: Europe/Berlin
YAML

# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

expect_rejected() {  # expect_rejected NAME CONTENT EXPECTED-MESSAGE
  printf '%b' "$2" >"$work/$1.csv"
  set +e
  "$QW_BINARY" backtest --config "$work/config.yaml" --queue q --series "$work/$1.csv" \
    >/dev/null 2>"$work/$1.err"
  local status=$?
  set -e
  if [[ $status -ne 2 ]]; then fail "$1: exit $status, expected 2"; return; fi
  grep -qF "$3" "$work/$1.err" || fail "$1: expected '$3' in: $(cat "$work/$1.err")"
}

expect_rejected nan 'timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,nan\n' \
  "nan.csv:3: completions \"nan\" is not a number"
expect_rejected text '2024-01-01 00:00:00,lots\n' "text.csv:1: completions \"lots\" is not a number"
expect_rejected order '2024-01-01 00:05:00,1\n2024-01-01 00:00:00,1\n' \
  "order.csv:2: timestamp 2024-01-01 00:00:00 is not after the previous row's"
expect_rejected stamp '2024-01-01,1\n' "stamp.csv:1: \"2024-01-01\" is not a timestamp"
expect_rejected ready '2024-01-01 00:00:00,1,-3\n' "ready.csv:1: ready \"-3\" is not a non-negative"
expect_rejected empty 'timestamp,value\n' "empty.csv:1: no data rows"

# Every accepted timestamp form; naive times are Berlin local time (UTC+1 in January).
printf 'time,completions,ready\n2024-01-01 01:00:00,1.5,0\n2024-01-01T00:05:00Z,2\n2024-01-01T01:10:00.250+01:00,0,\n' \
  >"$work/forms.csv"
"$QW_BINARY" backtest --config "$work/config.yaml" --queue q --series "$work/forms.csv" \
  >"$work/forms.out" || fail "forms: exit $?"
[[ "$(head -1 "$work/forms.out")" == "time,alertname,state,value" ]] || fail "forms: no CSV header"

# A seeded synthetic high-volume stall: no_throughput fires, critical, within minutes.
python3 - "$QW_SOURCE_DIR/bench" "$work" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import synthetic_series
for s in synthetic_series.catalogue():
    if s.name == "synthetic_high_stall":
        s.write(sys.argv[2] + "/stall.csv")
        a, _ = s.windows[0]
        open(sys.argv[2] + "/stall.start", "w").write(a.strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
"$QW_BINARY" backtest --config "$work/config.yaml" --queue q --series "$work/stall.csv" \
  >"$work/stall.out"
start=$(cat "$work/stall.start")
first=$(awk -F, -v a="$start" '$2=="no_throughput" && $3=="firing" && $1>=a {print $1; exit}' \
  "$work/stall.out")
if [[ -z "$first" ]]; then
  fail "synthetic stall at $start not found: $(grep firing "$work/stall.out")"
else
  delay=$(( $(date -d "$first" +%s) - $(date -d "$start" +%s) ))
  [[ $delay -le 300 ]] || fail "synthetic stall found after ${delay}s, expected within 5 minutes"
  echo "ok: synthetic stall at $start fired at $first (${delay}s)"
fi

[[ $failures -eq 0 ]] || { echo "$failures failure(s)" >&2; exit 1; }
