#!/usr/bin/env bash
# The River mapping of docs/configuration.md (and `preset: river`), proven against River v0.43.0's
# own schema: River is a Go library and cannot be installed here, so the database gets River's
# migrations at that tag (tests/fixtures/jobsys/river/schema.sql) and jobs are moved by the
# statements River runs (transitions.sql). Checks:
#   a. the enum labels, the docs' state values are labels, the docs' indexes build;
#   b. `once`: ready (due available + scheduled + retryable, not the one scheduled for later),
#      running, oldest ages and the stuck (held) job, against River's own predicates;
#   c. `run`: completions and failures per queue, counted once, against the rows River finished;
#   d. a stall: one of three queues stops completing while the others go on; no_throughput pages
#      for that queue alone, and resolves when it resumes. The stall-to-page time is printed.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in a database of its own.
set -uo pipefail

# shellcheck source=tests/scripts/lib/fixture_lib.sh
source "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}/tests/scripts/lib/fixture_lib.sh"

fixtures="$QW_SOURCE_DIR/tests/fixtures/jobsys/river"
fixture_db qw_fixture_river "$fixtures/schema.sql" "$fixtures/transitions.sql"
sql() { fixture_sql "$1" || fatal "SQL failed: $1"; }

# --- a. labels, state values, indexes ------------------------------------------------------------
fixture_docs_blocks river preset river_preset river
fixture_check_enum river_job_state available,cancelled,completed,discarded,pending,retryable,running,scheduled \
  "River v0.43.0"
fixture_indexes "tested by tests/scripts/fixture_river.sh" >/dev/null

# --- the jobs, moved as River moves them ---------------------------------------------------------
one() { sql "$1" | head -1; }
held=$(one "SELECT fixture.river_enqueue('emails')") && one "SELECT fixture.river_claim('emails', 1)" >/dev/null
done_id=$(one "SELECT fixture.river_enqueue('emails')")
sql "SELECT fixture.river_claim('emails', 1); SELECT fixture.river_complete($done_id)" >/dev/null
retry=$(one "SELECT fixture.river_enqueue('emails')")
sql "SELECT fixture.river_claim('emails', 1); SELECT fixture.river_fail_retry($retry, now() + interval '6 s')" >/dev/null
sql "SELECT fixture.river_enqueue('emails'); SELECT fixture.river_enqueue('emails')" >/dev/null
later=$(one "SELECT fixture.river_enqueue('emails', p_scheduled_at => now() + interval '1 hour')")
gone=$(one "SELECT fixture.river_enqueue('reports', p_max_attempts => 1::smallint)")
sql "SELECT fixture.river_claim('reports', 1); SELECT fixture.river_discard($gone)" >/dev/null
sql "SELECT fixture.river_enqueue('reports')" >/dev/null
state_of() { one "SELECT state FROM river_job WHERE id = $1"; }
[ "$(state_of "$held")/$(state_of "$done_id")/$(state_of "$retry")/$(state_of "$later")/$(state_of "$gone")" = \
  running/completed/retryable/scheduled/discarded ] ||
  fatal "the transitions left held/done/retry/later/discarded in states" \
    "$(state_of "$held")/$(state_of "$done_id")/$(state_of "$retry")/$(state_of "$later")/$(state_of "$gone")"

# --- b. once: counts, ages and stuck ids against River's own predicates -------------------------
# River's view of a waiting job: what JobGetAvailable would fetch now (available, due) plus what
# JobSchedule would make available now (scheduled or retryable, due).
lib_ready() {
  one "SELECT count(*) FROM river_job WHERE queue = '$1' AND scheduled_at <= now()
         AND state IN ('available', 'scheduled', 'retryable')"
}
lib_running() { one "SELECT count(*) FROM river_job WHERE queue = '$1' AND state = 'running'"; }
oldest_ready_age() {
  one "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(scheduled_at)), -1) FROM river_job
       WHERE queue = '$1' AND state IN ('available', 'scheduled', 'retryable') AND scheduled_at <= now()"
}
held_age() { one "SELECT EXTRACT(EPOCH FROM now() - attempted_at) FROM river_job WHERE id = $held"; }
# The retried job waits once its retry time has passed; the held one is stuck after 1 s.
due() { [ "$(one "SELECT scheduled_at <= now() - interval '0.5 s' FROM river_job WHERE id = $retry")" = t ]; }
pid=$$ wait_for "the retry to fall due" 30 due || fatal "the retryable job never fell due"
[ "$(lib_ready emails)/$(lib_running emails)/$(lib_ready reports)/$(lib_running reports)" = 3/1/1/0 ] ||
  fail "the scenario did not leave 3 ready + 1 running emails and 1 ready report"

