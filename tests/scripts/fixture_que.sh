#!/usr/bin/env bash
# The Que mappings of docs/configuration.md (`preset: que`, the whole table as one queue, and the
# same per queue), proven against Que v2.4.1's own migrations (tests/fixtures/jobsys/que/
# schema.sql) with Que's own statements (transitions.sql): Que is a Ruby gem and cannot be
# installed here. A running Que job changes no column: it is held by an advisory lock on its id,
# so a background session holds one here, as a locker does. Checks:
#   a. the docs/indexes.md block builds on the schema;
#   b. `once`: ready (what Que's poller would take, not the job scheduled for later nor the held
#      one), running (jobs another session cannot lock, Que's own test), the oldest ready age;
#      no running age and no stuck ids (Que keeps no start time);
#   c. `run`: completions from the table's delete counter (success deletes the row), failures by
#      expired_at;
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

holder_pid=""
# The holder's server session sleeps: end it from the server side, or the database cannot be
# dropped (a backend asleep in pg_sleep does not notice its client going away).
release_holder() {
  [ -n "$FIXTURE_DSN" ] && fixture_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                        WHERE application_name = 'qw_que_holder'" >/dev/null 2>&1
  stop_processes "$holder_pid"
}
cleanup() {
  release_holder
  fixture_cleanup
}
trap cleanup EXIT

fixtures="$QW_SOURCE_DIR/tests/fixtures/jobsys/que"
fixture_db qw_fixture_que "$fixtures/schema.sql" "$fixtures/transitions.sql"
sql() { fixture_sql "$1"; }

# --- a. the indexes docs/indexes.md recommends build on the table ------------------------------
fixture_indexes "tested by tests/scripts/fixture_que.sh" >/dev/null
[ "$(sql "SELECT obj_description('que_jobs'::regclass, 'pg_class')")" = 7 ] ||
  fail "que_jobs does not carry Que's schema version 7"

# --- the scenario -------------------------------------------------------------------------------
sql "SELECT fixture.que_enqueue('emails') FROM generate_series(1, 4)" >/dev/null || fatal "enqueue failed"
sql "SELECT fixture.que_enqueue('reports')" >/dev/null || fatal "enqueue failed"
later=$(sql "SELECT fixture.que_enqueue('emails', now() + interval '1 hour')")
# A locker holds the first emails job while a worker runs it: a session of its own.
held=$(sql "SELECT id FROM que_jobs WHERE queue = 'emails' ORDER BY priority, run_at, id LIMIT 1")
psql -X -q "$FIXTURE_DSN" -c "SET application_name = qw_que_holder" \
  -c "SELECT pg_try_advisory_lock($held)" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
holder_pid=$!
holding() {
  [ "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.objid = $held AND a.application_name = 'qw_que_holder'")" = 1 ]
}
pid=$holder_pid wait_for "the holder's lock on job $held" 30 holding || fatal "the holder never locked job $held"
# Locked, failed with retry_in(0) (set_error) and unlocked, in one session: due again at once.
retried=$(sql "SELECT id FROM (SELECT fixture.que_lock('emails') AS id) locked, fixture.que_fail_retry(id, 0)")
[ -n "$retried" ] && [ "$retried" != "$held" ] || fatal "the poller did not skip the held job"
[ "$(sql "SELECT error_count FROM que_jobs WHERE id = $retried")" = 1 ] || fatal "the retried job has no error"
[ -n "$later" ] || fatal "the scenario did not enqueue its jobs"

fixture_docs_blocks que "per queue" que_queues que
fixture_write_config "$FIXTURE_BLOCK" "$FIXTURE_BLOCK2"
# Preflight proves the mappings on the library's schema (columns, timestamp kinds, expressions,
# every statement planned). Finished rows are deleted: the table stays small.
sql "ANALYZE" >/dev/null
fixture_preflight "$FIXTURE_CONFIG"

