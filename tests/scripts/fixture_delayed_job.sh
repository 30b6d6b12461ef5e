#!/usr/bin/env bash
# The Delayed::Job mappings of docs/configuration.md (`preset: delayed_job`, the whole table as
# one queue, and the same per queue), proven against delayed_job_active_record v4.1.11's table
# (tests/fixtures/jobsys/delayed_job/schema.sql) with SQL that does what delayed_job v4.2.0's
# worker does (transitions.sql): delayed_job is a Ruby gem and cannot be installed here. Checks:
#   a. the docs/indexes.md block builds on the schema;
#   b. `once`: ready (Delayed::Job.ready_to_run, not the job scheduled for later), running
#      (locked), the oldest ages and the stuck (held) job, per queue and for the whole table;
#   c. `run`: completions from the table's delete counter (success deletes the row), failures by
#      failed_at (destroy_failed_jobs = false) per queue;
#   d. a stall of one queue of three while the others go on: the per-queue source pages
#      no_throughput for it alone, from observed progress (docs/rules.md), and resolves when it
#      resumes; then a stall of the whole table (all workers stop): the whole-table source pages,
#      from its delete counter. The stall-to-page times are printed.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in a database of its own.
set -uo pipefail

# No history to warm-start from (rows are deleted): the rate is learnt live, a minute at least.
FIXTURE_MIN_SILENCE=10s
# shellcheck source=tests/scripts/lib/fixture_lib.sh
source "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}/tests/scripts/lib/fixture_lib.sh"

fixtures="$QW_SOURCE_DIR/tests/fixtures/jobsys/delayed_job"
fixture_db qw_fixture_delayed_job "$fixtures/schema.sql" "$fixtures/transitions.sql"
sql() { fixture_sql "$1"; }
docs="$QW_SOURCE_DIR/docs/configuration.md"

# --- a. the indexes docs/indexes.md recommends build on the table ------------------------------
fixture_indexes "tested by tests/scripts/fixture_delayed_job.sh" >/dev/null

# --- the scenario -------------------------------------------------------------------------------
sql "SELECT fixture.delayed_job_enqueue('emails') FROM generate_series(1, 4)" >/dev/null || fatal "enqueue failed"
sql "SELECT fixture.delayed_job_enqueue('reports')" >/dev/null || fatal "enqueue failed"
later=$(sql "SELECT fixture.delayed_job_enqueue('emails', fixture.utc_now() + interval '1 hour')")
held=$(sql "SELECT fixture.delayed_job_reserve('emails', 'host:held pid:9')")
retried=$(sql "SELECT fixture.delayed_job_reserve('emails')")
# Rescheduled to now (a payload's own reschedule_at): due again at once, so it waits.
sql "SELECT fixture.delayed_job_fail_retry($retried, fixture.utc_now())" >/dev/null || fatal "retry failed"
[ -n "$held" ] && [ -n "$retried" ] && [ -n "$later" ] || fatal "the scenario did not reserve its jobs"

block=$(docs_yaml_block "$docs" "tested by tests/scripts/fixture_delayed_job.sh:")
[ -n "$block" ] || fatal "no yaml block marked for fixture_delayed_job.sh in docs/configuration.md"
queues_block=$(docs_yaml_block "$docs" "tested by tests/scripts/fixture_delayed_job.sh (per queue)")
[[ "$queues_block" == *"name: delayed_job_queues"*"preset: delayed_job"* ]] || fatal "no per-queue block for fixture_delayed_job.sh"
fixture_config "$block" "$queues_block" >"$FIXTURE_TMP/queuewatch.yaml"
"$QW_BINARY" check-config "$FIXTURE_TMP/queuewatch.yaml" || fatal "the docs' Delayed::Job mappings do not load"
# Preflight proves the mappings on the library's schema (columns, timestamp kinds, expressions,
# every statement planned). Finished rows are deleted: the table stays small.
sql "ANALYZE" >/dev/null
fixture_preflight "$FIXTURE_TMP/queuewatch.yaml"

