# Shared by the schema-fixture tests, tests/scripts/fixture_<lib>.sh (sourced; not a test
# itself). Those tests prove a job system's mapping (docs/configuration.md, `preset:`) against
# that library's own schema, loaded from tests/fixtures/jobsys/<lib>/, when the library itself
# cannot be installed here.
#
# fixture_db NAME FILE...: a fresh database NAME in the PostgreSQL of scripts/test
#   (QW_TEST_PG_PORT), each SQL FILE loaded in order (stops at the first error). Its sessions
#   run in time zone Pacific/Chatham (UTC+12:45/+13:45): write naive UTC as timezone('UTC',
#   now()). Sets FIXTURE_DSN, FIXTURE_TMP (a temporary directory for logs and configs), and in it
#   FIXTURE_CONFIG (the daemon's config) and FIXTURE_ONCE (the output of `once`).
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
# The steps every fixture test takes in the same way, so that a test keeps only its library's
# scenario and predicates (each records a failed check with fail, or stops with fatal):
# fixture_docs_blocks NAME SUFFIX SOURCE PRESET: the docs/configuration.md yaml blocks marked
#   "tested by tests/scripts/fixture_NAME.sh:" (FIXTURE_BLOCK) and "... (SUFFIX)"
#   (FIXTURE_BLOCK2), the second's source `- name: NAME` renamed SOURCE; it must name SOURCE and
#   use `preset: PRESET`.
# fixture_check_enum TYPE LABELS WHO: the enum TYPE has exactly LABELS (comma-separated, in
#   order; WHO names the library's release) and every state value of FIXTURE_BLOCK is one.
# fixture_write_config BLOCK...: fixture_config into FIXTURE_CONFIG, which must load (check-config).
# fixture_between VALUE LO HI: whether LO <= VALUE <= HI (10 ms of slack each side).
# fixture_check_once_queues SOURCE PRESET_SOURCE WHO STUCK_JQ: in FIXTURE_ONCE, each of emails and
#   reports shows lib_ready QUEUE and lib_running QUEUE (the caller's, the library's own
#   predicates), and PRESET_SOURCE sees what SOURCE sees (ready, running, STUCK_JQ).
# fixture_check_once_tables SOURCE QUEUES_SOURCE WHO: in FIXTURE_ONCE, the whole-table SOURCE
#   (its one queue named SOURCE) shows lib_ready and lib_running, and each of emails and reports
#   of QUEUES_SOURCE shows lib_ready QUEUE and lib_running QUEUE.
# fixture_wait_first_round SOURCE:QUEUE...: waits until each has its ready series in /metrics.
# fixture_check_counted WHO COMPLETED FAILED SOURCE...: the library (WHO) finished 3 emails and
#   failed 1 report (COMPLETED and FAILED, its own count); each SOURCE counts as many (waited
#   for), and no completion of reports nor failure of emails (the first SOURCE).
# fixture_stall_gamma LABEL PAGE_WITHIN RESOLVE_WITHIN RESUME [SOURCE...]: with the workload on
#   alpha, beta and gamma, gamma's workers stop: no_throughput must page gamma within PAGE_WITHIN
#   seconds (from each SOURCE; without one, from any); gamma resumes (consume RESUME) and the
#   page must resolve within RESOLVE_WITHIN; no other queue may have paged by then. Prints the
#   stall-to-page time.
# fixture_stall_one_of_three SOURCE PRESET_SOURCE ROUND: the workload ROUND on queues alpha, beta,
#   gamma (history of 1 job/s each), then fixture_stall_gamma for both sources.
# fixture_stall_deleting SOURCE QUEUES_SOURCE ROUND: for tables that delete finished rows (no
#   history, rates learnt live: FIXTURE_MIN_SILENCE 10s): the workload ROUND on alpha, beta,
#   gamma; fixture_stall_gamma (QUEUES_SOURCE judges by observed progress), then, a minute of
#   completions measured, every queue stops and the whole-table SOURCE pages.
# fixture_metrics_page: /metrics, read whole (a reader that stops early would kill curl with
#   SIGPIPE, a failure under pipefail).
# fixture_source_metric NAME SOURCE: the value of NAME{source=SOURCE} (no queue label), or "absent".
# fixture_finish NAME MESSAGE: fails the test if any round of the queue probe failed; then exits 1
#   with the once output and the daemon's log if any check failed, or prints "NAME: MESSAGE".
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
FIXTURE_BLOCK=""
FIXTURE_BLOCK2=""
FIXTURE_CONFIG=""
FIXTURE_ONCE=""

