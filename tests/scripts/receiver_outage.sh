#!/usr/bin/env bash
# A receiver that is down for minutes while an alert fires, with a daemon restart in the middle
# of the outage. Once the receiver is back: everything queued is delivered, nothing is dropped,
# and it is still ONE incident (one fingerprint, one startsAt across every payload, reminders
# included); the resolved notice follows when the job finishes.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR; scripts/test exports QW_TEST_PG_*.
# QW_OUTAGE_SECONDS sets the outage (default 180: three minutes).
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_DSN:?QW_TEST_PG_DSN is unset: run through scripts/test, which starts PostgreSQL}"
outage_seconds="${QW_OUTAGE_SECONDS:-180}"

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-outage.XXXXXX")
table="outage_jobs_$$"
pid=""
receiver_pid=""
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$QW_TEST_PG_DSN" -c "$1"; }

cleanup() {
  stop_processes "$pid" "$receiver_pid"
  sql "DROP TABLE IF EXISTS $table" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FAIL: $*" >&2
  echo "--- daemon logs:" >&2
  cat "$tmp"/daemon*.log >&2
  echo "--- received payloads:" >&2
  cat "$tmp/hooks.jsonl" >&2 2>/dev/null
  exit 1
}

hook_port=$(pg_free_port)
http_port=$(pg_free_port)
metric() { # metric NAME LABELS: the value of one series on /metrics, 0 when absent
  curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
    awk -v series="$1{$2}" 'index($0, series " ") == 1 { v = $2 } END { print v + 0 }'
}
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port/-/ready")" = 200 ]; }

sql "CREATE TABLE $table (id bigint PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
       enqueued_at timestamptz NOT NULL, started_at timestamptz, finished_at timestamptz);
     INSERT INTO $table VALUES (777, 'slow', 'running', now() - interval '2 hours',
       now() - interval '1 hour', NULL)" || fatal "cannot create the job table"

cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
probes:
  postgres_health: {interval: 1s}
  postgres_queue: {interval: 1s}
targets:
  - name: db
    dsn: "$QW_TEST_PG_DSN"
    region: local
queues:
  - name: jobs
    target: db
    table: $table
    queue_column: queue
    queue_names: [slow]
    state: {column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}
    timestamps: {enqueued: enqueued_at, started: started_at, finished: finished_at}
    settle_delay: 1s
rules:
  evaluation_interval: 1s
  defaults:
    stuck_in_progress: {running_for: 5s}
alerting:
  default_receiver: hook
  # Reminders while the receiver is down: each must carry the same incident, not open a new one.
  repeat_interval: 20s
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 2s
      max_backoff: 5s
YAML

start_daemon() {
  "$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon$1.log" 2>&1 &
  pid=$!
  wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200"
}

# --- the receiver is down: the firing notification waits in the outbox, retried -------------
outage_ends=$((SECONDS + outage_seconds))
start_daemon 1
retrying() { [ "$(metric queuewatch_notifications_total 'receiver="hook",result="retry"')" -ge 1 ]; }
wait_for "a failed delivery attempt" 60 retrying || fatal "no delivery attempt was retried"
[ "$(metric queuewatch_outbox_depth 'receiver="hook"')" -ge 1 ] || fatal "the outbox is empty"

# --- restart the daemon in the middle of the outage ---------------------------------------------
kill -TERM "$pid"
wait "$pid" || fatal "the daemon did not exit cleanly on SIGTERM"
start_daemon 2
# The outage goes on: this wait is the scenario (minutes without a receiver), not a sync.
while [ "$SECONDS" -lt "$outage_ends" ]; do
  kill -0 "$pid" 2>/dev/null || fatal "the daemon exited during the outage"
  sleep 1
done
queued=$(metric queuewatch_outbox_depth 'receiver="hook"')
[ "$queued" -ge 2 ] || fatal "only $queued notification(s) queued after the outage; want the page and its reminders"

# --- the receiver is back ------------------------------------------------------------------------
: >"$tmp/hooks.jsonl"
python3 "$QW_SOURCE_DIR/scripts/lib/webhook_receiver.py" "$hook_port" --log "$tmp/hooks.jsonl" \
  >"$tmp/receiver.out" 2>&1 &
receiver_pid=$!
drained() { [ "$(metric queuewatch_outbox_depth 'receiver="hook"')" = 0 ]; }
wait_for "the outbox to drain" 60 drained || fatal "the outbox did not drain within 60 s of the receiver's return"

firing() {
  jq -c 'select(.alerts[0].labels.alertname == "stuck_in_progress" and .alerts[0].status == "firing")
         | [.alerts[0].fingerprint, .alerts[0].startsAt]' "$tmp/hooks.jsonl"
}
got=$(firing | wc -l)
[ "$got" -ge "$queued" ] || fatal "$got firing payload(s) received, $queued were queued"
incidents=$(firing | sort -u | wc -l)
[ "$incidents" = 1 ] || fatal "$incidents distinct (fingerprint, startsAt) pairs: the outage opened new incidents"
grep -q '"777"\|777' "$tmp/hooks.jsonl" || fatal "the payloads do not name job 777"

# --- the job finishes: one resolved notice, same incident ----------------------------------------
sql "UPDATE $table SET state = 'done', finished_at = now() WHERE id = 777" || fatal "cannot finish job 777"
resolved() {
  jq -e -s 'any(.[]; .alerts[0].labels.alertname == "stuck_in_progress" and .alerts[0].status == "resolved")' \
    "$tmp/hooks.jsonl" >/dev/null 2>&1
}
wait_for "the resolved notice" 30 resolved || fatal "no resolved stuck_in_progress payload within 30 s"
fp_firing=$(firing | head -n 1 | jq -r '.[0]')
fp_resolved=$(jq -r 'select(.alerts[0].status == "resolved") | .alerts[0].fingerprint' "$tmp/hooks.jsonl" | head -n 1)
[ "$fp_firing" = "$fp_resolved" ] || fatal "resolved fingerprint $fp_resolved differs from firing $fp_firing"

for result in failed dropped; do
  n=$(metric queuewatch_notifications_total "receiver=\"hook\",result=\"$result\"")
  [ "$n" = 0 ] || fatal "$n notification(s) $result"
done
echo "receiver_outage: $outage_seconds s outage, daemon restarted in it: $got firing payload(s) of one incident, then resolved; nothing lost"
