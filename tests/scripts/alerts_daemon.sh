#!/usr/bin/env bash
# Alerting end to end, as an SRE sees it: `queuewatch run` against a PRIVATE PostgreSQL (this test
# stops and restarts it), pages going to a webhook receiver that logs every payload. Checks:
#   a. a job running for an hour pages stuck_in_progress, with the job's id in the annotations;
#   b. a queue that stops completing while work waits pages no_throughput, a minute after the
#      daemon started (and the warm start reads the table's earlier hours);
#   c. stopping PostgreSQL pages database_unavailable exactly once, naming the reason and
#      host:port, with every queue alert of that target held back (inhibited); starting it again
#      sends the resolved notice.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR. The cluster is our own, not QW_TEST_PG_*'s.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
pgctl="$QW_SOURCE_DIR/scripts/lib/pgctl.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-alerts.XXXXXX")
# Its own directory: PostgreSQL runs as user "postgres" when we are root, and $tmp is private.
pgdir=$(pg_tempdir)
pid=""
receiver_pid=""
load_pid=""
stuck_id=424242

cleanup() {
  stop_processes "$load_pid" "$pid" "$receiver_pid"
  "$pgctl" cleanup "$pgdir" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

dump_logs() {
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  echo "--- webhook receiver output:" >&2
  cat "$tmp/receiver.out" >&2
}

# Stops the test at once: later steps would only fail confusingly.
fatal() {
  echo "FATAL: $*" >&2
  dump_logs
  exit 1
}

free_port() { pg_free_port; }
pg_port=$(free_port)
hook_port=$(free_port)
http_port=$(free_port)
dsn="host=127.0.0.1 port=$pg_port dbname=qw_alerts user=postgres connect_timeout=3"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$dsn" -c "$1"; }

# payloads STATUS ALERTNAME [FROM_LINE] [QUEUE]: prints how many logged payloads (one alert each)
# have that status and alertname (and queue label), counting from line FROM_LINE (1-based) on.
# The log is one JSON payload per line (webhook_receiver.py --log).
payloads() {
  local from="${3:-1}"
  tail -n +"$from" "$tmp/hooks.jsonl" 2>/dev/null |
    jq -c --arg s "$1" --arg a "$2" --arg q "${4:-}" \
      'select(.alerts[0].status == $s and .alerts[0].labels.alertname == $a
              and ($q == "" or .alerts[0].labels.queue == $q))' 2>/dev/null | wc -l
}
# has_payload STATUS ALERTNAME [FROM_LINE] [QUEUE]: at least one such payload.
has_payload() { [ "$(payloads "$@")" -ge 1 ]; }
log_lines() { wc -l <"$tmp/hooks.jsonl" 2>/dev/null || echo 0; }

# --- a private PostgreSQL and the job table --------------------------------------------------
"$pgctl" start "$pgdir" "$pg_port" || fatal "cannot start the private PostgreSQL"
pg_psql "$pgdir" "$pg_port" -c "CREATE DATABASE qw_alerts" || fatal "cannot create the database"
sql "CREATE TABLE jobs (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz,
       finished_at timestamptz)" || fatal "cannot create the job table"

# Two earlier hours of history in the kept rows: the daemon's warm start reads them at start-up.
sql "INSERT INTO jobs (queue, state, enqueued_at, started_at, finished_at)
     SELECT 'flow', 'done', t, t, t FROM generate_series(1, 50),
       LATERAL (VALUES (date_trunc('hour', now()) - interval '3 hours' + interval '10 minutes'),
                       (date_trunc('hour', now()) - interval '2 hours' + interval '10 minutes')) AS x(t)" ||
  fatal "cannot insert the history rows"

# --- the webhook receiver ----------------------------------------------------------------------
start_webhook_receiver "$hook_port"

# --- the daemon ----------------------------------------------------------------------------------
cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
log_level: info
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
targets:
  - name: alertdb
    dsn: "$dsn"
    region: local
queues:
  - name: jobs
    target: alertdb
    table: public.jobs
    id_column: id
    queue_column: queue
    # A fixed list: discovery runs once a minute and would see the queues only then.
    queue_names: [flow, slow]
    state: {column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}
    timestamps: {enqueued: enqueued_at, started: started_at, finished: finished_at}
    completed_rows: kept
    settle_delay: 1s
rules:
  timezone: UTC
  evaluation_interval: 1s
  defaults:
    stuck_in_progress: {running_for: 5s, heartbeat_timeout: 5s}
    no_throughput: {min_silence: 10s, grace: 5s}
    # Well above database_unavailable's 2 s: the queue probe may notice the outage a round
    # before the health probe, and inhibition needs the source alert firing first.
    cannot_measure: {for: 8s}
  database_unavailable: {for: 2s}
alerting:
  default_receiver: hook
  repeat_interval: 24h
  routes:
    - matchers: ['alertname=~".+"']
      receiver: hook
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 5s
YAML

