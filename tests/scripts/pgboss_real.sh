#!/usr/bin/env bash
# The pg-boss mapping of docs/configuration.md, proven against the real pg-boss (PGBOSS_VERSION,
# installed from npm into a cache directory): pg-boss creates its own schema, real jobs go
# through it (complete, fail to retry, fail for good, expire while active, held in progress,
# scheduled for later), and queuewatch's `once` and `run` must agree with pg-boss's own view:
#   a. the enum labels and the mapping's state values (every value must be a label);
#   b. what happens to a job whose claim expires (retry, then failed: there is no `expired`);
#   c. `once`: ready (created + retry, not the scheduled job), running, oldest ages, stuck ids;
#   d. `run`: completions and failures per queue after the second round, with no failed round.
# The queue sources are the ```yaml blocks of docs/configuration.md marked for this test, as
# they are (the mapping, and the same as `preset: pg-boss`).
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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-pgboss.XXXXXX")
pid=""
db=qw_pgboss_real
dsn="host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=$db user=postgres connect_timeout=3"
url="postgres://postgres@127.0.0.1:$QW_TEST_PG_PORT/$db"
drive="$QW_SOURCE_DIR/tests/scripts/js/pgboss_drive.js"

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
  [ -f "$tmp/daemon.log" ] && { echo "--- daemon log:" >&2; cat "$tmp/daemon.log" >&2; }
  exit 1
}

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$dsn" -c "$1"; }
node_drive() { NODE_PATH="$NPM_LIB_DIR/node_modules" node "$drive" "$url" "$@"; }

npm_lib_install pg-boss "$PGBOSS_VERSION" ||
  fatal "pg-boss@$PGBOSS_VERSION is needed from npm (registry unreachable?): this test cannot run"

psql -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$QW_TEST_PG_PORT dbname=postgres user=postgres" \
  -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || fatal "cannot create database $db"

# --- pg-boss creates its schema and runs the jobs ----------------------------------------------
node_drive setup >"$tmp/setup.json" 2>"$tmp/setup.err" || {
  cat "$tmp/setup.err" >&2
  fatal "the pg-boss driver failed"
}
ids() { jq -r ".ids.$1" "$tmp/setup.json"; }
echo "pg-boss $PGBOSS_VERSION, schema version $(sql "SELECT version FROM pgboss.version")" >&2

