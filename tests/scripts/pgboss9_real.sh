#!/usr/bin/env bash
# The pg-boss 9 mapping of docs/configuration.md, proven against the real pg-boss 9 (PGBOSS_VERSION,
# installed from npm into a cache directory): pg-boss creates its schema and runs real jobs
# (complete, fail to retry, hold active, schedule for later, expire a claim), and then
#   a. its enum has the labels the docs name, every state value of the mapping is one of them,
#      and an expired claim with no retry left is `expired`;
#   b. `once` counts ready (created + retry, not the scheduled job) and running as pg-boss does,
#      and names the held job stuck;
#   c. `run` goes through rounds with the completions query without a failed round.
# The queue source is the ```yaml block of docs/configuration.md marked for this test, as is.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in a database of its own.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_PORT:?run through scripts/test (QW_TEST_PG_PORT)}"

PGBOSS_VERSION=9.0.1

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"
# shellcheck source=tests/scripts/lib/npm_lib.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/npm_lib.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-pgboss9.XXXXXX")
pid=""
db=qw_pgboss9_real
dsn="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=$db user=postgres connect_timeout=3"
url="postgres://postgres@127.0.0.1:$QW_TEST_PG_PORT/$db"

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  [ -f "$tmp/daemon.log" ] && { echo "--- daemon log:" >&2; tail -50 "$tmp/daemon.log" >&2; }
  exit 1
}

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$dsn" -c "$1"; }

npm_lib_install pg-boss "$PGBOSS_VERSION" ||
  fatal "pg-boss@$PGBOSS_VERSION is needed from npm (registry unreachable?): this test cannot run"
psql -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=postgres user=postgres" \
  -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || fatal "cannot create database $db"

NODE_PATH="$NPM_LIB_DIR/node_modules" node "$QW_SOURCE_DIR/tests/scripts/js/pgboss9_drive.js" "$url" \
  >"$tmp/drive.json" 2>"$tmp/drive.err" || {
  cat "$tmp/drive.err" >&2
  fatal "the pg-boss 9 driver failed"
}
ids() { jq -r ".$1" "$tmp/drive.json"; }
echo "pg-boss $PGBOSS_VERSION, schema version $(sql "SELECT version FROM pgboss.version")" >&2

# --- a. the enum, the docs' values, the expired claim ------------------------------------------
labels=$(sql "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum
              WHERE enumtypid = 'pgboss.job_state'::regtype")
[ "$labels" = "created,retry,active,completed,expired,cancelled,failed" ] ||
  fail "pgboss.job_state labels are '$labels', not those docs/configuration.md names for pg-boss 9"
block=$(docs_yaml_block "$QW_SOURCE_DIR/docs/configuration.md" "tested by tests/scripts/pgboss9_real.sh")
[ -n "$block" ] || fatal "no yaml block marked for pgboss9_real.sh in docs/configuration.md"
docs_states_are_labels "$block" "$labels" pgboss.job_state
[ "$(ids exp_state)" = expired ] || fail "an expired claim without retries is '$(ids exp_state)', not expired"
[ "$(sql "SELECT completedon IS NOT NULL FROM pgboss.job WHERE id = '$(ids exp)'")" = t ] ||
  fail "the expired job has no completedon"
[ "$(sql "SELECT state FROM pgboss.job WHERE id = '$(ids retry)'")" = retry ] || fail "the failed job is not in retry"

# --- the config ------------------------------------------------------------------------------------
http_port=$(pg_free_port)
docs_test_config "$http_port" "$dsn" "$tmp/state" "$block" >"$tmp/queuewatch.yaml"

# --- b. once -----------------------------------------------------------------------------------------
aged() { [ "$(sql "SELECT startedon < now() - interval '1.5 s' FROM pgboss.job WHERE id = '$(ids active)'")" = t ]; }
pid=$$ wait_for "the held job to run 1.5 s" 30 aged || fatal "the held job never aged"
"$QW_BINARY" once --config "$tmp/queuewatch.yaml" --format json >"$tmp/once.json" 2>"$tmp/once.err" ||
  { cat "$tmp/once.err" >&2; fail "once exited non-zero"; }
q() { jq -r --arg q "$1" ".sources[0].queues[] | select(.queue == \$q) | $2" "$tmp/once.json"; }
want_ready=$(sql "SELECT count(*) FROM pgboss.job WHERE name = 'emails' AND state IN ('created', 'retry')
                  AND startafter <= now()")
[ "$want_ready" = 2 ] || fail "pg-boss has $want_ready due created+retry emails, the scenario leaves 2"
[ "$(q emails .ready)/$(q emails .running)" = "$want_ready/1" ] ||
  fail "emails: queuewatch ready/running $(q emails .ready)/$(q emails .running), pg-boss $want_ready/1"
[ "$(q emails '.stuck_job_ids | join(",")')" = "$(ids active)" ] ||
  fail "emails stuck ids '$(q emails '.stuck_job_ids | join(",")')', want $(ids active)"

# --- c. run: rounds with the completions query, none failed --------------------------------------------
"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
scrape() { curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" >"$tmp/metrics.txt"; }
rounds() {
  awk '$1 ~ /^queuewatch_probe_duration_seconds_count\{/ && $1 ~ /probe="postgres_queue"/ { s += $2 }
       END { print s + 0 }' "$tmp/metrics.txt"
}
three_rounds() { scrape && [ "$(rounds)" -ge 3 ]; }
wait_for "three queue rounds" 30 three_rounds || fatal "fewer than three queue rounds"
errors=$(awk '$1 ~ /^queuewatch_probe_errors_total\{/ && $1 ~ /probe="postgres_queue"/ { s += $2 } END { print s + 0 }' "$tmp/metrics.txt")
[ "$errors" = 0 ] || fail "$errors failed queue rounds"
grep -q '^queuewatch_queue_probe_success{.*source="pgboss".*} 1$' "$tmp/metrics.txt" ||
  fail "queuewatch_queue_probe_success{source=pgboss} is not 1"

if [ "$failures" -gt 0 ]; then
  cat "$tmp/once.json" >&2
  tail -30 "$tmp/daemon.log" >&2
  exit 1
fi
echo "pgboss9_real: pg-boss $PGBOSS_VERSION agrees with queuewatch"