# --- b. once: counts, ages and stuck ids against Delayed::Job's own predicates ------------------
# Delayed::Job.ready_to_run (active_record.rb) without the worker's own locks: due, not locked
# (or locked longer than max_run_time, 4 hours, ago), not failed. Locked and not failed: running.
where_queue() { [ -n "$1" ] && echo "AND queue = '$1'"; }
lib_ready() { sql "SELECT count(*) FROM delayed_jobs WHERE run_at <= fixture.utc_now() AND failed_at IS NULL
                   AND (locked_at IS NULL OR locked_at < fixture.utc_now() - interval '4 hours') $(where_queue "${1:-}")"; }
lib_running() { sql "SELECT count(*) FROM delayed_jobs WHERE locked_at IS NOT NULL AND failed_at IS NULL $(where_queue "${1:-}")"; }
oldest_ready_age() { sql "SELECT EXTRACT(EPOCH FROM fixture.utc_now() - min(run_at)) FROM delayed_jobs
                          WHERE run_at <= fixture.utc_now() AND locked_at IS NULL AND failed_at IS NULL $(where_queue "${1:-}")"; }
held_age() { sql "SELECT EXTRACT(EPOCH FROM fixture.utc_now() - locked_at) FROM delayed_jobs WHERE id = $held"; }
held_aged() { [ "$(sql "SELECT locked_at < fixture.utc_now() - interval '1.5 s' FROM delayed_jobs WHERE id = $held")" = t ]; }
pid=$$ wait_for "the held job to run 1.5 s" 30 held_aged || fatal "the held job never aged"

before_ready=$(oldest_ready_age)
before_held=$(held_age)
fixture_once "$FIXTURE_TMP/queuewatch.yaml" "$FIXTURE_TMP/once.json"
after_ready=$(oldest_ready_age)
after_held=$(held_age)
field() { fixture_once_field "$FIXTURE_TMP/once.json" "$1" "$2" "$3"; }

# The scenario's own numbers: emails holds 2 new jobs + 1 rescheduled, due (not the one
# scheduled for later), 1 locked; reports 1 due.
[ "$(lib_ready emails)/$(lib_running emails)/$(lib_ready reports)" = 3/1/1 ] ||
  fail "the scenario did not leave 3 ready + 1 locked emails and 1 ready report"
[ "$(field delayed_job delayed_job .ready)/$(field delayed_job delayed_job .running)" = "$(lib_ready)/$(lib_running)" ] ||
  fail "whole table: queuewatch $(field delayed_job delayed_job .ready) ready and $(field delayed_job delayed_job .running)" \
    "running, Delayed::Job has $(lib_ready) and $(lib_running)"
for queue in emails reports; do
  [ "$(field delayed_job_queues "$queue" .ready)/$(field delayed_job_queues "$queue" .running)" = "$(lib_ready $queue)/$(lib_running $queue)" ] ||
    fail "$queue: queuewatch $(field delayed_job_queues "$queue" .ready) ready and $(field delayed_job_queues "$queue" .running)" \
      "running, Delayed::Job has $(lib_ready $queue) and $(lib_running $queue)"
done
age=$(field delayed_job delayed_job .oldest_ready_age_seconds)
awk -v a="$age" -v lo="$before_ready" -v hi="$after_ready" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }' ||
  fail "oldest ready age $age is not between $before_ready and $after_ready"
age=$(field delayed_job delayed_job .oldest_running_age_seconds)
awk -v a="$age" -v lo="$before_held" -v hi="$after_held" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }' ||
  fail "oldest running age $age is not between $before_held and $after_held"
[ "$(field delayed_job delayed_job '.stuck_job_ids | join(",")')" = "$held" ] ||
  fail "stuck ids '$(field delayed_job delayed_job '.stuck_job_ids | join(",")')', want the held job $held"
[ "$(field delayed_job_queues emails '.stuck_job_ids | join(",")')" = "$held" ] ||
  fail "emails stuck ids '$(field delayed_job_queues emails '.stuck_job_ids | join(",")')', want the held job $held"

# --- c. run: completions from the delete counter, failures by failed_at --------------------------
fixture_start "$FIXTURE_TMP/queuewatch.yaml"
first_round() {
  [ "$(fixture_metric queuewatch_queue_ready_jobs delayed_job delayed_job)" != absent ] &&
    [ "$(fixture_metric queuewatch_queue_ready_jobs delayed_job_queues emails)" != absent ]
}
wait_for "the daemon's first round" 30 first_round || fatal "no queue round in /metrics"
start=$(sql "SELECT fixture.utc_now()")
sql "SELECT fixture.delayed_job_complete(fixture.delayed_job_reserve('emails')) FROM generate_series(1, 3)" >/dev/null ||
  fatal "cannot complete emails"
sql "SELECT fixture.delayed_job_fail(fixture.delayed_job_reserve('reports'))" >/dev/null || fatal "cannot fail a report"
[ "$(sql "SELECT count(*) FROM delayed_jobs WHERE queue = 'emails'")/$(sql "SELECT count(*) FROM delayed_jobs
     WHERE queue = 'reports' AND failed_at >= '$start'")" = 2/1 ] ||
  fail "the table does not hold 2 emails (held + scheduled) and 1 failed report after the run step"
