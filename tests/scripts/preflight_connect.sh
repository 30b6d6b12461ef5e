#!/usr/bin/env bash
# Preflight from the command line, as an operator meets it, against the shared PostgreSQL of
# scripts/test: a table shaped like pg-boss 12.38.0's (enum `job_state` with the labels
# tests/scripts/pgboss_real.sh reads from the real library), and the three mistakes the issue
# met or could have: a state value the enum lacks (`expired`), a misspelt column, a missing
# table. Each is caught by `check-config --connect` naming it (with line:column) and exit 2;
# JSON output is parsed with jq; a big unindexed table is a warning (exit 1) with its CREATE
# INDEX; `once` fails in round 1; and the daemon reports the bad source as cannot_measure with
# reason invalid_mapping in /metrics from its first round.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR; scripts/test exports QW_TEST_PG_*.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_PORT:?run through scripts/test (QW_TEST_PG_PORT)}"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-preflight.XXXXXX")
db=qw_preflight_connect
dsn="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=$db user=postgres"
pid=""

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$dsn" -c "$1"; }
admin() { psql -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=postgres user=postgres" -c "$1"; }

cleanup() {
  stop_processes "$pid"
  admin "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  [ -f "$tmp/daemon.log" ] && { echo "--- daemon log:" >&2; cat "$tmp/daemon.log" >&2; }
  exit 1
}

# run NAME ARGS...: the binary's stdout in $out (stderr in $tmp/NAME.err), exit code in $rc.
run() {
  local name="$1"
  shift
  out=$("$QW_BINARY" "$@" 2>"$tmp/$name.err")
  rc=$?
}
expect_rc() { [ "$rc" -eq "$2" ] || fail "$1: exit code $rc, want $2; output:"$'\n'"$out"; }
expect_line() {  # expect_line NAME FIXED-STRING: some output line contains it
  grep -qF -- "$2" <<<"$out" || fail "$1: no line contains '$2'; output:"$'\n'"$out"
}

admin "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 && admin "CREATE DATABASE $db" >/dev/null ||
  fatal "cannot create database $db"
sql "CREATE SCHEMA pgboss;
     CREATE TYPE pgboss.job_state AS ENUM ('created', 'retry', 'active', 'completed', 'cancelled', 'failed');
     CREATE TABLE pgboss.job (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL,
       state pgboss.job_state NOT NULL DEFAULT 'created',
       created_on timestamptz NOT NULL DEFAULT now(), start_after timestamptz NOT NULL DEFAULT now(),
       started_on timestamptz, completed_on timestamptz);
     INSERT INTO pgboss.job (name, state) VALUES ('mail', 'created'), ('mail', 'retry');" ||
  fatal "cannot create the pg-boss-like table"

header() {
  cat <<YAML
targets:
  - name: db
    region: test
    dsn: "$dsn"
queues:
YAML
}
# A pg-boss source with a given failed list and finished column (the preset's mapping, written
# out as docs/configuration.md once did).
source_yaml() {  # source_yaml NAME TABLE FAILED FINISHED
  cat <<YAML
  - name: $1
    target: db
    table: $2
    queue_column: name
    state:
      column: state
      ready: [created, retry]
      running: [active]
      completed: [completed]
      failed: [$3]
    timestamps:
      enqueued: created_on
      run_at: start_after
      started: started_on
      finished: $4
YAML
}

# --- three mistakes, each named, exit 2 -------------------------------------------------------
bad="$tmp/bad.yaml"
{
  header
  source_yaml wrong_state pgboss.job "failed, expired" completed_on
  source_yaml wrong_column pgboss.job failed completedon
  source_yaml wrong_table pgboss.jobs failed completed_on
  echo "  - {name: good, target: db, preset: pg-boss}"
} >"$bad"
expired_at="$(grep -n 'failed: \[failed, expired\]' "$bad" | cut -d: -f1)"
run bad check-config --connect "$bad"
expect_rc "three mistakes" 2
expect_line "bad enum value" "bad.yaml:$expired_at:24: error: db/wrong_state: state value \"expired\" is not a label of enum pgboss.job_state"
expect_line "missing column" "error: db/wrong_column: column \"completedon\" (timestamps.finished) does not exist in table pgboss.job; did you mean \"completed_on\"?"
expect_line "missing table" "error: db/wrong_table: table pgboss.jobs does not exist"
expect_line "the preset source" "ok: db/good: table pgboss.job"
expect_line "summary" "3 error(s), 0 warning(s) in 4 source(s) on 1 target(s)"

run bad-json check-config --connect --format json "$bad"
expect_rc "three mistakes, json" 2
jq -e . >/dev/null <<<"$out" || fail "--format json is not JSON: $out"
[ "$(jq -r '.errors' <<<"$out")" = 3 ] || fail "json: errors is $(jq -r .errors <<<"$out"), want 3"
[ "$(jq -r '.sources[] | select(.source == "wrong_state") | .findings[0] | "\(.reason) \(.key) \(.value) \(.line)"' <<<"$out")" = \
  "invalid_mapping state.failed expired $expired_at" ] || fail "json: the wrong state is not named: $out"
[ "$(jq -r '.sources[] | select(.source == "wrong_column") | .findings[0] | "\(.reason) \(.key)"' <<<"$out")" = \
  "undefined_column timestamps.finished" ] || fail "json: the wrong column is not named: $out"
[ "$(jq -r '.sources[] | select(.source == "wrong_table") | .findings[0].reason' <<<"$out")" = undefined_table ] ||
  fail "json: the wrong table is not named: $out"
[ "$(jq -r '.sources[] | select(.source == "good") | "\(.ok) \(.relkind) \(.explained | index("completions") != null)"' <<<"$out")" = \
  "true table true" ] || fail "json: the preset source is not proven with its completions explained: $out"

# Offline check-config still connects to nothing: the same file is valid.
run offline check-config "$bad"
expect_rc "offline check-config" 0

# --- `once` fails in round 1 on the bad enum value ---------------------------------------------
once_cfg="$tmp/once.yaml"
{
  header
  source_yaml wrong_state pgboss.job "failed, expired" completed_on
} >"$once_cfg"
run once once --config "$once_cfg"
expect_rc "once with a bad state value" 1
expect_line "once names the reason" "invalid_mapping: state value \"expired\" is not a label of enum pgboss.job_state"

# --- a big table read sequentially: a warning with its index, exit 1 --------------------------
sql "INSERT INTO pgboss.job (name, state, completed_on)
       SELECT 'q' || (i % 7), 'completed', now() - i * interval '1 second' FROM generate_series(1, 30000) i;
     ANALYZE pgboss.job" || fatal "cannot fill the table"
good="$tmp/good.yaml"
{
  header
  echo "  - {name: good, target: db, preset: pg-boss}"
} >"$good"
run seq check-config --connect "$good"
expect_rc "sequential scans" 1
expect_line "seq scan named" "warning: db/good: the snapshot statement (every round) reads pgboss.job sequentially"
expect_line "its index" "fix: CREATE INDEX CONCURRENTLY job_qw_ready_idx ON pgboss.job (name, start_after) WHERE state IN ('created', 'retry');"
run seq-json check-config --connect --format=json "$good"
jq -e '.errors == 0 and .warnings >= 1 and ([.sources[0].findings[].fixes[]] | any(test("job_qw_finished_idx")))' >/dev/null <<<"$out" ||
  fail "json: no warning with the finished index: $out"
sql "CREATE INDEX ON pgboss.job (name, start_after) WHERE state IN ('created', 'retry');
     CREATE INDEX ON pgboss.job (name, started_on) WHERE state = 'active';
     CREATE INDEX ON pgboss.job (completed_on) WHERE state IN ('completed', 'failed'); ANALYZE pgboss.job" ||
  fatal "cannot create the indexes"
run indexed check-config --connect "$good"
expect_rc "with the indexes" 0

# --- the daemon: cannot_measure with reason invalid_mapping from the first round -------------
port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
{
  echo "http: {listen: \"127.0.0.1:$port\"}"
  echo "state_dir: \"$tmp/state\""
  echo "probes: {postgres_queue: {interval: 1s}}"
  echo "rules: {evaluation_interval: 1s, defaults: {cannot_measure: {for: 1s}}}"
  header
  source_yaml wrong_state pgboss.job "failed, expired" completed_on
  echo "  - {name: good, target: db, preset: pg-boss}"
} >"$tmp/daemon.yaml"
"$QW_BINARY" run --config "$tmp/daemon.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
metrics() { curl -s --max-time 5 "http://127.0.0.1:$port/metrics"; }
has_metric() { metrics | grep -F -- "$1" >/dev/null; }
wait_for "invalid_mapping in probe errors" 30 has_metric \
  'queuewatch_probe_errors_total{probe="postgres_queue",reason="invalid_mapping",target="db"} 1' ||
  fail "no postgres_queue error with reason invalid_mapping: $(metrics | grep probe_errors_total)"
wait_for "the bad source measured as failing" 30 has_metric \
  'queuewatch_queue_probe_success{region="test",source="wrong_state",target="db"} 0' ||
  fail "wrong_state is not reported as failing: $(metrics | grep probe_success)"
wait_for "the good source measured" 30 has_metric \
  'queuewatch_queue_probe_success{region="test",source="good",target="db"} 1' ||
  fail "the good source beside it does not succeed: $(metrics | grep probe_success)"
wait_for "cannot_measure firing" 30 has_metric \
  'queuewatch_alerts{alertname="cannot_measure",severity="warning",state="firing"} 1' ||
  fail "cannot_measure does not fire: $(metrics | grep queuewatch_alerts)"
grep -q '22P02' "$tmp/daemon.log" && fail "the daemon ran the statement into SQLSTATE 22P02"
grep -q 'state value "expired" is not a label of enum pgboss.job_state' "$tmp/daemon.log" ||
  fail "the daemon log does not name the value"
stop_processes "$pid"
pid=""

if [ "$failures" -ne 0 ]; then
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  echo "preflight_connect: $failures failure(s)" >&2
  exit 1
fi
echo "preflight_connect: ok"
