#!/usr/bin/env bash
# One queue of the real pg-boss (PGBOSS_VERSION, from npm) stalls, and only it pages (issue 8,
# item 3's acceptance, for pg-boss). Real pg-boss workers (work()) run three queues, alpha, beta
# and gamma, at 1 job/s each; queuewatch watches them with `preset: pg-boss` and the rules'
# default thresholds (no_throughput: min_silence 1m, grace 1m), sending to a webhook receiver.
#   1. the workers of beta stop (their process ends gracefully) while jobs keep arriving:
#      no_throughput must page for beta, and nothing at all may fire for alpha or gamma;
#   2. beta's workers start again: the page must resolve.
# It prints `stall-to-page pg-boss: N s`, from stopping the workers to the page reaching the
# receiver. Not asserted: timing targets belong in bench/, and this machine is shared.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in a database of its own.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_PORT:?run through scripts/test (QW_TEST_PG_PORT)}"

PGBOSS_VERSION=12.38.0

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"
# shellcheck source=tests/scripts/lib/npm_lib.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/npm_lib.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-pgboss-stall.XXXXXX")
pid=""
receiver_pid=""
producer_pid=""
declare -A worker_pid=()
db=qw_pgboss_stall
admin_dsn="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=postgres user=postgres connect_timeout=3"
dsn="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=$db user=postgres connect_timeout=3"
url="postgres://postgres@127.0.0.1:$QW_TEST_PG_PORT/$db"
drive="$QW_SOURCE_DIR/tests/scripts/js/pgboss_stall_drive.js"
queues=(alpha beta gamma)
stalled=beta