# --- a. enum labels, and the docs' state values are labels -------------------------------------
labels=$(sql "SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
              WHERE e.enumtypid = 'pgboss.job_state'::regtype")
[ "$labels" = "created,retry,active,completed,cancelled,failed" ] ||
  fail "pgboss.job_state labels are '$labels': docs/configuration.md describes another set"

block=$(docs_yaml_block "$QW_SOURCE_DIR/docs/configuration.md" "tested by tests/scripts/pgboss_real.sh:")
[ -n "$block" ] || fatal "no yaml block marked for pgboss_real.sh in docs/configuration.md"
# The same source as `preset: pg-boss`, renamed beside it: both must see the same.
preset_block=$(docs_yaml_block "$QW_SOURCE_DIR/docs/configuration.md" "tested by tests/scripts/pgboss_real.sh (preset)" |
  sed 's/^- name: pgboss$/- name: pgboss_preset/')
[[ "$preset_block" == *"name: pgboss_preset"*"preset: pg-boss"* ]] || fatal "no preset block for pgboss_real.sh in the docs"
docs_states_are_labels "$block" "$labels" pgboss.job_state

# --- b. a claim that expires: retry, then failed -------------------------------------------------
node_drive expire >"$tmp/expire.json" 2>"$tmp/expire.err" || {
  cat "$tmp/expire.err" >&2
  fatal "the pg-boss expire driver failed"
}
states=$(jq -r '.states | join(",")' "$tmp/expire.json")
[ "$states" = "active,retry,active,failed" ] ||
  fail "an expiring job (retryLimit 1) went through '$states', not active,retry,active,failed"

# --- the config: the docs block, under a target named as it expects ---------------------------
http_port=$(pg_free_port)
docs_test_config "$http_port" "$dsn" "$tmp/state" "$block" "$preset_block" >"$tmp/queuewatch.yaml"
"$QW_BINARY" check-config "$tmp/queuewatch.yaml" || fatal "the docs' pg-boss mapping does not load"

# --- c. once: counts, ages and stuck ids against pg-boss's view ---------------------------------
# pg-boss's own view: findJobs() states from the driver, and the due time (start_after) pg-boss
# compares with now() when it fetches.
lib_count() { # QUEUE STATES...: jobs of QUEUE in those states by findJobs(), not the scheduled one
  local q="$1"
  shift
  jq -r --arg q "$q" --arg later "$(ids later)" \
    '[.jobs[$q][] | select(.id != $later and (.state | IN($ARGS.positional[])))] | length' \
    --args "$@" <"$tmp/setup.json"
}
oldest_ready_age() { # QUEUE: seconds since the oldest due created/retry job became due
  sql "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(start_after)), -1) FROM pgboss.job
       WHERE name = '$1' AND state IN ('created', 'retry') AND start_after <= now()"
}
held_age() { sql "SELECT EXTRACT(EPOCH FROM now() - started_on) FROM pgboss.job WHERE id = '$1'"; }

# The held job is stuck once it has run for running_for (1 s): wait for that on pg-boss's clock.
wait_held() { [ "$(sql "SELECT started_on < now() - interval '1.5 s' FROM pgboss.job WHERE id = '$(ids active)'")" = t ]; }
pid=$$ wait_for "the held job to run 1.5 s" 30 wait_held || fatal "the held job never aged"

before_emails=$(oldest_ready_age emails)
before_held=$(held_age "$(ids active)")
"$QW_BINARY" once --config "$tmp/queuewatch.yaml" --format json >"$tmp/once.json" 2>"$tmp/once.err" ||
  { cat "$tmp/once.err" >&2; fail "once exited non-zero"; }
after_emails=$(oldest_ready_age emails)
after_held=$(held_age "$(ids active)")
q() { jq -r --arg q "$1" --arg s "${3:-pgboss}" ".sources[] | select(.source == \$s) | .queues[] | select(.queue == \$q) | $2" "$tmp/once.json"; }

for queue in emails reports; do
  want_ready=$(lib_count "$queue" created retry)
  want_running=$(lib_count "$queue" active)
  [ "$(q "$queue" .ready)" = "$want_ready" ] ||
    fail "$queue: queuewatch ready $(q "$queue" .ready), pg-boss has $want_ready due created+retry jobs"
  [ "$(q "$queue" .running)" = "$want_running" ] ||
    fail "$queue: queuewatch running $(q "$queue" .running), pg-boss has $want_running active"
done
# The fixed numbers of the scenario, so a driver change cannot make both sides agree on nothing:
# emails holds 2 due created + 1 retry (+1 scheduled, not waiting), 1 active; reports 1 created.
[ "$(lib_count emails created retry)/$(lib_count emails active)/$(lib_count reports created)" = 3/1/1 ] ||
  fail "the scenario did not leave 3 ready + 1 active emails and 1 ready report"
[ "$(jq -r --arg id "$(ids retry)" '.jobs.emails[] | select(.id == $id) | .state' "$tmp/setup.json")" = retry ] ||
  fail "the job failed once is not in state retry"

age=$(q emails .oldest_ready_age_seconds)
awk -v a="$age" -v lo="$before_emails" -v hi="$after_emails" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }' ||
  fail "emails oldest ready age $age is not between pg-boss's $before_emails and $after_emails"
age=$(q emails .oldest_running_age_seconds)
awk -v a="$age" -v lo="$before_held" -v hi="$after_held" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }' ||
  fail "emails oldest running age $age is not between pg-boss's $before_held and $after_held"
[ "$(q emails '.stuck_job_ids | join(",")')" = "$(ids active)" ] ||
  fail "emails stuck ids '$(q emails '.stuck_job_ids | join(",")')', want the held job $(ids active)"
[ "$(q reports .running)/$(q reports .stuck)" = 0/0 ] || fail "reports has running or stuck jobs"
for queue in emails reports; do
  for field in .ready .running '.stuck_job_ids | join(",")'; do
    [ "$(q "$queue" "$field" pgboss_preset)" = "$(q "$queue" "$field")" ] ||
      fail "$queue $field: preset: pg-boss saw '$(q "$queue" "$field" pgboss_preset)', the docs mapping '$(q "$queue" "$field")'"
  done
