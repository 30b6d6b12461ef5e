#!/usr/bin/env bash
# What the shortfall rules expect of each queue, as the live daemon exports it, on the real
# binary against the shared test PostgreSQL: a queue whose table keeps eight days of finished rows
# (36 an hour) gets queuewatch_queue_expected_completions_per_second = 36/3600 from the warm start
# and a learnt queuewatch_queue_level_noise, labelled like its probe series; a queue with one hour
# of history has neither (the rules cannot judge it yet: absent, never 0); promtool finds nothing
# to say about the scrape.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR; scripts/test exports QW_TEST_PG_*.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_DSN:?QW_TEST_PG_DSN is unset: run through scripts/test, which starts PostgreSQL}"
# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d)
table="expectation_metrics_$$"
pid=""

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$QW_TEST_PG_DSN" -c "$1"; }

cleanup() {
  stop_processes "$pid"
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

port=$(pg_free_port)

# "steady": 36 jobs finished ten minutes into each of the last 192 complete hours; "fresh": 36
# in the last complete hour only.
sql "CREATE TABLE $table (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz,
       finished_at timestamptz);
     INSERT INTO $table (queue, state, enqueued_at, started_at, finished_at)
       SELECT 'steady', 'done', t, t, t
       FROM generate_series(1, 192) AS h, generate_series(1, 36) AS j,
            LATERAL (SELECT date_trunc('hour', now()) - h * interval '1 hour'
                            + interval '10 minutes' AS t) AS x;
     INSERT INTO $table (queue, state, enqueued_at, started_at, finished_at)
       SELECT 'fresh', 'done', t, t, t
       FROM generate_series(1, 36),
            LATERAL (SELECT date_trunc('hour', now()) - interval '50 minutes' AS t) AS x" ||
  fatal "cannot create the job table"

cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$port"
state_dir: "$tmp/state"
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
targets:
  - name: testdb
    dsn: "$QW_TEST_PG_DSN"
    region: local
queues:
  - name: jobs
    target: testdb
    table: $table
    queue_column: queue
    queue_names: [steady, fresh]
    state: {column: state, ready: [ready], running: [running], completed: [done]}
    timestamps: {enqueued: enqueued_at, started: started_at, finished: finished_at}
    completed_rows: kept
    settle_delay: 1s
rules:
  timezone: UTC
  evaluation_interval: 1s
YAML

"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!

scrape() { curl -s --max-time 5 "http://127.0.0.1:$port/metrics"; }
# series NAME QUEUE: the whole line of NAME for that queue, empty if absent.
series() { scrape | grep "^$1{" | grep "queue=\"$2\"" | head -1; }
has_expectation() { [ -n "$(series queuewatch_queue_expected_completions_per_second steady)" ]; }
wait_for "the steady queue's expectation" 60 has_expectation ||
  fatal "no queuewatch_queue_expected_completions_per_second for the steady queue in 60 s"

line=$(series queuewatch_queue_expected_completions_per_second steady)
value=${line##* }
# 36 an hour: 0.01/s, whatever the hour (every hour of every day had 36).
awk -v v="$value" 'BEGIN { exit !(v > 0.0099 && v < 0.0101) }' ||
  fail "expected 0.01 completions/s for the steady queue, the scrape says: $line"
for label in 'target="testdb"' 'source="jobs"' 'region="local"'; do
  [[ "$line" == *"$label"* ]] || fail "the expectation lacks the probe series' label $label: $line"
done

# The level is learnt at the first probe round after the warm start: a round after the above.
has_noise() { [ -n "$(series queuewatch_queue_level_noise steady)" ]; }
wait_for "the steady queue's level noise" 30 has_noise ||
  fail "no queuewatch_queue_level_noise for a queue with eight days of hours"
line=$(series queuewatch_queue_level_noise steady)
# 36 an hour exactly: nothing beyond the count's own noise, so the floor of 0.1.
[ -z "$line" ] || awk -v v="${line##* }" 'BEGIN { exit !(v >= 0.1 && v < 0.15) }' ||
  fail "the level noise of a queue that completes 36 every hour should be the 0.1 floor: $line"

# The fresh queue is probed (its probe series are there), yet has no baseline to export.
has_fresh() { [ -n "$(series queuewatch_queue_running_jobs fresh)" ]; }
wait_for "the fresh queue's probe series" 30 has_fresh || fail "the fresh queue was never probed"
[ -z "$(series queuewatch_queue_expected_completions_per_second fresh)" ] ||
  fail "an expectation for a queue with one hour of history: $(series queuewatch_queue_expected_completions_per_second fresh)"
[ -z "$(series queuewatch_queue_level_noise fresh)" ] ||
  fail "a level noise for a queue with one hour of history"

scrape >"$tmp/scrape.txt"
promtool_check_metrics "$tmp/scrape.txt"

[ "$failures" = 0 ] && echo "expectation_metrics: ok"
exit $((failures > 0))
