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

fixture_docs_blocks delayed_job "per queue" delayed_job_queues delayed_job
fixture_write_config "$FIXTURE_BLOCK" "$FIXTURE_BLOCK2"
# Preflight proves the mappings on the library's schema (columns, timestamp kinds, expressions,
# every statement planned). Finished rows are deleted: the table stays small.
sql "ANALYZE" >/dev/null
fixture_preflight "$FIXTURE_CONFIG"

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
fixture_once "$FIXTURE_CONFIG" "$FIXTURE_ONCE"
after_ready=$(oldest_ready_age)
after_held=$(held_age)
field() { fixture_once_field "$FIXTURE_ONCE" "$1" "$2" "$3"; }

# The scenario's own numbers: emails holds 2 new jobs + 1 rescheduled, due (not the one
# scheduled for later), 1 locked; reports 1 due.
[ "$(lib_ready emails)/$(lib_running emails)/$(lib_ready reports)" = 3/1/1 ] ||
  fail "the scenario did not leave 3 ready + 1 locked emails and 1 ready report"
fixture_check_once_tables delayed_job delayed_job_queues Delayed::Job
age=$(field delayed_job delayed_job .oldest_ready_age_seconds)
fixture_between "$age" "$before_ready" "$after_ready" ||
  fail "oldest ready age $age is not between $before_ready and $after_ready"
age=$(field delayed_job delayed_job .oldest_running_age_seconds)
fixture_between "$age" "$before_held" "$after_held" ||
  fail "oldest running age $age is not between $before_held and $after_held"
[ "$(field delayed_job delayed_job '.stuck_job_ids | join(",")')" = "$held" ] ||
  fail "stuck ids '$(field delayed_job delayed_job '.stuck_job_ids | join(",")')', want the held job $held"
[ "$(field delayed_job_queues emails '.stuck_job_ids | join(",")')" = "$held" ] ||
  fail "emails stuck ids '$(field delayed_job_queues emails '.stuck_job_ids | join(",")')', want the held job $held"

# --- c. run: completions from the delete counter, failures by failed_at --------------------------
fixture_start "$FIXTURE_CONFIG"
fixture_wait_first_round delayed_job:delayed_job delayed_job_queues:emails
start=$(sql "SELECT fixture.utc_now()")
sql "SELECT fixture.delayed_job_complete(fixture.delayed_job_reserve('emails')) FROM generate_series(1, 3)" >/dev/null ||
  fatal "cannot complete emails"
sql "SELECT fixture.delayed_job_fail(fixture.delayed_job_reserve('reports'))" >/dev/null || fatal "cannot fail a report"
[ "$(sql "SELECT count(*) FROM delayed_jobs WHERE queue = 'emails'")/$(sql "SELECT count(*) FROM delayed_jobs
     WHERE queue = 'reports' AND failed_at >= '$start'")" = 2/1 ] ||
  fail "the table does not hold 2 emails (held + scheduled) and 1 failed report after the run step"
counted() {
  [ "$(fixture_metric queuewatch_queue_completed_jobs_total delayed_job delayed_job)" = 3 ] &&
    [ "$(fixture_metric queuewatch_queue_failed_jobs_total delayed_job delayed_job)" = 1 ] &&
    [ "$(fixture_source_metric queuewatch_source_completed_jobs_total delayed_job_queues)" = 3 ] &&
    [ "$(fixture_metric queuewatch_queue_failed_jobs_total delayed_job_queues reports)" = 1 ]
}
wait_for "3 deletes and 1 failure" 60 counted ||
  fail "counted $(fixture_metric queuewatch_queue_completed_jobs_total delayed_job delayed_job) completions and" \
    "$(fixture_metric queuewatch_queue_failed_jobs_total delayed_job delayed_job) failures for the table (want 3, 1)," \
    "$(fixture_source_metric queuewatch_source_completed_jobs_total delayed_job_queues) deletes for the per-queue source (want 3)," \
    "$(fixture_metric queuewatch_queue_failed_jobs_total delayed_job_queues reports) failures of reports per queue (want 1)"
# Deletes cannot be told apart by queue: no per-queue completions rather than wrong ones. Failed
# rows are kept and stamped by failed_at, so failures are still counted per queue (above).
[ "$(fixture_metric queuewatch_queue_completed_jobs_total delayed_job_queues emails)" = absent ] ||
  fail "per-queue completions for emails in a table that deletes finished rows"

# --- d. stalls: one queue, then the whole table --------------------------------------------------
fixture_stall_deleting delayed_job delayed_job_queues fixture.delayed_job_round
fixture_finish fixture_delayed_job "Delayed::Job's schema agrees with queuewatch"