done

# --- d. run: completions and failures, counted from the second round on ---------------------------
# Completions are counted by completed_on after settle_delay (10 s, the docs block's default),
# from the first round's watermark on: wait until the jobs completed by the setup are older than
# that, so that exactly the jobs finished below are counted.
settled() { [ "$(sql "SELECT max(completed_on) < now() - interval '11 s' FROM pgboss.job")" = t ]; }
pid=$$ wait_for "the setup's completions to settle" 30 settled || fatal "completed_on never settled"

"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
metric() { # NAME QUEUE [SOURCE]: the value of NAME{source=SOURCE (pgboss),queue=QUEUE}, or "absent"
  curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
    awk -v n="$1" -v q="queue=\"$2\"" -v s="source=\"${3:-pgboss}\"" \
      '$1 ~ "^"n"\\{" && index($1, q) && index($1, s) { v = $2 } END { print (v == "" ? "absent" : v) }'
}
first_round() {
  [ "$(metric queuewatch_queue_ready_jobs emails)" != absent ] &&
    [ "$(metric queuewatch_queue_ready_jobs emails pgboss_preset)" != absent ]
}
wait_for "the daemon's first round" 30 first_round || fatal "no queue round in /metrics"

node_drive finish 3 >"$tmp/finish.json" 2>"$tmp/finish.err" || {
  cat "$tmp/finish.err" >&2
  fatal "the pg-boss finish driver failed"
}
counted() {
  [ "$(metric queuewatch_queue_completed_jobs_total emails)" = 3 ] &&
    [ "$(metric queuewatch_queue_failed_jobs_total reports)" = 1 ] &&
    [ "$(metric queuewatch_queue_completed_jobs_total emails pgboss_preset)" = 3 ] &&
    [ "$(metric queuewatch_queue_failed_jobs_total reports pgboss_preset)" = 1 ]
}
wait_for "3 completions of emails and 1 failure of reports" 60 counted ||
  fail "counted completions $(metric queuewatch_queue_completed_jobs_total emails) (want 3)," \
    "failures $(metric queuewatch_queue_failed_jobs_total reports) (want 1);" \
    "with the preset $(metric queuewatch_queue_completed_jobs_total emails pgboss_preset)" \
    "and $(metric queuewatch_queue_failed_jobs_total reports pgboss_preset)"
lib_completed=$(sql "SELECT count(*) FROM pgboss.job WHERE name = 'emails' AND state = 'completed'
                       AND completed_on >= (SELECT min(completed_on) FROM pgboss.job WHERE id = ANY('$(jq -r '.completed | "{" + join(",") + "}"' "$tmp/finish.json")'))")
[ "$lib_completed" = 3 ] || fail "pg-boss shows $lib_completed emails completed by the finish step, not 3"
[ "$(metric queuewatch_queue_completed_jobs_total reports)" = 0 ] ||
  fail "reports completions $(metric queuewatch_queue_completed_jobs_total reports), want 0"
errors=$(curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
  awk '$1 ~ /^queuewatch_probe_errors_total\{/ && $1 ~ /probe="postgres_queue"/ { s += $2 } END { print s + 0 }')
[ "$errors" = 0 ] || { grep -i "error\|warn" "$tmp/daemon.log" >&2; fail "$errors failed queue rounds (a state value pg-boss does not have?)"; }
[ "$(curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" | awk '$1 ~ /^queuewatch_queue_probe_success\{/ && $1 ~ /source="pgboss/ { s = s $2 } END { print s }')" = 11 ] ||
  fail "queuewatch_queue_probe_success is not 1 for both pg-boss sources"

if [ "$failures" -gt 0 ]; then
  echo "--- once output:" >&2
  cat "$tmp/once.json" >&2
  echo "--- daemon log:" >&2
  tail -50 "$tmp/daemon.log" >&2
  exit 1
fi
echo "pgboss_real: pg-boss $PGBOSS_VERSION agrees with queuewatch"