source_metric() {
  curl -s --max-time 5 "http://127.0.0.1:$FIXTURE_HTTP_PORT/metrics" |
    awk -v n="$1" -v s="source=\"$2\"" '$1 ~ "^"n"\\{" && index($1, s) { v = $2 } END { print (v == "" ? "absent" : v) }'
}
counted() {
  [ "$(fixture_metric queuewatch_queue_completed_jobs_total delayed_job delayed_job)" = 3 ] &&
    [ "$(fixture_metric queuewatch_queue_failed_jobs_total delayed_job delayed_job)" = 1 ] &&
    [ "$(source_metric queuewatch_source_completed_jobs_total delayed_job_queues)" = 3 ] &&
    [ "$(fixture_metric queuewatch_queue_failed_jobs_total delayed_job_queues reports)" = 1 ]
}
wait_for "3 deletes and 1 failure" 60 counted ||
  fail "counted $(fixture_metric queuewatch_queue_completed_jobs_total delayed_job delayed_job) completions and" \
    "$(fixture_metric queuewatch_queue_failed_jobs_total delayed_job delayed_job) failures for the table (want 3, 1)," \
    "$(source_metric queuewatch_source_completed_jobs_total delayed_job_queues) deletes for the per-queue source (want 3)," \
    "$(fixture_metric queuewatch_queue_failed_jobs_total delayed_job_queues reports) failures of reports per queue (want 1)"
# Deletes cannot be told apart by queue: no per-queue completions rather than wrong ones. Failed
# rows are kept and stamped by failed_at, so failures are still counted per queue (above).
[ "$(fixture_metric queuewatch_queue_completed_jobs_total delayed_job_queues emails)" = absent ] ||
  fail "per-queue completions for emails in a table that deletes finished rows"

# --- d. stalls: one queue, then the whole table --------------------------------------------------
# The whole-table source needs a measured rate (30 completions over at least a minute,
# docs/rules.md) before its stall can page: the workload runs that long before every worker stops.
sql "INSERT INTO fixture_ctl.queues VALUES ('alpha', 1, 2), ('beta', 1, 2), ('gamma', 1, 2)" >/dev/null
fixture_workload_start_idle fixture.delayed_job_round
workload_began=$SECONDS
flowing() { [ "$(fixture_metric queuewatch_queue_completed_jobs_total delayed_job delayed_job)" -gt 40 ] 2>/dev/null; }
wait_for "the workload's deletes to be counted" 30 flowing || fatal "the workload's completions were never counted"
learnt() { [ $((SECONDS - workload_began)) -ge 62 ]; }
# One queue stalls while the others go on: the per-queue source judges gamma by observed
# progress (docs/rules.md, no_throughput where finished rows are deleted) and pages it alone.
sql "UPDATE fixture_ctl.queues SET consume = 0 WHERE queue = 'gamma'" >/dev/null
stalled_at=$SECONDS
paged_gamma() { [ "$(fixture_pages firing no_throughput gamma)" -ge 1 ]; }
wait_for "no_throughput for gamma" 90 paged_gamma || fail "delayed_job_queues: the stalled queue gamma never paged no_throughput"
echo "stall-to-page delayed_job (one queue of three): $((SECONDS - stalled_at)) s"
for q in alpha beta emails reports; do
  [ "$(fixture_pages firing no_throughput $q)" = 0 ] || fail "no_throughput paged for $q, which did not stall"
done
[ "$(fixture_pages firing no_throughput delayed_job)" = 0 ] || fail "the whole table paged while alpha and beta completed"
sql "UPDATE fixture_ctl.queues SET consume = 5 WHERE queue = 'gamma'" >/dev/null
resolved_gamma() { [ "$(fixture_pages resolved no_throughput gamma)" -ge 1 ]; }
wait_for "no_throughput for gamma to resolve" 60 resolved_gamma || fail "no_throughput for gamma did not resolve after it resumed"
wait_for "a minute of measured completions" 90 learnt || fatal "the workload stopped"
# Then every worker stops: the whole-table source pages too.
sql "UPDATE fixture_ctl.queues SET consume = 0" >/dev/null
stalled_at=$SECONDS
paged() { [ "$(fixture_pages firing no_throughput delayed_job)" -ge 1 ]; }
wait_for "no_throughput for the table" 90 paged || fail "the stalled table never paged no_throughput"
echo "stall-to-page delayed_job (whole table): $((SECONDS - stalled_at)) s"
fixture_workload_stop

errors=$(curl -s --max-time 5 "http://127.0.0.1:$FIXTURE_HTTP_PORT/metrics" |
  awk '$1 ~ /^queuewatch_probe_errors_total\{/ && $1 ~ /probe="postgres_queue"/ { s += $2 } END { print s + 0 }')
[ "$errors" = 0 ] || fail "$errors failed queue rounds"

if [ "$failures" -gt 0 ]; then
  echo "--- once output:" >&2
  cat "$FIXTURE_TMP/once.json" >&2
  echo "--- daemon log:" >&2
  tail -50 "$FIXTURE_TMP/daemon.log" >&2
  exit 1
fi
echo "fixture_delayed_job: Delayed::Job's schema agrees with queuewatch"
