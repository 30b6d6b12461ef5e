#!/usr/bin/env bash
# The Oban mapping of docs/configuration.md (and `preset: oban`), proven against Oban v2.23.1's
# own schema: Oban is an Elixir library and cannot be installed here, so the database gets the
# schema of Oban's migrations at that tag (tests/fixtures/jobsys/oban/schema.sql) and jobs are
# moved by the queries of Oban's Basic engine (transitions.sql). Oban's timestamps are naive UTC:
# every comparison here is with timezone('UTC', now()) (fixture.utc_now()). Checks:
#   a. the enum labels, the docs' state values are labels, the docs' indexes build;
#   b. `once`: ready (due available + scheduled + retryable, not the one scheduled for later),
#      running (executing), oldest ages and the stuck (held) job, against Oban's own predicates;
#   c. `run`: completions (completed_at) and failures (discarded_at) per queue, counted once,
#      against the rows Oban finished;
#   d. a stall: one of three queues stops completing while the others go on; no_throughput pages
#      for that queue alone, and resolves when it resumes. The stall-to-page time is printed.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in a database of its own.
set -uo pipefail

# shellcheck source=tests/scripts/lib/fixture_lib.sh
source "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}/tests/scripts/lib/fixture_lib.sh"

fixtures="$QW_SOURCE_DIR/tests/fixtures/jobsys/oban"
fixture_db qw_fixture_oban "$fixtures/schema.sql" "$fixtures/transitions.sql"
sql() { fixture_sql "$1" || fatal "SQL failed: $1"; }

# --- a. labels, state values, indexes ------------------------------------------------------------
fixture_docs_blocks oban preset oban_preset oban
fixture_check_enum oban_job_state available,suspended,scheduled,executing,retryable,completed,discarded,cancelled \
  "Oban v2.23.1"
fixture_indexes "tested by tests/scripts/fixture_oban.sh" >/dev/null

# --- the jobs, moved as Oban moves them ---------------------------------------------------------
one() { sql "$1" | head -1; }
held=$(one "SELECT fixture.oban_enqueue('emails')") && one "SELECT fixture.oban_claim('emails', 1)" >/dev/null
done_id=$(one "SELECT fixture.oban_enqueue('emails')")
sql "SELECT fixture.oban_claim('emails', 1); SELECT fixture.oban_complete($done_id)" >/dev/null
retry=$(one "SELECT fixture.oban_enqueue('emails')")
sql "SELECT fixture.oban_claim('emails', 1); SELECT fixture.oban_error($retry, 6)" >/dev/null
sql "SELECT fixture.oban_enqueue('emails'); SELECT fixture.oban_enqueue('emails')" >/dev/null
later=$(one "SELECT fixture.oban_enqueue('emails', p_scheduled_at => fixture.utc_now() + interval '1 hour')")
gone=$(one "SELECT fixture.oban_enqueue('reports', p_max_attempts => 1)")
sql "SELECT fixture.oban_claim('reports', 1); SELECT fixture.oban_discard($gone)" >/dev/null
sql "SELECT fixture.oban_enqueue('reports')" >/dev/null
state_of() { one "SELECT state FROM oban_jobs WHERE id = $1"; }
[ "$(state_of "$held")/$(state_of "$done_id")/$(state_of "$retry")/$(state_of "$later")/$(state_of "$gone")" = \
  executing/completed/retryable/scheduled/discarded ] ||
  fatal "the transitions left held/done/retry/later/discarded in states" \
    "$(state_of "$held")/$(state_of "$done_id")/$(state_of "$retry")/$(state_of "$later")/$(state_of "$gone")"

# --- b. once: counts, ages and stuck ids against Oban's own predicates --------------------------
# Oban's view of a waiting job: `available` (fetch_jobs takes it now) plus what the Stager would
# make available now (scheduled or retryable, scheduled_at passed).
lib_ready() {
  one "SELECT count(*) FROM oban_jobs WHERE queue = '$1' AND scheduled_at <= fixture.utc_now()
         AND state IN ('available', 'scheduled', 'retryable')"
}
lib_running() { one "SELECT count(*) FROM oban_jobs WHERE queue = '$1' AND state = 'executing'"; }
oldest_ready_age() {
  one "SELECT COALESCE(EXTRACT(EPOCH FROM fixture.utc_now() - min(scheduled_at)), -1) FROM oban_jobs
       WHERE queue = '$1' AND state IN ('available', 'scheduled', 'retryable')
         AND scheduled_at <= fixture.utc_now()"
}
held_age() { one "SELECT EXTRACT(EPOCH FROM fixture.utc_now() - attempted_at) FROM oban_jobs WHERE id = $held"; }
# The retried job waits once its backoff has passed; the held one is stuck after 1 s.
due() { [ "$(one "SELECT scheduled_at <= fixture.utc_now() - interval '0.5 s' FROM oban_jobs WHERE id = $retry")" = t ]; }
pid=$$ wait_for "the retry to fall due" 30 due || fatal "the retryable job never fell due"
[ "$(lib_ready emails)/$(lib_running emails)/$(lib_ready reports)/$(lib_running reports)" = 3/1/1/0 ] ||
  fail "the scenario did not leave 3 ready + 1 executing emails and 1 ready report"

