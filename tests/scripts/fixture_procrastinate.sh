#!/usr/bin/env bash
# The Procrastinate mapping of docs/configuration.md (its view, its source block and `preset:
# procrastinate`), proven against Procrastinate 3.9.0's own schema: Procrastinate is a Python
# library and cannot be installed here, so the database gets its procrastinate/sql/schema.sql at
# that tag (tests/fixtures/jobsys/procrastinate/schema.sql) and jobs are moved by calling its own
# PL/pgSQL functions as its Python side does (transitions.sql). Checks:
#   a. the enum labels, the docs' state values are labels, the docs' view and indexes build;
#   b. `once`: ready (todo and due, not the one scheduled for later), running, oldest ages, and
#      the stuck jobs (by heartbeat) against Procrastinate's own select_stalled_jobs_by_heartbeat;
#   c. `run`: completions and failures per queue, counted once, against Procrastinate's events;
#   d. a stall: one of three queues stops completing while the others go on; no_throughput pages
#      for that queue alone, and resolves when it resumes. The stall-to-page time is printed.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in a database of its own.
set -uo pipefail

# shellcheck source=tests/scripts/lib/fixture_lib.sh
source "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}/tests/scripts/lib/fixture_lib.sh"

# Stuck by heartbeat, as Procrastinate judges stalled jobs, and not by run time.
FIXTURE_RUNNING_FOR=1h
FIXTURE_HEARTBEAT_TIMEOUT=5s
fixtures="$QW_SOURCE_DIR/tests/fixtures/jobsys/procrastinate"
fixture_db qw_fixture_procrastinate "$fixtures/schema.sql" "$fixtures/transitions.sql"
sql() { fixture_sql "$1" || fatal "SQL failed: $1"; }
one() { sql "$1" | head -1; }
docs="$QW_SOURCE_DIR/docs/configuration.md"

# --- a. labels, state values, the view, indexes ---------------------------------------------------
view=$(fixture_docs_sql "$docs" "tested by tests/scripts/fixture_procrastinate.sh (view)")
[ -n "$view" ] || fatal "no sql block (the view) marked for fixture_procrastinate.sh in docs/configuration.md"
sql "$view" >/dev/null
fixture_docs_blocks procrastinate preset procrastinate_preset procrastinate
fixture_check_enum procrastinate_job_status todo,doing,succeeded,failed,cancelled,aborting,aborted "Procrastinate 3.9.0"
fixture_indexes "tested by tests/scripts/fixture_procrastinate.sh" >/dev/null

# --- the jobs, moved as Procrastinate moves them ---------------------------------------------------
# Worker C takes a job and dies; a worker starting later prunes it (worker_id becomes NULL). A
# takes one and stops heartbeating; B stays alive. Each job is fetched while it is the only one due.
fetch_new() { # QUEUE WORKER: defers a job and fetches it; prints its id
  local id
  id=$(one "SELECT fixture.procrastinate_defer('$1')")
  [ "$(one "SELECT fixture.procrastinate_fetch('$1', $2)")" = "$id" ] || fatal "worker $2 did not fetch job $id"
  echo "$id"
}
worker_c=$(one "SELECT fixture.procrastinate_register()")
orphan=$(fetch_new emails "$worker_c")
worker_b=$(one "SELECT fixture.procrastinate_register()")
done_id=$(fetch_new emails "$worker_b")
sql "SELECT fixture.procrastinate_finish($done_id, 'succeeded')" >/dev/null
alive=$(fetch_new emails "$worker_b")
gone=$(fetch_new reports "$worker_b")
sql "SELECT fixture.procrastinate_finish($gone, 'failed')" >/dev/null
c_stale() { [ "$(one "SELECT last_heartbeat < now() - interval '1.2 s' FROM procrastinate_workers WHERE id = $worker_c")" = t ]; }
pid=$$ wait_for "worker C's heartbeat to age" 30 c_stale || fatal "worker C's heartbeat never aged"
worker_a=$(one "SELECT fixture.procrastinate_register()")
stale=$(fetch_new emails "$worker_a")
# Worker.run() prunes stalled workers before it registers: here with a 1 s timeout, so C goes.
# A and B beat just before, in the same session: a slow machine (a second between two psql
# calls) must not make them look stalled too.
[ "$(psql -X -q -At "$FIXTURE_DSN" \
  -c "DO \$\$ BEGIN PERFORM procrastinate_update_heartbeat_v1($worker_a);
                   PERFORM procrastinate_update_heartbeat_v1($worker_b); END \$\$" \
  -c "SELECT string_agg(worker_id::text, ',') FROM procrastinate_prune_stalled_workers_v1(1.0)")" = "$worker_c" ] ||
  fatal "pruning did not remove worker C alone"
