#!/usr/bin/env bash
# `backtest` needs no database details (issue 9): it runs with no --config (the built-in
# thresholds), with a file of only `rules:` (whose thresholds it applies), and with a production
# file whose password files and environment are not on this machine. The daemon's commands still
# refuse a file without targets.
set -euo pipefail
: "${QW_BINARY:?}" "${QW_SOURCE_DIR:?}"

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

# Three busy hours (60 jobs a minute, a little waiting), then 20 silent minutes with work waiting:
# no_throughput's stall.
python3 - "$work/stall.csv" <<'PY'
import datetime as dt, sys
t = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
with open(sys.argv[1], "w") as f:
    f.write("timestamp,completions,ready\n")
    for minute in range(200):
        busy = minute < 180
        f.write(f"{(t + dt.timedelta(minutes=minute)).strftime('%Y-%m-%dT%H:%M:%SZ')},"
                f"{60 if busy else 0},{5 if busy else 50}\n")
PY

# backtest NAME ARGS...: runs it, keeps stdout in $work/NAME.out and stderr in $work/NAME.err,
# and returns its exit status.
backtest() {
  local name=$1
  shift
  "$QW_BINARY" backtest "$@" --queue q --series "$work/stall.csv" >"$work/$name.out" \
    2>"$work/$name.err"
}
fires_no_throughput() { grep -q ',no_throughput,firing,' "$work/$1.out"; }

# 1. No config at all: the built-in thresholds find the stall.
if backtest bare; then
  fires_no_throughput bare || fail "no config: no_throughput did not fire: $(cat "$work/bare.out")"
else
  fail "no config: exit $?: $(cat "$work/bare.err")"
fi

# 1b. --explain says why on stderr, as the page would; stdout stays the same CSV.
if backtest explained --explain; then
  grep -q '^[0-9TZ:-]* no_throughput: .*no job completed for' "$work/explained.err" ||
    fail "--explain: no reason for no_throughput on stderr: $(cat "$work/explained.err")"
  cmp -s "$work/bare.out" "$work/explained.out" || fail "--explain changed the CSV"
else
  fail "--explain: exit $?: $(cat "$work/explained.err")"
fi

# 2. Only `rules:`, and they apply: no_throughput turned off there stays silent.
printf 'rules:\n  timezone: Europe/Berlin\n  defaults:\n    no_throughput: {enabled: false}\n' \
  >"$work/rules-only.yaml"
if backtest rules_only --config "$work/rules-only.yaml"; then
  ! fires_no_throughput rules_only || fail "rules-only: the file's enabled: false was not applied"
  [[ "$(head -1 "$work/rules_only.out")" == "time,alertname,state,value" ]] ||
    fail "rules-only: no CSV header"
else
  fail "rules-only config: exit $?: $(cat "$work/rules_only.err")"
fi

# 3. A production file copied to a laptop: password file, DSN variable and receiver key are not
# here; backtest does not read them.
cat >"$work/production.yaml" <<'YAML'
targets:
  - name: primary
    dsn: ${QW_TEST_UNSET_PRODUCTION_DSN}
    password_file: /nonexistent/primary-password
alerting:
  default_receiver: pd
  receivers:
    - {name: pd, type: pagerduty, routing_key_file: /nonexistent/routing-key}
rules:
  defaults:
    no_throughput: {min_silence: 2m}
YAML
unset QW_TEST_UNSET_PRODUCTION_DSN
if backtest production --config "$work/production.yaml"; then
  fires_no_throughput production || fail "production copy: no_throughput did not fire"
else
  fail "production copy: exit $?: $(cat "$work/production.err")"
fi

# 4. The file is still checked: a mistyped key or a bad threshold is an error with its line.
printf 'rules:\n  defaults:\n    no_throughput: {min_silence: soon}\n' >"$work/bad.yaml"
status=0
backtest bad --config "$work/bad.yaml" || status=$?
[[ $status -eq 2 ]] || fail "bad rules: exit $status, expected 2"
grep -qF "bad.yaml:3:" "$work/bad.err" || fail "bad rules: no file:line in: $(cat "$work/bad.err")"

# 5. The daemon's commands still need databases to watch.
status=0
"$QW_BINARY" check-config "$work/rules-only.yaml" >/dev/null 2>"$work/check.err" || status=$?
[[ $status -eq 2 ]] || fail "check-config of a rules-only file: exit $status, expected 2"
grep -q "targets" "$work/check.err" || fail "check-config did not name targets: $(cat "$work/check.err")"
status=0
# (timeout: were it to start anyway, the test must end rather than hang)
timeout 30 "$QW_BINARY" run --config "$work/rules-only.yaml" >/dev/null 2>"$work/run.err" ||
  status=$?
[[ $status -eq 2 ]] || fail "run with a rules-only file: exit $status, expected 2"

[[ $failures -eq 0 ]] || { echo "$failures failure(s)" >&2; exit 1; }
