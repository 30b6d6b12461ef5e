#!/usr/bin/env bash
# A stalled graphile-worker task pages no_throughput by itself, although graphile-worker deletes
# finished jobs and the table's delete counter cannot say which task completed (issue 8, item 3).
# Real graphile-worker (GW_VERSION, from npm): a producer adds ~10 jobs/s round robin over three
# tasks (each job takes ~300 ms); worker A runs `mail` and `report`, worker B runs `thumbnail`. queuewatch watches the
# per-task source of docs/configuration.md as is, at the production default intervals (15 s
# queue rounds, 5 s evaluation, no_throughput's default 1 m grace and min_silence), so the
# seconds printed are the real ones. Checks:
#   - per-task completions are not exported as counters that stay 0: each queue says
#     queuewatch_queue_completions_measured 0 and counts queuewatch_queue_progress_observed_total;
#   - stopping worker B (graceful SIGTERM) pages no_throughput for the thumbnail task, and only
#     for it (the bound below only proves that it paged; the measured seconds are printed);
#   - the other two tasks raise nothing at all;
#   - restarting worker B resolves it.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in a database of its own.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_PORT:?run through scripts/test (QW_TEST_PG_PORT)}"

GW_VERSION=0.18.0

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"
# shellcheck source=tests/scripts/lib/npm_lib.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/npm_lib.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-graphile-stall.XXXXXX")
pid=""
producer_pid=""
worker_a_pid=""
worker_b_pid=""
receiver_pid=""
db=qw_graphile_stall
admin="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=postgres user=postgres connect_timeout=3"
dsn="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=$db user=postgres connect_timeout=3"
url="postgres://postgres@127.0.0.1:$QW_TEST_PG_PORT/$db"
drive="$QW_SOURCE_DIR/tests/scripts/js/graphile_worker_stall.js"
docs="$QW_SOURCE_DIR/docs/configuration.md"