fixture_write_config "$FIXTURE_BLOCK" "$FIXTURE_BLOCK2"
before_emails=$(oldest_ready_age emails)
before_held=$(held_age)
fixture_once "$FIXTURE_CONFIG" "$FIXTURE_ONCE"
after_emails=$(oldest_ready_age emails)
after_held=$(held_age)
q() { fixture_once_field "$FIXTURE_ONCE" river "$1" "$2"; }
fixture_check_once_queues river river_preset River '.stuck_job_ids | join(",")'
age=$(q emails .oldest_ready_age_seconds)
fixture_between "$age" "$before_emails" "$after_emails" ||
  fail "emails oldest ready age $age is not between River's $before_emails and $after_emails"
age=$(q emails .oldest_running_age_seconds)
fixture_between "$age" "$before_held" "$after_held" ||
  fail "emails oldest running age $age is not between River's $before_held and $after_held"
[ "$(q emails '.stuck_job_ids | join(",")')" = "$held" ] ||
  fail "emails stuck ids '$(q emails '.stuck_job_ids | join(",")')', want the held job $held"

# --- c. run: completions and failures -------------------------------------------------------------
# History for the stall phase: the last two complete hours, one job a second per queue, as River
# leaves finished rows (warm start reads it, so each queue's rate is known from the first round).
sql "INSERT INTO river_job (state, attempt, max_attempts, attempted_at, created_at, finalized_at,
                            scheduled_at, args, kind, queue, attempted_by)
     SELECT 'completed', 1, 25, t, t, t, t, '{}', 'fixture', q, '{fixture}'
     FROM unnest(ARRAY['alpha', 'beta', 'gamma']) AS q, generate_series(0, 7199) AS i,
       LATERAL (SELECT date_trunc('hour', now()) - interval '2 hours' + i * interval '1 second') AS x(t)" >/dev/null
# Preflight proves the mapping on the library's schema, the docs' indexes in place, with the
# history making the tables big enough for a sequential scan to be reported.
sql "ANALYZE" >/dev/null
fixture_preflight "$FIXTURE_CONFIG"
# Completions are counted by finalized_at after settle_delay (10 s), from the first round's
# watermark on: let the setup's finished jobs get older than that, so only later ones count.
settled() { [ "$(one "SELECT max(finalized_at) < now() - interval '11 s' FROM river_job WHERE queue IN ('emails', 'reports')")" = t ]; }
pid=$$ wait_for "the setup's completions to settle" 30 settled || fatal "finalized_at never settled"

fixture_start "$FIXTURE_CONFIG"
fixture_wait_first_round river:emails river_preset:emails

finish_from=$(one "SELECT now()")
sql "SELECT fixture.river_schedule()" >/dev/null
sql "SELECT fixture.river_complete(id) FROM fixture.river_claim('emails', 3) AS id" >/dev/null
lost=$(one "SELECT fixture.river_enqueue('reports', p_max_attempts => 1::smallint)")
# Both waiting reports are claimed: the older one errs with attempts left (retryable: not a
# failure), the new one on its only attempt (discarded: a failure).
sql "SELECT fixture.river_claim('reports', 5); SELECT fixture.river_discard($lost);
     SELECT fixture.river_fail_retry(id, now() + interval '1 hour') FROM river_job
     WHERE queue = 'reports' AND state = 'running'" >/dev/null
lib_finished() {
  one "SELECT count(*) FROM river_job WHERE queue = '$1' AND state = '$2' AND finalized_at >= '$finish_from'"
}
fixture_check_counted River "$(lib_finished emails completed)" "$(lib_finished reports discarded)" river river_preset

# --- d. a stall of one queue among three -----------------------------------------------------------
fixture_stall_one_of_three river river_preset fixture.river_round
fixture_finish fixture_river "River v0.43.0's schema agrees with queuewatch"