# Retried after the fetches above, so that none of them can find it due first however slow they are.
retry=$(fetch_new emails "$worker_b")
sql "SELECT fixture.procrastinate_retry($retry, now() + interval '4 s')" >/dev/null
sql "SELECT fixture.procrastinate_defer('emails'); SELECT fixture.procrastinate_defer('emails')" >/dev/null
later=$(one "SELECT fixture.procrastinate_defer('emails', now() + interval '1 hour')")
sql "SELECT fixture.procrastinate_defer('reports')" >/dev/null
status_of() { one "SELECT status FROM procrastinate_jobs WHERE id = $1"; }
[ "$(status_of "$orphan")/$(status_of "$done_id")/$(status_of "$retry")/$(status_of "$stale")/$(status_of "$later")/$(status_of "$gone")" = \
  doing/succeeded/todo/doing/todo/failed ] ||
  fatal "the transitions left orphan/done/retry/stale/later/failed in" \
    "$(status_of "$orphan")/$(status_of "$done_id")/$(status_of "$retry")/$(status_of "$stale")/$(status_of "$later")/$(status_of "$gone")"
[ "$(one "SELECT worker_id IS NULL FROM procrastinate_jobs WHERE id = $orphan")" = t ] ||
  fatal "the orphaned job still names its worker"

# --- b. once: counts, ages and stalled jobs against Procrastinate's own queries -------------------
# Procrastinate's view of a waiting job: procrastinate_fetch_job_v2's predicate without the lock
# test (no job here has a lock): todo and (scheduled_at IS NULL OR scheduled_at <= now()).
lib_ready() {
  one "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = '$1' AND status = 'todo'
         AND (scheduled_at IS NULL OR scheduled_at <= now())"
}
lib_running() { one "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = '$1' AND status = 'doing'"; }
# The oldest wait: since scheduled_at, or since the job became todo (its deferred /
# deferred_for_retry event), for the jobs that fetch would take now.
oldest_ready_age() {
  one "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(coalesce(j.scheduled_at,
         (SELECT max(at) FROM procrastinate_events e WHERE e.job_id = j.id
            AND e.type IN ('deferred', 'deferred_for_retry'))))), -1)
       FROM procrastinate_jobs j WHERE queue_name = '$1' AND status = 'todo'
         AND (scheduled_at IS NULL OR scheduled_at <= now())"
}
oldest_started_age() {
  one "SELECT EXTRACT(EPOCH FROM now() - min(e.at)) FROM procrastinate_jobs j
       JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'started'
       WHERE j.queue_name = '$1' AND j.status = 'doing'"
}
# select_stalled_jobs_by_heartbeat of procrastinate/sql/queries.sql, for one queue, 5 s.
lib_stalled() {
  one "WITH stalled_workers AS (
         SELECT id FROM procrastinate_workers WHERE last_heartbeat < NOW() - ('5' || ' SECOND')::INTERVAL)
       SELECT string_agg(job.id::text, ',' ORDER BY job.id) FROM procrastinate_jobs job
       LEFT JOIN stalled_workers sw ON sw.id = job.worker_id
       WHERE job.status = 'doing' AND job.queue_name = '$1' AND (job.worker_id IS NULL OR sw.id IS NOT NULL)"
}
# Ready once the retry falls due; A's heartbeat and the orphan's start older than 5 s (+0.5).
settled_setup() {
  [ "$(one "SELECT (SELECT scheduled_at <= now() - interval '0.5 s' FROM procrastinate_jobs WHERE id = $retry)
            AND (SELECT last_heartbeat < now() - interval '5.5 s' FROM procrastinate_workers WHERE id = $worker_a)
            AND (SELECT max(at) < now() - interval '5.5 s' FROM procrastinate_events WHERE job_id = $orphan AND type = 'started')")" = t ]
}
pid=$$ wait_for "the retry to fall due and worker A's heartbeat to go stale" 30 settled_setup ||
  fatal "the setup never settled"
sql "SELECT procrastinate_update_heartbeat_v1($worker_b)" >/dev/null # B is alive
[ "$(lib_ready emails)/$(lib_running emails)/$(lib_ready reports)/$(lib_running reports)" = 3/3/1/0 ] ||
  fail "the scenario did not leave 3 ready + 3 doing emails and 1 ready report"
want_stalled=$(lib_stalled emails)
[ "$want_stalled" = "$(printf '%s\n' "$orphan" "$stale" | sort -n | paste -sd,)" ] ||
  fail "Procrastinate's stalled jobs are '$want_stalled', not the orphaned and the stale one"