"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port/-/ready")" = 200 ]; }
wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200 within 30 s"
warm_started() { grep -q "alertdb/jobs: warm start read 2 hour(s) with completions, 1 queue(s)" "$tmp/daemon.log"; }
wait_for "the warm start" 30 warm_started ||
  fail "the daemon did not log reading the table's two hours of history (warm start)"

# --- b (first half). Queue "flow" completes about 5 jobs/s, so its rate is known ---------------
# no_throughput trusts a rate measured over a minute once it rests on 30 completions
# (rules/engine.cpp): 75 s of load gives it that, with margin for a slow machine.
# A load generator, not a wait: the sleep sets the rate.
(
  end=$((SECONDS + 75))
  while [ "$SECONDS" -lt "$end" ]; do
    sql "INSERT INTO jobs (queue, state, enqueued_at, started_at, finished_at)
         VALUES ('flow', 'done', now() - interval '1 second', now(), now())" >/dev/null 2>&1
    sleep 0.2
  done
) &
load_pid=$!

# --- a. stuck_in_progress: one job running for an hour, in queue "slow" ------------------------
sql "INSERT INTO jobs (id, queue, state, enqueued_at, started_at)
     VALUES ($stuck_id, 'slow', 'running', now() - interval '61 minutes', now() - interval '1 hour')" ||
  fatal "cannot insert the stuck job"
stuck_paged() {
  tail -n +1 "$tmp/hooks.jsonl" |
    jq -e -s --arg id "$stuck_id" 'any(.[]; .alerts[0].status == "firing"
        and .alerts[0].labels.alertname == "stuck_in_progress"
        and .alerts[0].labels.queue == "slow"
        and ((.alerts[0].annotations.job_ids // "") | split(",") | index($id)))' >/dev/null 2>&1
}
wait_for "stuck_in_progress" 60 stuck_paged ||
  fail "no firing stuck_in_progress payload for queue slow naming job $stuck_id within 60 s"

# --- b. no_throughput: work waits in "flow" while nothing completes any more -------------------
sql "INSERT INTO jobs (queue, state) VALUES ('flow', 'ready'), ('flow', 'ready'), ('flow', 'ready')" ||
  fatal "cannot insert ready jobs"
wait "$load_pid"
load_pid=""
has_payload firing no_throughput 1 flow &&
  fail "no_throughput for flow paged while the queue was still completing jobs"
# Silence must reach min_silence (10 s) and the ready jobs must be older than grace (5 s).
wait_for "no_throughput" 60 has_payload firing no_throughput 1 flow ||
  fail "no firing no_throughput payload for queue flow within 60 s of the last completion"

# --- c. database down: one page, naming the reason; every queue alert held back -----------------
before_down=$(($(log_lines) + 1))
"$pgctl" stop "$pgdir" || fatal "cannot stop the private PostgreSQL"
wait_for "database_unavailable" 30 has_payload firing database_unavailable "$before_down" ||
  fail "no firing database_unavailable payload within 30 s of stopping PostgreSQL"

# Settle for a few evaluations longer than cannot_measure's `for` (8 s), then count: a second
# database_unavailable page, or any queue alert paged while the database is down, is a bug.
settle_until=$((SECONDS + 13))
while [ "$SECONDS" -lt "$settle_until" ]; do
  kill -0 "$pid" 2>/dev/null || fatal "the daemon exited while PostgreSQL was down"
  sleep 0.5
done
got=$(payloads firing database_unavailable "$before_down")
[ "$got" = 1 ] || fail "$got firing database_unavailable payloads after stopping PostgreSQL, want 1"
summary=$(tail -n +"$before_down" "$tmp/hooks.jsonl" |
  jq -r 'select(.alerts[0].status == "firing" and .alerts[0].labels.alertname ==
                "database_unavailable") | .alerts[0].annotations.summary' 2>/dev/null | head -n 1)
grep -qi "connection refused" <<<"$summary" ||
  fail "database_unavailable summary does not name the reason (connection refused): '$summary'"
grep -qF "127.0.0.1:$pg_port" <<<"$summary" ||
  fail "database_unavailable summary does not name 127.0.0.1:$pg_port: '$summary'"
for alert in cannot_measure no_throughput stuck_in_progress queue_latency failure_ratio below_baseline; do
  got=$(payloads firing "$alert" "$before_down")
  [ "$got" = 0 ] || fail "$got firing $alert payload(s) while the database was down (should be inhibited)"
done

# --- c (end). PostgreSQL is back: the page resolves -------------------------------------------
before_up=$(($(log_lines) + 1))
"$pgctl" start "$pgdir" "$pg_port" || fatal "cannot restart the private PostgreSQL"
wait_for "resolved database_unavailable" 30 has_payload resolved database_unavailable "$before_up" ||
  fail "no resolved database_unavailable payload within 30 s of restarting PostgreSQL"

if [ "$failures" -gt 0 ]; then
  dump_logs
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "alerts_daemon: all checks passed"
