# Shared by the schema-fixture tests, tests/scripts/fixture_<lib>.sh (sourced; not a test
# itself). Those tests prove a job system's mapping (docs/configuration.md, `preset:`) against
# that library's own schema, loaded from tests/fixtures/jobsys/<lib>/, when the library itself
# cannot be installed here.
#
# fixture_db NAME FILE...: a fresh database NAME in the PostgreSQL of scripts/test
#   (QW_TEST_PG_PORT), each SQL FILE loaded in order (stops at the first error). Its sessions
#   run in time zone Pacific/Chatham (UTC+12:45/+13:45): write naive UTC as timezone('UTC',
#   now()). Sets FIXTURE_DSN and FIXTURE_TMP (a temporary directory for logs and configs).
# fixture_sql SQL: runs SQL there; prints rows unaligned, fields separated by '|'. Returns
#   non-zero on an SQL error.
# fixture_config BLOCK...: prints a daemon config: the docs' source BLOCKs under a target named
#   `primary` (as docs_test_config), 1 s probe and evaluation intervals, stuck_in_progress after
#   FIXTURE_RUNNING_FOR (1s) or a heartbeat older than FIXTURE_HEARTBEAT_TIMEOUT (5m),
#   no_throughput with min_silence FIXTURE_MIN_SILENCE (20s) and grace 5s, and every alert
#   sent to a webhook receiver whose payloads fixture_pages reads. Sets FIXTURE_HTTP_PORT.
# fixture_once CONFIG OUT: `queuewatch once --format json` into OUT (fatal if it fails).
# fixture_once_field OUT SOURCE QUEUE JQ: JQ applied to that queue of that source in OUT.
# fixture_preflight CONFIG: `queuewatch check-config --connect` (docs/preflight.md) must prove
#   every source with nothing to say (exit 0): relation, columns, timestamp kinds, state values,
#   and no per-round statement reading a table of more than 10,000 rows sequentially, so run it
#   with the docs' indexes built, on a table that big, after ANALYZE. Records a failure (fail)
#   with the findings otherwise.
# fixture_start CONFIG: starts `queuewatch run` and the webhook receiver; waits for /-/ready.
#   Sets pid (the daemon, which wait_for watches).
# fixture_metric NAME SOURCE QUEUE: the value of NAME{source=SOURCE,queue=QUEUE} in /metrics,
#   or "absent".
# fixture_pages STATUS ALERTNAME [QUEUE [SOURCE]]: how many alerts with that status (firing,
#   resolved) and alertname (and queue and source labels) the receiver got.
# fixture_workload_start FUNCTION: one psql session that calls `SELECT FUNCTION()` in its own
#   transaction every 0.2 s until fixture_workload_stop. FUNCTION is the library's round: for each
#   row of fixture_ctl.queues (queue text, produce int, consume int), enqueue `produce` jobs and
#   claim and complete up to `consume` due jobs of that queue, as the library does. Steer it with
#   SQL on fixture_ctl.queues (consume = 0: that queue's workers are stopped).
# fixture_workload_start_idle FUNCTION: the same rounds, each sent by the client as a statement
#   of its own with the session idle in between. Use it for tables whose finished rows are
#   deleted: PostgreSQL publishes a backend's table statistics (the delete counter that
#   `completed_rows: deleted` reads) only when the backend goes idle, so the deletes of a running
#   DO loop stay invisible until it ends.
# fixture_workload_stop: stops it and waits for it.
# fixture_docs_sql FILE MARKER: prints the ```sql block that follows the first line of FILE
#   containing MARKER (docs_yaml_block's twin), for SQL the docs ask users to run.
# fixture_indexes MARKER: runs the ```sql block that follows the line of docs/indexes.md containing
#   MARKER on the fixture database, statement by statement (CONCURRENTLY needs that); fails the
#   test (fail) if there is no block or a statement fails (a state value the enum lacks, a column
#   the table lacks). Prints the index names it built.
# fixture_cleanup: stops the daemon, receiver and workload, drops the database, removes FIXTURE_TMP.
#
# Sourcing it also does what every fixture test starts with: checks the variables scripts/test
# sets, sources scripts/lib/pg.sh, harness.sh and npm_lib.sh, defines `fatal` (which shows the
# daemon's log) and sets `trap fixture_cleanup EXIT` (a test with more to clean up sets its own
# trap that calls fixture_cleanup).

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_PORT:?run through scripts/test (QW_TEST_PG_PORT)}"
# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"
# shellcheck source=tests/scripts/lib/npm_lib.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/npm_lib.sh"

pid=""
fatal() {
  echo "FATAL: $*" >&2
  [ -f "${FIXTURE_TMP:-}/daemon.log" ] && { echo "--- daemon log:" >&2; tail -50 "$FIXTURE_TMP/daemon.log" >&2; }
  exit 1
}
trap fixture_cleanup EXIT

