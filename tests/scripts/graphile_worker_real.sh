#!/usr/bin/env bash
# The graphile-worker mappings of docs/configuration.md (whole table, and per task), proven against
# the real graphile-worker (GW_VERSION, installed from npm into a cache directory): it migrates its
# own schema, real workers run real jobs (complete = delete, fail for good, fail once and wait for
# the retry, held in progress by a worker that never finishes, scheduled for later), and
# queuewatch must agree with graphile-worker's own `jobs` view:
#   a. the schema the mapping relies on (the table, its generated is_available, jobs is a view);
#   b. `once`: ready, running, oldest ages and stuck ids, for the table and per task;
#   c. `run`: completions are the table's deletes, per queue for the whole-table source, and only
#      per source (never a per-queue 0) for the per-task one.
# The queue sources are the ```yaml blocks of docs/configuration.md marked for this test, as is
# (the per-task one is `preset: graphile-worker` with `queue_column: task_id`).
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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-graphile.XXXXXX")
pid=""
hold_pid=""
db=qw_graphile_real
dsn="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=$db user=postgres connect_timeout=3"
url="postgres://postgres@127.0.0.1:$QW_TEST_PG_PORT/$db"
drive="$QW_SOURCE_DIR/tests/scripts/js/graphile_worker_drive.js"
docs="$QW_SOURCE_DIR/docs/configuration.md"

cleanup() {
  stop_processes "$pid" "$hold_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  for f in hold.err daemon.log; do
    [ -f "$tmp/$f" ] && { echo "--- $f:" >&2; tail -50 "$tmp/$f" >&2; }
  done
  exit 1
}

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$dsn" -c "$1"; }
# graphile-worker logs to stdout too: the driver's result is its last line that is a JSON object.
node_drive() {
  NODE_PATH="$NPM_LIB_DIR/node_modules" node "$drive" "$url" "$@" >"$tmp/drive.out" &&
    grep '^{' "$tmp/drive.out" | tail -1
}

npm_lib_install graphile-worker "$GW_VERSION" ||
  fatal "graphile-worker@$GW_VERSION is needed from npm (registry unreachable?): this test cannot run"

psql -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=postgres user=postgres" \
  -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || fatal "cannot create database $db"

# --- graphile-worker migrates and runs the jobs -------------------------------------------------
node_drive setup >"$tmp/setup.json" 2>"$tmp/setup.err" || {
  cat "$tmp/setup.err" >&2
  fatal "the graphile-worker driver failed"
}
ids() { jq -r ".ids.$1" "$tmp/setup.json"; }
NODE_PATH="$NPM_LIB_DIR/node_modules" node "$drive" "$url" hold >"$tmp/hold.out" 2>"$tmp/hold.err" &
hold_pid=$!
held() { grep -q '^{"held"' "$tmp/hold.out"; }
pid=$hold_pid wait_for "the hold worker to lock its job" 60 held || fatal "no job held"
held_id=$(grep '^{"held"' "$tmp/hold.out" | jq -r .held)

# --- a. the schema ---------------------------------------------------------------------------------
[ "$(sql "SELECT relkind FROM pg_class WHERE oid = 'graphile_worker._private_jobs'::regclass")" = r ] ||
  fail "graphile_worker._private_jobs is not a table"
[ "$(sql "SELECT relkind FROM pg_class WHERE oid = 'graphile_worker.jobs'::regclass")" = v ] ||
  fail "graphile_worker.jobs is not a view"
[ "$(sql "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a
          ON a.attrelid = d.adrelid AND a.attnum = d.adnum
          WHERE d.adrelid = 'graphile_worker._private_jobs'::regclass AND a.attname = 'is_available'")" = \
  "((locked_at IS NULL) AND (attempts < max_attempts))" ] ||
  fail "is_available is not (locked_at IS NULL AND attempts < max_attempts): the mapping relies on it"
# Success deletes: the five completed jobs are gone; the final failure stays, attempts = max.
[ "$(sql "SELECT count(*) FROM graphile_worker.jobs WHERE id IN ($(jq -r '.ids.completed | join(",")' "$tmp/setup.json"))")" = 0 ] ||
  fail "completed jobs are still in graphile_worker.jobs"