fixture_write_config "$FIXTURE_BLOCK" "$FIXTURE_BLOCK2"
sql "SELECT procrastinate_update_heartbeat_v1($worker_b)" >/dev/null # still alive
before_emails=$(oldest_ready_age emails)
before_started=$(oldest_started_age emails)
fixture_once "$FIXTURE_CONFIG" "$FIXTURE_ONCE"
after_emails=$(oldest_ready_age emails)
after_started=$(oldest_started_age emails)
q() { fixture_once_field "$FIXTURE_ONCE" procrastinate "$1" "$2"; }
fixture_check_once_queues procrastinate procrastinate_preset Procrastinate '.stuck_job_ids | sort | join(",")'
age=$(q emails .oldest_ready_age_seconds)
fixture_between "$age" "$before_emails" "$after_emails" ||
  fail "emails oldest ready age $age is not between Procrastinate's $before_emails and $after_emails"
age=$(q emails .oldest_running_age_seconds)
fixture_between "$age" "$before_started" "$after_started" ||
  fail "emails oldest running age $age is not between Procrastinate's $before_started and $after_started"
got=$(q emails '.stuck_job_ids | map(tonumber) | sort | map(tostring) | join(",")')
[ "$got" = "$want_stalled" ] ||
  fail "emails stuck ids '$got', Procrastinate's stalled jobs (select_stalled_jobs_by_heartbeat, 5 s) '$want_stalled'"

# --- c. run: completions and failures -------------------------------------------------------------
# History for the stall phase: the last two complete hours, one job a second per queue, as
# Procrastinate leaves succeeded jobs: the row and its deferred, started, succeeded events
# (warm start reads them, so each queue's rate is known from the first round).
sql "WITH jobs AS (
       INSERT INTO procrastinate_jobs (queue_name, task_name, status, attempts, args)
       SELECT q, 'fixture.task', 'succeeded', 1, jsonb_build_object('i', i)
       FROM unnest(ARRAY['alpha', 'beta', 'gamma']) AS q, generate_series(0, 7199) AS i
       RETURNING id, (args->>'i')::int AS i)
     INSERT INTO procrastinate_events (job_id, type, at)
     SELECT id, ty::procrastinate_job_event_type,
            date_trunc('hour', now()) - interval '2 hours' + i * interval '1 second'
     FROM jobs, unnest(ARRAY['deferred', 'started', 'succeeded']) AS ty" >/dev/null
# Preflight proves the mapping on the library's schema, the docs' indexes in place, with the
# history making the tables big enough for a sequential scan to be reported.
sql "ANALYZE" >/dev/null
fixture_preflight "$FIXTURE_CONFIG"
settled() {
  [ "$(one "SELECT max(at) < now() - interval '11 s' FROM procrastinate_events
            WHERE type IN ('succeeded', 'failed')")" = t ]
}
pid=$$ wait_for "the setup's completions to settle" 30 settled || fatal "the events never settled"

fixture_start "$FIXTURE_CONFIG"
fixture_wait_first_round procrastinate:emails procrastinate_preset:emails

finish_from=$(one "SELECT now()")
for _ in 1 2 3; do
  job=$(one "SELECT fixture.procrastinate_fetch('emails', $worker_b)")
  [ -n "$job" ] || fatal "no emails job to fetch"
  sql "SELECT fixture.procrastinate_finish($job, 'succeeded')" >/dev/null
done
# Both waiting reports are fetched: the older one fails and is retried (not a failure), the new
# one fails for good.
lost=$(one "SELECT fixture.procrastinate_defer('reports')")
first=$(one "SELECT fixture.procrastinate_fetch('reports', $worker_b)")
second=$(one "SELECT fixture.procrastinate_fetch('reports', $worker_b)")
[ "$second" = "$lost" ] || fatal "fetch took $first then $second, not the older report first"
sql "SELECT fixture.procrastinate_retry($first, now() + interval '1 hour');
     SELECT fixture.procrastinate_finish($lost, 'failed')" >/dev/null
lib_finished() { # QUEUE EVENT
  one "SELECT count(*) FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id
       WHERE j.queue_name = '$1' AND e.type = '$2' AND e.at >= '$finish_from'"
}
fixture_check_counted Procrastinate "$(lib_finished emails succeeded)" "$(lib_finished reports failed)" \
  procrastinate procrastinate_preset

# --- d. a stall of one queue among three -----------------------------------------------------------
fixture_stall_one_of_three procrastinate procrastinate_preset fixture.procrastinate_round
fixture_finish fixture_procrastinate "Procrastinate 3.9.0's schema agrees with queuewatch"