FIXTURE_MIN_SILENCE=${FIXTURE_MIN_SILENCE:-20s}
FIXTURE_RUNNING_FOR=${FIXTURE_RUNNING_FOR:-1s}
FIXTURE_HEARTBEAT_TIMEOUT=${FIXTURE_HEARTBEAT_TIMEOUT:-5m}
FIXTURE_DB=""
FIXTURE_DSN=""
FIXTURE_TMP=""
FIXTURE_HTTP_PORT=""
FIXTURE_HOOK_PORT=""
FIXTURE_RECEIVER_PID=""
FIXTURE_WORKLOAD_PID=""

fixture_admin_dsn() { echo "host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=postgres user=postgres connect_timeout=3"; }

fixture_db() {
  FIXTURE_DB="$1"
  shift
  FIXTURE_DSN="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=$FIXTURE_DB user=postgres connect_timeout=3"
  FIXTURE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/qw-$FIXTURE_DB.XXXXXX")
  psql -X -q -v ON_ERROR_STOP=1 "$(fixture_admin_dsn)" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $FIXTURE_DB" \
    -c "CREATE DATABASE $FIXTURE_DB" >/dev/null || fatal "cannot create database $FIXTURE_DB"
  # Sessions of this database (the daemon's too) run in a time zone far from UTC, so that a
  # naive-UTC column mapped as timestamptz (or the reverse) shows as ages off by hours.
  psql -X -q -v ON_ERROR_STOP=1 "$(fixture_admin_dsn)" \
    -c "ALTER DATABASE $FIXTURE_DB SET timezone TO 'Pacific/Chatham'" >/dev/null ||
    fatal "cannot set the time zone of $FIXTURE_DB"
  # Before the fixture, so that its functions may read it.
  fixture_sql "CREATE SCHEMA fixture_ctl;
    CREATE TABLE fixture_ctl.queues (queue text PRIMARY KEY, produce int NOT NULL DEFAULT 0,
                                     consume int NOT NULL DEFAULT 0);
    CREATE TABLE fixture_ctl.stop (stop boolean NOT NULL);
    INSERT INTO fixture_ctl.stop VALUES (false);" >/dev/null || fatal "cannot create fixture_ctl"
  local f
  for f in "$@"; do
    psql -X -q -v ON_ERROR_STOP=1 "$FIXTURE_DSN" -f "$f" >/dev/null 2>"$FIXTURE_TMP/load.err" || {
      cat "$FIXTURE_TMP/load.err" >&2
      fatal "cannot load $f"
    }
  done
}

fixture_sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$FIXTURE_DSN" -c "$1"; }

fixture_config() {
  FIXTURE_HTTP_PORT=$(pg_free_port)
  FIXTURE_HOOK_PORT=$(pg_free_port)
  cat <<YAML
http:
  listen: "127.0.0.1:$FIXTURE_HTTP_PORT"
state_dir: "$FIXTURE_TMP/state"
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
rules:
  timezone: UTC
  evaluation_interval: 1s
  defaults:
    stuck_in_progress: {running_for: $FIXTURE_RUNNING_FOR, heartbeat_timeout: $FIXTURE_HEARTBEAT_TIMEOUT}
    no_throughput: {min_silence: $FIXTURE_MIN_SILENCE, grace: 5s}
alerting:
  default_receiver: hook
  repeat_interval: 24h
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$FIXTURE_HOOK_PORT/alerts"
      timeout: 5s
targets:
  - name: primary
    region: local
    dsn: "$FIXTURE_DSN"
queues:
YAML
  printf '%s\n' "$@" | sed 's/^/  /'
}

fixture_once() {
  # Preflight first (docs/preflight.md): the mapping must be proven against the fixture's schema,
  # every state value a label or value of its column, every statement planned (warnings allowed).
  "$QW_BINARY" check-config --connect "$1" >"$FIXTURE_TMP/preflight.out" 2>&1
  [ $? -lt 2 ] || {
    cat "$FIXTURE_TMP/preflight.out" >&2
    fatal "check-config --connect found an error in the mapping"
  }
  "$QW_BINARY" once --config "$1" --format json >"$2" 2>"$FIXTURE_TMP/once.err" || {
    cat "$FIXTURE_TMP/once.err" >&2
    fatal "queuewatch once failed"
  }
}

fixture_once_field() {
  jq -r --arg s "$2" --arg q "$3" ".sources[] | select(.source == \$s) | .queues[] | select(.queue == \$q) | $4" "$1"
}

fixture_preflight() {
  local rc
  "$QW_BINARY" check-config --connect "$1" >"$FIXTURE_TMP/preflight.out" 2>&1
  rc=$?
  [ "$rc" = 0 ] || fail "check-config --connect exited $rc on the docs' mapping: $(cat "$FIXTURE_TMP/preflight.out")"
}

