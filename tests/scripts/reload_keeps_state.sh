#!/usr/bin/env bash
# A reload that does not touch a probe keeps it running with its state (as Prometheus keeps rule
# groups across a reload): the queue probe's completion watermark, so a job finished around the
# SIGHUP is still counted once, and the target's pool with its open connections. A fresh probe
# would start a new watermark after that job and never count it; a fresh pool would reconnect.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR; scripts/test exports QW_TEST_PG_*.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_DSN:?QW_TEST_PG_DSN is unset: run through scripts/test, which starts PostgreSQL}"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d)
table="reload_keeps_state_$$"
app="qw_reload_keeps_state_$$"  # tells our connections apart in pg_stat_activity
pid=""

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$QW_TEST_PG_DSN" -c "$1"; }

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  sql "DROP TABLE IF EXISTS $table" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  exit 1
}

port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

sql "CREATE TABLE $table (id bigserial PRIMARY KEY, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz);
     INSERT INTO $table (state) VALUES ('ready')" || fatal "cannot create the table"

config="$tmp/queuewatch.yaml"
write_config() {  # write_config EVALUATION_INTERVAL STATE_DIR: what the reload changes
  cat >"$config" <<YAML
http:
  listen: "127.0.0.1:$port"
state_dir: "$2"
probes:
  postgres_health: {interval: 1s}
  postgres_queue: {interval: 4s}
targets:
  - name: testdb
    dsn: "$QW_TEST_PG_DSN application_name=$app"
    region: local
queues:
  - name: jobs
    target: testdb
    table: $table
    state: {column: state, ready: [ready], running: [running], completed: [done]}
    timestamps: {enqueued: enqueued_at, finished: finished_at}
    settle_delay: 1s
rules:
  evaluation_interval: $1
YAML
}
write_config 1s "$tmp/state"

metric_value() {  # metric_value PREFIX: the value of the first series starting with PREFIX
  curl -s --max-time 5 "http://127.0.0.1:$port/metrics" |
    awk -v p="$1" 'index($0, p) == 1 { print $NF; exit }'
}
queue_rounds() { metric_value 'queuewatch_probe_duration_seconds_count{probe="postgres_queue"'; }
completed() { metric_value 'queuewatch_queue_completed_jobs_total{'; }
our_pids() { sql "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity WHERE application_name = '$app'"; }

"$QW_BINARY" run --config "$config" >"$tmp/daemon.log" 2>&1 &
pid=$!
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/-/ready")" = 200 ]; }
wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200"

# Right after a queue round (the next is 4 s away), a job finishes just behind the watermark's
# settle_delay, and the SIGHUP follows at once.
rounds=$(queue_rounds)
next_round() { [ "$(queue_rounds)" != "$rounds" ]; }
wait_for "a queue round" 20 next_round || fatal "the queue probe does not run"
sql "INSERT INTO $table (state, finished_at) VALUES ('done', now() - interval '1 second')"
pids=$(our_pids)
[ -n "$pids" ] || fatal "no connection of ours in pg_stat_activity"
write_config 2s "$tmp/elsewhere"  # state_dir needs a restart: a warning, not silence
kill -HUP "$pid"

counted() { [ "$(completed)" = 1 ]; }
wait_for "the job finished around the reload to be counted" 20 counted ||
  fail "completed_jobs_total is '$(completed)', want 1: the reload restarted the probe's watermark"
grep -q "reload: 2 probe(s) and 1 connection pool(s) carried over" "$tmp/daemon.log" ||
  fail "the unchanged probes and pool were not carried over: $(grep 'carried over' "$tmp/daemon.log")"
still=$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$app' AND pid IN ($pids)")
[ "$still" = "$(tr ',' '\n' <<<"$pids" | wc -l)" ] ||
  fail "the pool's connections ($pids) did not survive the reload: now $(our_pids)"
grep -q "reload: state_dir changed; it takes effect only after a restart" "$tmp/daemon.log" ||
  fail "a reload that changed state_dir did not say that it needs a restart"
[ -e "$tmp/elsewhere" ] && fail "the reload moved to the new state_dir"
grep -q "warm start read" "$tmp/daemon.log" && [ "$(grep -c "warm start read" "$tmp/daemon.log")" -gt 1 ] &&
  fail "the warm start ran again after the reload"

kill -TERM "$pid"
wait "$pid"
pid=""

if [ "$failures" -gt 0 ]; then
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "reload_keeps_state: all checks passed"