[ "$(sql "SELECT attempts = max_attempts AND locked_at IS NULL FROM graphile_worker.jobs WHERE id = $(ids failed)")" = t ] ||
  fail "the job that failed for good is not in the table with attempts = max_attempts"
[ "$(sql "SELECT attempts = 1 AND locked_at IS NULL AND last_error IS NOT NULL FROM graphile_worker.jobs WHERE id = $(ids retry)")" = t ] ||
  fail "the job that failed once is not waiting for its retry"

# --- the config: the two docs blocks, under a target named as they expect --------------------------
whole=$(docs_yaml_block "$docs" "tested by tests/scripts/graphile_worker_real.sh (whole table)")
per_task=$(docs_yaml_block "$docs" "tested by tests/scripts/graphile_worker_real.sh (per task)")
[ -n "$whole" ] && [ -n "$per_task" ] || fatal "the yaml blocks marked for this test are missing from $docs"
http_port=$(pg_free_port)
docs_test_config "$http_port" "$dsn" "$tmp/state" "$whole" "$per_task" >"$tmp/queuewatch.yaml"
"$QW_BINARY" check-config "$tmp/queuewatch.yaml" || fatal "the docs' graphile-worker mappings do not load"

# --- b. once, against graphile-worker's own view -------------------------------------------------
# graphile-worker's view of a job: waiting when unlocked, attempts left and due (its get_job's
# condition); running when locked.
lib() { # TASK|'' WHAT: count of ready/running jobs of TASK (all tasks when empty) in the jobs view
  local where="true"
  [ -n "$1" ] && where="task_identifier = '$1'"
  case "$2" in
    ready) sql "SELECT count(*) FROM graphile_worker.jobs WHERE $where AND locked_at IS NULL
                AND attempts < max_attempts AND run_at <= now()" ;;
    running) sql "SELECT count(*) FROM graphile_worker.jobs WHERE $where AND locked_at IS NOT NULL" ;;
    ready_age) sql "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(run_at)), -1) FROM graphile_worker.jobs
                    WHERE $where AND locked_at IS NULL AND attempts < max_attempts AND run_at <= now()" ;;
  esac
}
# Stable state first: the retried job due again (run_at + e s), the held job locked for 1.5 s.
stable() {
  [ "$(sql "SELECT bool_and(run_at <= now()) FROM graphile_worker.jobs WHERE id = $(ids retry)")" = t ] &&
    [ "$(sql "SELECT locked_at < now() - interval '1.5 s' FROM graphile_worker.jobs WHERE id = $held_id")" = t ]
}
pid=$hold_pid wait_for "the retried job to be due and the held job to age" 30 stable || fatal "never stable"

before_age=$(lib "" ready_age)
"$QW_BINARY" once --config "$tmp/queuewatch.yaml" --format json >"$tmp/once.json" 2>"$tmp/once.err" ||
  { cat "$tmp/once.err" >&2; fail "once exited non-zero"; }
after_age=$(lib "" ready_age)
q() { # SOURCE QUEUE JQ
  jq -r --arg s "$1" --arg q "$2" ".sources[] | select(.source == \$s) | .queues[] | select(.queue == \$q) | $3" "$tmp/once.json"
}
task_id() { sql "SELECT id FROM graphile_worker._private_tasks WHERE identifier = '$1'"; }

[ "$(q graphile graphile .ready)" = "$(lib "" ready)" ] ||
  fail "whole table: queuewatch ready $(q graphile graphile .ready), graphile-worker $(lib "" ready)"
[ "$(q graphile graphile .running)" = "$(lib "" running)" ] ||
  fail "whole table: queuewatch running $(q graphile graphile .running), graphile-worker $(lib "" running)"
[ "$(q graphile graphile '.stuck_job_ids | join(",")')" = "$held_id" ] ||
  fail "whole table: stuck ids '$(q graphile graphile '.stuck_job_ids | join(",")')', want the held job $held_id"