fixture_start() {
  : >"$FIXTURE_TMP/hooks.jsonl"
  python3 "$QW_SOURCE_DIR/scripts/lib/webhook_receiver.py" "$FIXTURE_HOOK_PORT" \
    --log "$FIXTURE_TMP/hooks.jsonl" >"$FIXTURE_TMP/receiver.out" 2>&1 &
  FIXTURE_RECEIVER_PID=$!
  "$QW_BINARY" run --config "$1" >"$FIXTURE_TMP/daemon.log" 2>&1 &
  pid=$!
  fixture_ready() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$FIXTURE_HTTP_PORT/-/ready")" = 200 ] &&
      curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$FIXTURE_HOOK_PORT/" -X POST -d '{}'
  }
  wait_for "the daemon and the receiver" 30 fixture_ready || fatal "/-/ready or the receiver never answered"
  : >"$FIXTURE_TMP/hooks.jsonl" # the probe POST above is not an alert
}

fixture_metric() {
  curl -s --max-time 5 "http://127.0.0.1:$FIXTURE_HTTP_PORT/metrics" |
    awk -v n="$1" -v s="source=\"$2\"" -v q="queue=\"$3\"" \
      '$1 ~ "^"n"\\{" && index($1, s) && index($1, q) { v = $2 } END { print (v == "" ? "absent" : v) }'
}

fixture_pages() {
  jq -c --arg s "$1" --arg a "$2" --arg q "${3:-}" --arg src "${4:-}" \
    '.alerts[]? | select(.status == $s and .labels.alertname == $a and ($q == "" or .labels.queue == $q)
                         and ($src == "" or .labels.source == $src))' \
    "$FIXTURE_TMP/hooks.jsonl" 2>/dev/null | wc -l
}

fixture_workload_start() {
  fixture_sql "UPDATE fixture_ctl.stop SET stop = false" || fatal "cannot reset fixture_ctl.stop"
  psql -X -q -v ON_ERROR_STOP=1 "$FIXTURE_DSN" >"$FIXTURE_TMP/workload.log" 2>&1 <<SQL &
DO \$\$
BEGIN
  LOOP
    EXIT WHEN (SELECT stop FROM fixture_ctl.stop);
    PERFORM $1();
    COMMIT;
    PERFORM pg_sleep(0.2);
  END LOOP;
END
\$\$;
SQL
  FIXTURE_WORKLOAD_PID=$!
}

fixture_workload_start_idle() {
  rm -f "$FIXTURE_TMP/workload.stop"
  # The sleep paces the workload (five rounds a second); it waits for nothing.
  (while [ ! -e "$FIXTURE_TMP/workload.stop" ]; do
    echo "SELECT $1();"
    sleep 0.2
  done) | psql -X -q -v ON_ERROR_STOP=1 "$FIXTURE_DSN" >"$FIXTURE_TMP/workload.log" 2>&1 &
  FIXTURE_WORKLOAD_PID=$!
}

fixture_workload_stop() {
  [ -n "$FIXTURE_WORKLOAD_PID" ] || return 0
  touch "$FIXTURE_TMP/workload.stop"
  fixture_sql "UPDATE fixture_ctl.stop SET stop = true" >/dev/null 2>&1
  wait "$FIXTURE_WORKLOAD_PID" 2>/dev/null
  FIXTURE_WORKLOAD_PID=""
}

fixture_docs_sql() {
  awk -v marker="$2" '
    !found && index($0, marker) { found = 1; next }
    found == 1 && /^```sql/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }' "$1"
}

fixture_indexes() {
  local block
  block=$(fixture_docs_sql "$QW_SOURCE_DIR/docs/indexes.md" "$1")
  if [ -z "$block" ]; then
    fail "no sql block after \"$1\" in docs/indexes.md"
    return 1
  fi
  if ! printf '%s\n' "$block" | psql -X -q -v ON_ERROR_STOP=1 "$FIXTURE_DSN" -f - >/dev/null 2>"$FIXTURE_TMP/indexes.err"; then
    fail "the docs/indexes.md block for $1 does not build on the fixture: $(cat "$FIXTURE_TMP/indexes.err")"
    return 1
  fi
  printf '%s\n' "$block" | sed -n 's/.*CREATE INDEX CONCURRENTLY \([a-z_0-9]*\).*/\1/p'
}

fixture_cleanup() {
  fixture_workload_stop
  stop_processes "${pid:-}" "$FIXTURE_RECEIVER_PID"
  [ -n "$FIXTURE_DB" ] && psql -X -q "$(fixture_admin_dsn)" -c "DROP DATABASE IF EXISTS $FIXTURE_DB" >/dev/null 2>&1
  [ -n "$FIXTURE_TMP" ] && rm -rf "$FIXTURE_TMP"
}