fixture_admin_dsn() { echo "host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=postgres user=postgres connect_timeout=3"; }

fixture_db() {
  FIXTURE_DB="$1"
  shift
  FIXTURE_DSN="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=$FIXTURE_DB user=postgres connect_timeout=3"
  FIXTURE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/qw-$FIXTURE_DB.XXXXXX")
  FIXTURE_CONFIG="$FIXTURE_TMP/queuewatch.yaml"
  FIXTURE_ONCE="$FIXTURE_TMP/once.json"
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

fixture_metrics_page() {
  local page
  page=$(curl -s --max-time 5 "http://127.0.0.1:$FIXTURE_HTTP_PORT/metrics")
  printf '%s\n' "$page"
}

fixture_metric() {
  fixture_metrics_page |
    awk -v n="$1" -v s="source=\"$2\"" -v q="queue=\"$3\"" \
      '$1 ~ "^"n"\\{" && index($1, s) && index($1, q) { v = $2 } END { print (v == "" ? "absent" : v) }'
}

fixture_source_metric() {
  fixture_metrics_page |
    awk -v n="$1" -v s="source=\"$2\"" '$1 ~ "^"n"\\{" && index($1, s) { v = $2 } END { print (v == "" ? "absent" : v) }'
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

# --- the shared steps (see the list at the top) ----------------------------------------------------

fixture_docs_blocks() {
  local docs="$QW_SOURCE_DIR/docs/configuration.md" marker="tested by tests/scripts/fixture_$1.sh"
  FIXTURE_BLOCK=$(docs_yaml_block "$docs" "$marker:")
  [ -n "$FIXTURE_BLOCK" ] || fatal "no yaml block marked for fixture_$1.sh in docs/configuration.md"
  # Renamed so that both blocks can run side by side in one config.
  FIXTURE_BLOCK2=$(docs_yaml_block "$docs" "$marker ($2)" | sed "s/^- name: $1\$/- name: $3/")
  [[ "$FIXTURE_BLOCK2" == *"name: $3"*"preset: $4"* ]] ||
    fatal "no $2 block (name: $3, preset: $4) for fixture_$1.sh in docs/configuration.md"
}

fixture_check_enum() {
  local labels
  labels=$(fixture_sql "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum
                        WHERE enumtypid = '$1'::regtype") || fatal "cannot read the labels of $1"
  [ "$labels" = "$2" ] || fail "$1 labels are '$labels': the fixture is not $3's schema"
  docs_states_are_labels "$FIXTURE_BLOCK" "$labels" "$1"
}

fixture_write_config() {
  fixture_config "$@" >"$FIXTURE_CONFIG" # not in a subshell: it sets FIXTURE_HTTP_PORT
  "$QW_BINARY" check-config "$FIXTURE_CONFIG" >"$FIXTURE_TMP/check-config.out" 2>&1 || {
    cat "$FIXTURE_TMP/check-config.out" >&2
    fatal "the docs' mapping does not load"
  }
}

fixture_between() { awk -v a="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }'; }

fixture_check_once_queues() {
  local queue field got want preset
  for queue in emails reports; do
    got=$(fixture_once_field "$FIXTURE_ONCE" "$1" "$queue" .ready)
    want=$(lib_ready "$queue")
    [ "$got" = "$want" ] || fail "$queue: queuewatch ready $got, $3 has $want ready jobs"
    got=$(fixture_once_field "$FIXTURE_ONCE" "$1" "$queue" .running)
    want=$(lib_running "$queue")
    [ "$got" = "$want" ] || fail "$queue: queuewatch running $got, $3 has $want running"
    for field in .ready .running "$4"; do
      got=$(fixture_once_field "$FIXTURE_ONCE" "$1" "$queue" "$field")
      preset=$(fixture_once_field "$FIXTURE_ONCE" "$2" "$queue" "$field")
      [ "$preset" = "$got" ] || fail "$queue $field: $2 saw '$preset', $1 '$got'"
    done
  done
}

fixture_check_once_tables() {
  local queue got want
  got="$(fixture_once_field "$FIXTURE_ONCE" "$1" "$1" .ready)/$(fixture_once_field "$FIXTURE_ONCE" "$1" "$1" .running)"
  want="$(lib_ready)/$(lib_running)"
  [ "$got" = "$want" ] || fail "whole table: queuewatch ready/running $got, $3 has $want"
  for queue in emails reports; do
    got="$(fixture_once_field "$FIXTURE_ONCE" "$2" "$queue" .ready)/$(fixture_once_field "$FIXTURE_ONCE" "$2" "$queue" .running)"
    want="$(lib_ready "$queue")/$(lib_running "$queue")"
    [ "$got" = "$want" ] || fail "$queue: queuewatch ready/running $got, $3 has $want"
  done
}

fixture_first_round_seen() { # SOURCE:QUEUE...
  local sq
  for sq in "$@"; do
    [ "$(fixture_metric queuewatch_queue_ready_jobs "${sq%%:*}" "${sq#*:}")" != absent ] || return 1
  done
}

fixture_wait_first_round() {
  wait_for "the daemon's first round" 30 fixture_first_round_seen "$@" || fatal "no queue round in /metrics"
}

fixture_counted() { # COMPLETED FAILED SOURCE...
  local completed="$1" failed="$2" s
  shift 2
  for s in "$@"; do
    [ "$(fixture_metric queuewatch_queue_completed_jobs_total "$s" emails)" = "$completed" ] &&
      [ "$(fixture_metric queuewatch_queue_failed_jobs_total "$s" reports)" = "$failed" ] || return 1
  done
}

fixture_check_counted() {
  local who="$1" s m got
  shift
  [ "$1/$2" = 3/1 ] || fail "$who shows $1 emails completed and $2 reports failed by the finish step, not 3 and 1"
  wait_for "$1 completions of emails and $2 failures of reports" 60 fixture_counted "$@" || {
    for s in "${@:3}"; do
      fail "$s counted $(fixture_metric queuewatch_queue_completed_jobs_total "$s" emails) completions of emails" \
        "(want $1) and $(fixture_metric queuewatch_queue_failed_jobs_total "$s" reports) failures of reports (want $2)"
    done
  }
  for m in "queuewatch_queue_completed_jobs_total reports" "queuewatch_queue_failed_jobs_total emails"; do
    got=$(fixture_metric "${m% *}" "$3" "${m#* }")
    [ "$got" = 0 ] || fail "${m#* }: ${m% *} is $got, want 0"
  done
}

fixture_paged() { # STATUS QUEUE [SOURCE...]: a no_throughput page of QUEUE with STATUS (for each SOURCE)
  local status="$1" queue="$2" s
  shift 2
  [ $# -gt 0 ] || set -- ""
  for s in "$@"; do
    [ "$(fixture_pages "$status" no_throughput "$queue" "$s")" -ge 1 ] || return 1
  done
}

fixture_moving() { # SOURCE: alpha, beta and gamma each have 20 completions counted
  local queue
  for queue in alpha beta gamma; do
    [ "$(fixture_metric queuewatch_queue_completed_jobs_total "$1" "$queue")" -ge 20 ] 2>/dev/null || return 1
  done
}

fixture_stall_gamma() {
  local label="$1" page_within="$2" resolve_within="$3" resume="$4" stalled_at paged_at others
  shift 4
  fixture_sql "UPDATE fixture_ctl.queues SET consume = 0 WHERE queue = 'gamma'" >/dev/null || fatal "cannot stop gamma"
  stalled_at=$(date +%s.%N)
  wait_for "no_throughput for gamma" "$page_within" fixture_paged firing gamma "$@" ||
    fail "the stalled queue gamma did not page no_throughput within $page_within s${1:+ (from each of $*)}"
  paged_at=$(date +%s.%N)
  echo "stall-to-page $label: $(awk -v a="$stalled_at" -v b="$paged_at" 'BEGIN { printf "%.1f", b - a }') s"
  fixture_sql "UPDATE fixture_ctl.queues SET consume = $resume WHERE queue = 'gamma'" >/dev/null || fatal "cannot resume gamma"
  wait_for "gamma's no_throughput to resolve" "$resolve_within" fixture_paged resolved gamma "$@" ||
    fail "no_throughput for gamma did not resolve after it resumed"
  others=$(jq -r '.alerts[]? | select(.status == "firing" and .labels.alertname == "no_throughput" and .labels.queue != "gamma") | .labels.queue' \
    "$FIXTURE_TMP/hooks.jsonl" | sort -u | tr '\n' ' ')
  [ -z "$others" ] || fail "no_throughput fired for queues that kept completing: $others"
}

fixture_stall_one_of_three() {
  fixture_sql "INSERT INTO fixture_ctl.queues VALUES ('alpha', 1, 5), ('beta', 1, 5), ('gamma', 1, 5)" >/dev/null ||
    fatal "cannot fill fixture_ctl.queues"
  fixture_workload_start "$3"
  wait_for "alpha, beta and gamma to complete jobs" 60 fixture_moving "$1" || fatal "the workload did not get counted"
  fixture_stall_gamma "$1 (min_silence $FIXTURE_MIN_SILENCE, 1 s rounds, history of 1 job/s per queue)" 120 90 50 "$1" "$2"
  fixture_workload_stop
}

fixture_flowing() { [ "$(fixture_metric queuewatch_queue_completed_jobs_total "$1" "$1")" -gt 40 ] 2>/dev/null; }
fixture_seconds_since() { [ $((SECONDS - $1)) -ge "$2" ]; } # STARTED_AT SECONDS

fixture_stall_deleting() {
  local began stalled_at
  # The whole-table source needs a measured rate (30 completions over at least a minute,
  # docs/rules.md) before its stall can page: the workload runs that long before every worker stops.
  fixture_sql "INSERT INTO fixture_ctl.queues VALUES ('alpha', 1, 2), ('beta', 1, 2), ('gamma', 1, 2)" >/dev/null ||
    fatal "cannot fill fixture_ctl.queues"
  fixture_workload_start_idle "$3"
  began=$SECONDS
  wait_for "the workload's deletes to be counted" 30 fixture_flowing "$1" || fatal "the workload's completions were never counted"
  # One queue stalls while the others go on: the per-queue source judges gamma by observed
  # progress (docs/rules.md, no_throughput where finished rows are deleted) and pages it alone
  # (the whole table, still completing, does not).
  fixture_stall_gamma "$1 (one queue of three)" 90 60 5 "$2"
  wait_for "a minute of measured completions" 90 fixture_seconds_since "$began" 62 || fatal "the workload stopped"
  # Then every worker stops: the whole-table source pages too.
  fixture_sql "UPDATE fixture_ctl.queues SET consume = 0" >/dev/null || fatal "cannot stop the workers"
  stalled_at=$SECONDS
  wait_for "no_throughput for the table" 90 fixture_paged firing "$1" || fail "the stalled table never paged no_throughput"
  echo "stall-to-page $1 (whole table): $((SECONDS - stalled_at)) s"
  fixture_workload_stop
}

fixture_finish() {
  local errors
  errors=$(fixture_metrics_page |
    awk '$1 ~ /^queuewatch_probe_errors_total\{/ && $1 ~ /probe="postgres_queue"/ { s += $2 } END { print s + 0 }')
  [ "$errors" = 0 ] || fail "$errors failed queue rounds"
  if [ "$failures" -gt 0 ]; then
    echo "--- once output:" >&2
    cat "$FIXTURE_ONCE" >&2
    echo "--- daemon log:" >&2
    tail -50 "$FIXTURE_TMP/daemon.log" >&2
    exit 1
  fi
  echo "$1: $2"
}