cleanup() {
  stop_processes "$pid" "$receiver_pid" "$producer_pid" "${worker_pid[@]}"
  psql -X -q "$admin_dsn" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

dump_logs() {
  echo "--- daemon log:" >&2
  tail -40 "$tmp/daemon.log" >&2
  echo "--- payloads:" >&2
  cat "$tmp/hooks.jsonl" >&2
  echo "--- pg-boss driver logs:" >&2
  tail -5 "$tmp"/node-*.log >&2
}
fatal() {
  echo "FATAL: $*" >&2
  dump_logs
  exit 1
}

node_drive() { NODE_PATH="$NPM_LIB_DIR/node_modules" node "$drive" "$url" "$@"; }
# Started without the function, so that $! is node itself (a function would run in a subshell
# whose pid a signal would not get past).
start_worker() {
  NODE_PATH="$NPM_LIB_DIR/node_modules" node "$drive" "$url" work "$1" >>"$tmp/node-work-$1.log" 2>&1 &
  worker_pid[$1]=$!
}
stop_worker() { # graceful: pg-boss finishes what it holds, and the process exits
  kill -TERM "${worker_pid[$1]}"
  wait "${worker_pid[$1]}" 2>/dev/null
  worker_pid[$1]=""
}
# pages STATUS ALERTNAME [QUEUE]: alerts with that status and alertname (and queue) received.
pages() {
  jq -c --arg s "$1" --arg a "$2" --arg q "${3:-}" \
    '.alerts[]? | select(.status == $s and .labels.alertname == $a and ($q == "" or .labels.queue == $q))' \
    "$tmp/hooks.jsonl" 2>/dev/null | wc -l
}
paged() { [ "$(pages "$@")" -ge 1 ]; }
# firing_elsewhere: firing alerts of any name for a queue other than the stalled one.
firing_elsewhere() {
  jq -c --arg q "$stalled" '.alerts[]? | select(.status == "firing" and .labels.queue != null and .labels.queue != $q)' \
    "$tmp/hooks.jsonl" 2>/dev/null
}
metric() { # NAME QUEUE: the value of NAME{queue=QUEUE} in /metrics, or "absent"
  curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
    awk -v n="$1" -v q="queue=\"$2\"" '$1 ~ "^"n"\\{" && index($1, q) { v = $2 } END { print (v == "" ? "absent" : v) }'
}

npm_lib_install pg-boss "$PGBOSS_VERSION" ||
  fatal "pg-boss@$PGBOSS_VERSION is needed from npm (registry unreachable?): this test cannot run"

psql -X -q -v ON_ERROR_STOP=1 "$admin_dsn" -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || fatal "cannot create database $db"
node_drive setup "${queues[@]}" >"$tmp/node-setup.log" 2>&1 || fatal "pg-boss could not create its schema and queues"

http_port=$(pg_free_port)
start_webhook_receiver

# The rules' thresholds are left at their defaults: this measures what a user gets.
cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
targets:
  - name: primary
    region: local
    dsn: "$dsn"
queues:
  - name: pgboss
    target: primary
    preset: pg-boss
    queue_names: [alpha, beta, gamma]
rules:
  timezone: UTC
  evaluation_interval: 1s
alerting:
  default_receiver: hook
  repeat_interval: 24h
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 5s
YAML
"$QW_BINARY" check-config "$tmp/queuewatch.yaml" >/dev/null || fatal "the test's config does not load"

NODE_PATH="$NPM_LIB_DIR/node_modules" node "$drive" "$url" produce 1 "${queues[@]}" >"$tmp/node-produce.log" 2>&1 &
producer_pid=$!
for q in "${queues[@]}"; do start_worker "$q"; done

"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
first_round() { [ "$(metric queuewatch_queue_completed_jobs_total gamma)" != absent ]; }
wait_for "the daemon's first round" 30 first_round || fatal "no queue round in /metrics"
first_round_at=$SECONDS

# no_throughput judges a stall against the queue's measured rate, which the rules take as
# evidence after 30 completions over at least a minute of rounds (docs/rules.md): before that a
# stall is unknown, not a page. Wait until every queue has shown that much (with a margin).
rates_known() {
  [ $((SECONDS - first_round_at)) -ge 70 ] || return 1
  local q n
  for q in "${queues[@]}"; do
    n=$(metric queuewatch_queue_completed_jobs_total "$q")
    [ "$n" != absent ] && [ "${n%.*}" -ge 40 ] || return 1
  done
}
wait_for "40 completions per queue over 70 s" 120 rates_known ||
  fatal "the pg-boss workers did not complete 40 jobs per queue (alpha $(metric queuewatch_queue_completed_jobs_total alpha)," \
    "beta $(metric queuewatch_queue_completed_jobs_total beta), gamma $(metric queuewatch_queue_completed_jobs_total gamma))"
[ -z "$(firing_elsewhere)" ] && [ "$(pages firing no_throughput)" = 0 ] ||
  fatal "alerts fired before any stall: $(jq -c '.alerts[]?.labels' "$tmp/hooks.jsonl")"

# --- 1. beta's workers stop; jobs keep arriving -------------------------------------------------
echo "rates known after $((SECONDS - first_round_at)) s of rounds; stopping $stalled's workers" >&2
stop_worker "$stalled"
stopped_at=$EPOCHREALTIME
wait_for "no_throughput for $stalled" 150 paged firing no_throughput "$stalled" ||
  fatal "no_throughput never paged for $stalled (ready $(metric queuewatch_queue_ready_jobs "$stalled"))"
paged_at=$EPOCHREALTIME
echo "stall-to-page pg-boss: $(awk -v a="$stopped_at" -v b="$paged_at" 'BEGIN { printf "%.0f", b - a }') s" \
  "(pg-boss $PGBOSS_VERSION, 1 job/s per queue, default min_silence and grace)"
[ -z "$(firing_elsewhere)" ] || fail "alerts fired for the queues that kept working: $(firing_elsewhere)"
for q in alpha gamma; do
  # They kept completing while beta stalled: the page is about beta alone.
  [ "$(metric queuewatch_queue_ready_jobs "$q")" != absent ] || fail "$q vanished from /metrics"
done

# --- 2. beta's workers start again: the page resolves ---------------------------------------------
start_worker "$stalled"
wait_for "resolved no_throughput for $stalled" 90 paged resolved no_throughput "$stalled" ||
  fail "no_throughput for $stalled did not resolve within 90 s of its workers starting again"
[ -z "$(firing_elsewhere)" ] || fail "alerts fired for the queues that kept working: $(firing_elsewhere)"
[ "$(pages firing no_throughput "$stalled")" = 1 ] ||
  fail "$(pages firing no_throughput "$stalled") firing no_throughput pages for $stalled, want 1"

if [ "$failures" -gt 0 ]; then
  dump_logs
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "pgboss_stall: one stalled pg-boss queue paged alone and resolved"