fixture_write_config "$FIXTURE_BLOCK" "$FIXTURE_BLOCK2"
before_emails=$(oldest_ready_age emails)
before_held=$(held_age)
fixture_once "$FIXTURE_CONFIG" "$FIXTURE_ONCE"
after_emails=$(oldest_ready_age emails)
after_held=$(held_age)
q() { fixture_once_field "$FIXTURE_ONCE" oban "$1" "$2"; }
fixture_check_once_queues oban oban_preset Oban '.stuck_job_ids | join(",")'
age=$(q emails .oldest_ready_age_seconds)
fixture_between "$age" "$before_emails" "$after_emails" ||
  fail "emails oldest ready age $age is not between Oban's $before_emails and $after_emails"
age=$(q emails .oldest_running_age_seconds)
fixture_between "$age" "$before_held" "$after_held" ||
  fail "emails oldest running age $age is not between Oban's $before_held and $after_held"
[ "$(q emails '.stuck_job_ids | join(",")')" = "$held" ] ||
  fail "emails stuck ids '$(q emails '.stuck_job_ids | join(",")')', want the held job $held"

# --- c. run: completions and failures -------------------------------------------------------------
# History for the stall phase: the last two complete hours, one job a second per queue, as Oban
# leaves completed rows (warm start reads it, so each queue's rate is known from the first round).
sql "INSERT INTO oban_jobs (state, queue, worker, args, attempt, max_attempts, priority, inserted_at,
                            scheduled_at, attempted_at, completed_at, attempted_by)
     SELECT 'completed', q, 'Fixture.Worker', '{}', 1, 20, 0, t, t, t, t, '{fixture}'
     FROM unnest(ARRAY['alpha', 'beta', 'gamma']) AS q, generate_series(0, 7199) AS i,
       LATERAL (SELECT date_trunc('hour', fixture.utc_now()) - interval '2 hours' + i * interval '1 second') AS x(t)" >/dev/null
# Preflight proves the mapping on the library's schema, the docs' indexes in place, with the
# history making the tables big enough for a sequential scan to be reported.
sql "ANALYZE" >/dev/null
fixture_preflight "$FIXTURE_CONFIG"
# Completions and failures are counted by completed_at and discarded_at after settle_delay (10 s),
# from the first round's watermark on: let the setup's finished jobs get older than that.
settled() {
  [ "$(one "SELECT greatest(max(completed_at), max(discarded_at)) < fixture.utc_now() - interval '11 s'
            FROM oban_jobs WHERE queue IN ('emails', 'reports')")" = t ]
}
pid=$$ wait_for "the setup's completions to settle" 30 settled || fatal "completed_at never settled"

fixture_start "$FIXTURE_CONFIG"
fixture_wait_first_round oban:emails oban_preset:emails

finish_from=$(one "SELECT fixture.utc_now()")
sql "SELECT fixture.oban_stage()" >/dev/null
sql "SELECT fixture.oban_complete(id) FROM fixture.oban_claim('emails', 3) AS id" >/dev/null
lost=$(one "SELECT fixture.oban_enqueue('reports', p_max_attempts => 1)")
# Both waiting reports are fetched: the older one errs with attempts left (retryable: not a
# failure), the new one on its only attempt (discarded: a failure).
sql "SELECT fixture.oban_claim('reports', 5); SELECT fixture.oban_discard($lost);
     SELECT fixture.oban_error(id, 3600) FROM oban_jobs WHERE queue = 'reports' AND state = 'executing'" >/dev/null
lib_finished() { # QUEUE STATE COLUMN
  one "SELECT count(*) FROM oban_jobs WHERE queue = '$1' AND state = '$2' AND $3 >= '$finish_from'"
}
fixture_check_counted Oban "$(lib_finished emails completed completed_at)" \
  "$(lib_finished reports discarded discarded_at)" oban oban_preset

# --- d. a stall of one queue among three -----------------------------------------------------------
fixture_stall_one_of_three oban oban_preset fixture.oban_round
fixture_finish fixture_oban "Oban v2.23.1's schema agrees with queuewatch"
