#!/usr/bin/env bash
# A restart in the middle of a stall must not un-page it (issue 7, item 1). The daemon watches a
# queue whose rate is known (warm start from the table's last hour), the queue stalls with work
# waiting, no_throughput pages; then the daemon is restarted twice with the same state_dir, once
# with SIGTERM and once with kill -9. Checks:
#   - no `resolved` notice for no_throughput arrives while the stall goes on, across both
#     restarts, and the alert stays firing in /metrics (judged again, one incident);
#   - the incident keeps its startsAt (no second firing payload);
#   - once the jobs complete, the resolved notice does come: resolving works, on evidence.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR; scripts/test exports QW_TEST_PG_*.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_DSN:?QW_TEST_PG_DSN is unset: run through scripts/test, which starts PostgreSQL}"
: "${QW_TEST_PG_PORT:?}"

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-restart-stall.XXXXXX")
pid=""
receiver_pid=""
db=qw_restart_stall
dsn="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=$db user=postgres connect_timeout=3"

cleanup() {
  stop_processes "$pid" "$receiver_pid"
  psql -X -q "$QW_TEST_PG_DSN" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

dump_logs() {
  echo "--- daemon log:" >&2
  cat "$tmp"/daemon*.log >&2
  echo "--- payloads:" >&2
  cat "$tmp/hooks.jsonl" >&2
}
fatal() {
  echo "FATAL: $*" >&2
  dump_logs
  exit 1
}

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$dsn" -c "$1"; }
payloads() {  # payloads STATUS ALERTNAME: how many logged payloads have that status and alertname
  jq -c --arg s "$1" --arg a "$2" \
    'select(.alerts[0].status == $s and .alerts[0].labels.alertname == $a)' \
    "$tmp/hooks.jsonl" 2>/dev/null | wc -l
}
has_payload() { [ "$(payloads "$@")" -ge 1 ]; }

psql -X -q "$QW_TEST_PG_DSN" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 "$QW_TEST_PG_DSN" -c "CREATE DATABASE $db" >/dev/null ||
  fatal "cannot create database $db"
sql "CREATE TABLE jobs (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz,
       finished_at timestamptz)" || fatal "cannot create the job table"
# The last two complete hours completed 36,000 jobs each (10/s): the warm start reads them (it
# drops the oldest hour it finds, which retention may have cut), so the rate a stall is judged
# against is known from the first round.
sql "INSERT INTO jobs (queue, state, enqueued_at, started_at, finished_at)
     SELECT 'flow', 'done', t, t, t FROM generate_series(1, 72000) AS g(i),
       LATERAL (SELECT date_trunc('hour', now()) - interval '2 hours' + (i % 7200) * interval '1 second') AS x(t)" ||
  fatal "cannot insert the history rows"
# The stall: work waiting since well before the daemon starts, nothing completing.
sql "INSERT INTO jobs (queue, state, enqueued_at) SELECT 'flow', 'ready', now() - interval '2 minutes'
     FROM generate_series(1, 20)" || fatal "cannot insert the waiting jobs"

http_port=$(pg_free_port)
start_webhook_receiver

cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
targets:
  - name: stalldb
    dsn: "$dsn"
    region: local
queues:
  - name: jobs
    target: stalldb
    table: public.jobs
    id_column: id
    queue_column: queue
    queue_names: [flow]
    state: {column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}
    timestamps: {enqueued: enqueued_at, started: started_at, finished: finished_at}
    completed_rows: kept
    settle_delay: 1s
rules:
  timezone: UTC
  evaluation_interval: 1s
  defaults:
    no_throughput: {min_silence: 10s, grace: 5s}
alerting:
  default_receiver: hook
  repeat_interval: 24h
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 5s
YAML

start_daemon() {
  "$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon-$1.log" 2>&1 &
  pid=$!
  ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port/-/ready")" = 200 ]; }
  wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200 within 30 s ($1)"
}
firing_in_metrics() {
  curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
    grep -q '^queuewatch_alerts{alertname="no_throughput",severity="critical",state="firing"} 1'
}

start_daemon first
wait_for "no_throughput" 60 has_payload firing no_throughput ||
  fatal "the stall never paged no_throughput"

# check_still_firing LABEL: a restart-long watch in which nothing may resolve. A negative can
# only be watched for a while: 30 s is three times min_silence, long enough for the restarted
# daemon to have judged the stall again.
check_still_firing() {
  local until=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$until" ]; do
    kill -0 "$pid" 2>/dev/null || fatal "the daemon exited ($1)"
    has_payload resolved no_throughput && fail "no_throughput resolved after the $1 restart" && return
    sleep 0.5
  done
  # Firing is a condition to wait on, not to sample once: on a loaded machine the restarted
  # daemon's first evaluation can come late (a lost alert would page a second incident, which
  # the payload count below catches).
  wait_for "no_throughput firing in /metrics ($1)" 30 firing_in_metrics ||
    fail "no_throughput is not firing in /metrics after the $1 restart"
}

kill -TERM "$pid"
wait "$pid"
start_daemon sigterm
check_still_firing SIGTERM

kill -KILL "$pid"
wait "$pid" 2>/dev/null
start_daemon kill9
check_still_firing "kill -9"

got=$(payloads firing no_throughput)
[ "$got" = 1 ] || fail "$got firing no_throughput payloads, want 1 (one incident across restarts)"

# The queue recovers: completions are evidence, and the alert resolves.
sql "UPDATE jobs SET state = 'done', started_at = now(), finished_at = now() WHERE state = 'ready'" ||
  fatal "cannot complete the waiting jobs"
wait_for "resolved no_throughput" 60 has_payload resolved no_throughput ||
  fail "no_throughput did not resolve within 60 s of the jobs completing"

if [ "$failures" -gt 0 ]; then
  dump_logs
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "restart_during_stall: all checks passed"