cleanup() {
  stop_processes "$pid" "$producer_pid" "$worker_a_pid" "$worker_b_pid" "$receiver_pid"
  psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

dump_logs() {
  for f in daemon.log producer.log worker-a.log worker-b.log hooks.jsonl; do
    [ -f "$tmp/$f" ] && { echo "--- $f:" >&2; tail -40 "$tmp/$f" >&2; }
  done
}
fatal() {
  echo "FATAL: $*" >&2
  dump_logs
  exit 1
}

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$dsn" -c "$1"; }
node_bg() { # LOG ARGS...: starts the driver in the background; its pid in $!
  local log="$1"
  shift
  NODE_PATH="$NPM_LIB_DIR/node_modules" node "$drive" "$url" "$@" >"$tmp/$log" 2>&1 &
}
start_worker_b() {
  node_bg worker-b.log work thumbnail
  worker_b_pid=$!
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

npm_lib_install graphile-worker "$GW_VERSION" ||
  fatal "graphile-worker@$GW_VERSION is needed from npm (registry unreachable?): this test cannot run"

psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" ||
  fatal "cannot create database $db"
NODE_PATH="$NPM_LIB_DIR/node_modules" node "$drive" "$url" migrate >"$tmp/migrate.log" 2>&1 ||
  { cat "$tmp/migrate.log" >&2; fatal "graphile-worker could not migrate its schema"; }

# --- the workload --------------------------------------------------------------------------------
node_bg producer.log produce 10 mail report thumbnail
producer_pid=$!
node_bg worker-a.log work mail report
worker_a_pid=$!
start_worker_b
task_id() { sql "SELECT id FROM graphile_worker._private_tasks WHERE identifier = '$1'"; }
tasks_known() { [ -n "$(task_id mail)" ] && [ -n "$(task_id report)" ] && [ -n "$(task_id thumbnail)" ]; }
pid=$producer_pid wait_for "graphile-worker to register the three tasks" 30 tasks_known ||
  fatal "the producer registered no tasks"
mail=$(task_id mail)
report=$(task_id report)
thumb=$(task_id thumbnail)
echo "tasks: mail=$mail report=$report thumbnail=$thumb (the queue label is the task id)"

# --- queuewatch: the docs' per-task source, production intervals ---------------------------------
http_port=$(pg_free_port)
start_webhook_receiver

per_task=$(docs_yaml_block "$docs" "tested by tests/scripts/graphile_worker_real.sh (per task)")
[ -n "$per_task" ] || fatal "the per-task graphile-worker block is missing from $docs"
{
  cat <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
targets:
  - name: primary
    region: local
    dsn: "$dsn"
rules:
  timezone: UTC
alerting:
  default_receiver: hook
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 5s
queues:
YAML
  printf '%s\n' "$per_task" | sed 's/^/  /'
} >"$tmp/queuewatch.yaml"
"$QW_BINARY" check-config "$tmp/queuewatch.yaml" || fatal "the test config does not load"
"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!

scrape() { curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" >"$tmp/metrics.txt"; }
metric() { # NAME QUEUE: its value, or "absent"
  awk -v n="$1" -v q="queue=\"$2\"" \
    '$1 ~ "^"n"\\{" && index($1, q) { v = $2 } END { print (v == "" ? "absent" : v) }' "$tmp/metrics.txt"
}
rounds() {
  awk '$1 ~ /^queuewatch_probe_duration_seconds_count\{/ && /probe="postgres_queue"/ { print $2 }' \
    "$tmp/metrics.txt"
}
# payloads STATUS ALERTNAME QUEUE: how many notifications (alertname "" = any) about QUEUE.
payloads() {
  jq -c --arg s "$1" --arg a "$2" --arg q "$3" \
    '.alerts[]? | select(.status == $s and ($a == "" or .labels.alertname == $a) and .labels.queue == $q)' \
    "$tmp/hooks.jsonl" 2>/dev/null | wc -l
}
has_payload() { [ "$(payloads "$@")" -ge 1 ]; }

# The rule judges a silence against the queue's own record: a dozen rounds of progress first
# (the rule needs eight before it would hold at all).
observed() {
  scrape || return 1
  local r q
  r=$(rounds)
  [ -n "$r" ] && [ "${r%.*}" -ge 12 ] || return 1
  for q in "$mail" "$report" "$thumb"; do
    [ "$(metric queuewatch_queue_progress_observed_total "$q")" != absent ] || return 1
  done
}
wait_for "12 probe rounds with progress observed on every task" 280 observed ||
  fatal "no progress observed on every task within 280 s (rounds: $(rounds))"
for q in "$mail" "$report" "$thumb"; do
  [ "$(metric queuewatch_queue_completions_measured "$q")" = 0 ] ||
    fail "queue $q: queuewatch_queue_completions_measured is $(metric queuewatch_queue_completions_measured "$q"), want 0"
  [ "$(metric queuewatch_queue_completed_jobs_total "$q")" = absent ] ||
    fail "queue $q: a per-queue completions counter is exported though it cannot be measured"
  awk -v v="$(metric queuewatch_queue_progress_observed_total "$q")" 'BEGIN { exit !(v > 0) }' ||
    fail "queue $q: no progress observed on a busy task"
done
before=$(jq -c '.alerts[]? | select(.status == "firing") | .labels' "$tmp/hooks.jsonl")
[ -z "$before" ] || fail "alerts before the stall: $before"

# --- the stall: worker B stops ----------------------------------------------------------------------
# ps shows an exited child as a zombie (Z) until it is reaped: that is gone too.
b_gone() { ! ps -o stat= -p "$worker_b_pid" | grep -qv Z; }
kill -TERM "$worker_b_pid"
wait_for "worker B to shut down" 30 b_gone || fatal "worker B did not stop on SIGTERM"
wait "$worker_b_pid" 2>/dev/null
worker_b_pid=""
stopped=$(now)
wait_for "no_throughput for the thumbnail task" 300 has_payload firing no_throughput "$thumb" ||
  fatal "the stalled thumbnail task never paged no_throughput"
paged=$(since "$stopped")
echo "graphile_worker_stall: stall-to-page $paged s (15 s rounds, 5 s evaluation, default no_throughput)"
awk -v s="$paged" 'BEGIN { exit !(s >= 60) }' ||
  fail "paged $paged s after the stall: sooner than min_silence (60 s) is not a judgement"
jq -r '.alerts[]? | select(.labels.alertname == "no_throughput") | .annotations.summary' "$tmp/hooks.jsonl"

# --- resume ----------------------------------------------------------------------------------------
start_worker_b
resumed=$(now)
wait_for "no_throughput to resolve" 120 has_payload resolved no_throughput "$thumb" ||
  fail "no_throughput did not resolve within 120 s of worker B resuming"
echo "graphile_worker_stall: resume-to-resolve $(since "$resumed") s"

# --- nothing else -----------------------------------------------------------------------------------
for q in "$mail" "$report"; do
  [ "$(payloads firing "" "$q")" = 0 ] || fail "task queue $q raised: $(grep "\"queue\":\"$q\"" "$tmp/hooks.jsonl")"
done
others=$(jq -c --arg q "$thumb" '.alerts[]? | select(.labels.queue == $q and .labels.alertname != "no_throughput")' "$tmp/hooks.jsonl")
[ -z "$others" ] || fail "the thumbnail task raised more than no_throughput: $others"
[ "$(payloads firing no_throughput "$thumb")" = 1 ] ||
  fail "$(payloads firing no_throughput "$thumb") firing no_throughput notifications, want 1"
scrape && awk '/probe="postgres_queue"/ && $1 ~ /^queuewatch_probe_duration_seconds_sum\{/ { s = $2 }
  /probe="postgres_queue"/ && $1 ~ /^queuewatch_probe_duration_seconds_count\{/ { n = $2 }
  END { if (n > 0) printf "graphile_worker_stall: %d queue rounds, %.1f ms each on average\n", n, 1000 * s / n }' \
  "$tmp/metrics.txt"

if [ "$failures" -gt 0 ]; then
  dump_logs
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "graphile_worker_stall: all checks passed"