age=$(q graphile graphile .oldest_ready_age_seconds)
awk -v a="$age" -v lo="$before_age" -v hi="$after_age" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }' ||
  fail "whole table: oldest ready age $age is not between graphile-worker's $before_age and $after_age"
for task in send_email report hold; do
  id=$(task_id "$task")
  [ "$(q graphile_tasks "$id" .ready)/$(q graphile_tasks "$id" .running)" = "$(lib "$task" ready)/$(lib "$task" running)" ] ||
    fail "task $task (queue \"$id\"): queuewatch ready/running $(q graphile_tasks "$id" .ready)/$(q graphile_tasks "$id" .running)," \
      "graphile-worker $(lib "$task" ready)/$(lib "$task" running)"
done
[ "$(q graphile_tasks "$(task_id hold)" '.stuck_job_ids | join(",")')" = "$held_id" ] ||
  fail "per task: the held job $held_id is not stuck in queue \"$(task_id hold)\""
[ "$(q graphile_tasks "$(task_id send_email)" .stuck)" = 0 ] || fail "per task: send_email has stuck jobs"
# The scenario's fixed numbers (retry due; scheduled and failed-for-good not waiting; 2 reports):
[ "$(lib send_email ready)/$(lib report ready)/$(lib hold running)" = 1/2/1 ] ||
  fail "the scenario did not leave 1 ready send_email, 2 ready reports and 1 held job"

# --- c. run: completions are the table's deletes ---------------------------------------------------
"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
scrape() { curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" >"$tmp/metrics.txt"; }
metric() { # NAME SOURCE [QUEUE]: its value, or "absent"
  awk -v n="$1" -v s="source=\"$2\"" -v q="${3:+queue=\"$3\"}" \
    '$1 ~ "^"n"\\{" && index($1, s) && (q == "" || index($1, q)) { v = $2 } END { print (v == "" ? "absent" : v) }' \
    "$tmp/metrics.txt"
}
# Both sources must have read the delete counter once (their baseline) before the jobs complete.
first_round() {
  scrape && [ "$(metric queuewatch_source_completed_jobs_total graphile_tasks)" != absent ] &&
    [ "$(metric queuewatch_source_completed_jobs_total graphile)" != absent ]
}
wait_for "the daemon's first rounds" 30 first_round || fatal "no source completions counter in /metrics"

node_drive complete 4 >"$tmp/complete.json" 2>"$tmp/complete.err" || {
  cat "$tmp/complete.err" >&2
  fatal "the graphile-worker complete driver failed"
}
[ "$(sql "SELECT count(*) FROM graphile_worker.jobs WHERE id IN ($(jq -r '.completed | join(",")' "$tmp/complete.json"))")" = 0 ] ||
  fail "graphile-worker did not delete the 4 jobs it completed"
counted() {
  scrape && [ "$(metric queuewatch_queue_completed_jobs_total graphile graphile)" = 4 ] &&
    [ "$(metric queuewatch_source_completed_jobs_total graphile_tasks)" = 4 ]
}
wait_for "4 completions counted" 60 counted ||
  fail "completions: whole table $(metric queuewatch_queue_completed_jobs_total graphile graphile)," \
    "per-task source $(metric queuewatch_source_completed_jobs_total graphile_tasks); want 4 and 4"
# Per task, completions are not knowable from a per-table counter: absent, never a silent 0.
[ "$(metric queuewatch_queue_completed_jobs_total graphile_tasks)" = absent ] ||
  fail "per-task completions are exported ($(metric queuewatch_queue_completed_jobs_total graphile_tasks)) though they cannot be known"
[ "$(metric queuewatch_queue_probe_success graphile)/$(metric queuewatch_queue_probe_success graphile_tasks)" = 1/1 ] ||
  fail "a graphile source has a failed round"

if [ "$failures" -gt 0 ]; then
  echo "--- once output:" >&2
  cat "$tmp/once.json" >&2
  echo "--- daemon log:" >&2
  tail -50 "$tmp/daemon.log" >&2
  exit 1
fi
echo "graphile_worker_real: graphile-worker $GW_VERSION agrees with queuewatch"