# --- b. once: counts and ages against Que's own tests -------------------------------------------
# Ready: what poll_jobs would consider (due, unfinished, unexpired) and a locker could lock.
# Running: unfinished jobs a locker cannot lock (pg_try_advisory_lock fails: another session
# holds them). This session's own locks end with it.
where_queue() { [ -n "$1" ] && echo "AND queue = '$1'"; }
lib_ready() { sql "SELECT count(*) FROM que_jobs WHERE run_at <= now() AND finished_at IS NULL AND expired_at IS NULL
                   AND pg_try_advisory_lock(id) $(where_queue "${1:-}")"; }
lib_running() { sql "SELECT count(*) FROM que_jobs WHERE finished_at IS NULL AND expired_at IS NULL
                     AND NOT pg_try_advisory_lock(id) $(where_queue "${1:-}")"; }
oldest_ready_age() { sql "SELECT EXTRACT(EPOCH FROM now() - min(run_at)) FROM que_jobs
                          WHERE run_at <= now() AND finished_at IS NULL AND expired_at IS NULL AND id <> $held"; }

before_ready=$(oldest_ready_age)
fixture_once "$FIXTURE_CONFIG" "$FIXTURE_ONCE"
after_ready=$(oldest_ready_age)
field() { fixture_once_field "$FIXTURE_ONCE" "$1" "$2" "$3"; }

# The scenario's own numbers: emails holds 2 new jobs + 1 retried, due (not the one scheduled for
# later), 1 held; reports 1 due.
[ "$(lib_ready emails)/$(lib_running emails)/$(lib_ready reports)" = 3/1/1 ] ||
  fail "the scenario did not leave 3 ready + 1 held emails and 1 ready report"
fixture_check_once_tables que que_queues Que
age=$(field que que .oldest_ready_age_seconds)
fixture_between "$age" "$before_ready" "$after_ready" ||
  fail "oldest ready age $age is not between $before_ready and $after_ready"
# Que keeps no start time: the held job has no age and cannot be named stuck.
[ "$(field que que .oldest_running_age_seconds)/$(field que que .stuck)" = null/0 ] ||
  fail "a running age or stuck job that Que's table cannot tell"

# --- c. run: completions from the delete counter, failures by expired_at -----------------------
fixture_start "$FIXTURE_CONFIG"
fixture_wait_first_round que:que que_queues:emails
sql "SELECT fixture.que_complete(fixture.que_lock('emails')) FROM generate_series(1, 3)" >/dev/null ||
  fatal "cannot complete emails"
sql "SELECT fixture.que_fail(fixture.que_lock('reports'))" >/dev/null || fatal "cannot expire a report"
[ "$(sql "SELECT count(*) FROM que_jobs WHERE queue = 'emails'")/$(sql "SELECT count(*) FROM que_jobs
     WHERE queue = 'reports' AND expired_at IS NOT NULL")" = 2/1 ] ||
  fail "the table does not hold 2 emails (held + scheduled) and 1 expired report after the run step"
counted() {
  [ "$(fixture_metric queuewatch_queue_completed_jobs_total que que)" = 3 ] &&
    [ "$(fixture_metric queuewatch_queue_failed_jobs_total que que)" = 1 ] &&
    [ "$(fixture_source_metric queuewatch_source_completed_jobs_total que_queues)" = 3 ]
}
wait_for "3 deletes and 1 failure" 60 counted ||
  fail "counted $(fixture_metric queuewatch_queue_completed_jobs_total que que) completions and" \
    "$(fixture_metric queuewatch_queue_failed_jobs_total que que) failures for the table (want 3, 1)," \
    "$(fixture_source_metric queuewatch_source_completed_jobs_total que_queues) deletes for the per-queue source (want 3)"
[ "$(fixture_metric queuewatch_queue_completed_jobs_total que_queues emails)" = absent ] ||
  fail "per-queue completions for emails in a table that deletes finished rows"

# --- d. stalls: one queue, then the whole table --------------------------------------------------
fixture_stall_deleting que que_queues fixture.que_round
fixture_finish fixture_que "Que v2.4.1's schema agrees with queuewatch"
