#!/usr/bin/env bash
# The Solid Queue mappings of docs/configuration.md (`preset: solid_queue` over solid_queue_jobs,
# and the fuller mapping over the view the docs give), proven against Solid Queue v1.5.0's own
# schema (tests/fixtures/jobsys/solid_queue/schema.sql, from its queue_schema.rb) with SQL that
# does what Solid Queue does (transitions.sql): Solid Queue is a Ruby gem and cannot be
# installed here. Checks:
#   a. the docs/indexes.md block and the docs' view build on the schema;
#   b. `once`: ready (ready + due scheduled executions, not the job scheduled for later), running
#      (claimed executions), ages, against Solid Queue's execution tables; the view also sees the
#      running age and the stuck job, the preset cannot (no claim time in solid_queue_jobs);
#   c. `run`: completions per queue by finished_at; failures through the view only;
#   d. a stall: one of three queues stops completing while the others go on; no_throughput pages
#      for that queue alone (the time it took is printed), and resolves when it resumes.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in a database of its own.
set -uo pipefail

# shellcheck source=tests/scripts/lib/fixture_lib.sh
source "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}/tests/scripts/lib/fixture_lib.sh"

fixtures="$QW_SOURCE_DIR/tests/fixtures/jobsys/solid_queue"
fixture_db qw_fixture_solid_queue "$fixtures/schema.sql" "$fixtures/transitions.sql"
sql() { fixture_sql "$1"; }
docs="$QW_SOURCE_DIR/docs/configuration.md"

# --- a. the indexes of docs/indexes.md and the view of docs/configuration.md build ------------
fixture_indexes "### Solid Queue" >/dev/null
view=$(awk '!found && index($0, "tested by tests/scripts/fixture_solid_queue.sh (view sql)") { found = 1; next }
            found == 1 && /^```sql/ { found = 2; next } found == 2 && /^```/ { exit } found == 2 { print }' "$docs")
[ -n "$view" ] || fatal "no sql block marked for fixture_solid_queue.sh (view sql) in docs/configuration.md"
printf '%s\n' "$view" | psql -X -q -v ON_ERROR_STOP=1 "$FIXTURE_DSN" -f - >/dev/null 2>"$FIXTURE_TMP/view.err" ||
  { cat "$FIXTURE_TMP/view.err" >&2; fatal "the docs' view does not build on Solid Queue's schema"; }

# --- the scenario -------------------------------------------------------------------------------
process=$(sql "SELECT fixture.solid_queue_process()") || fatal "cannot register a process"
sql "SELECT fixture.solid_queue_enqueue('emails') FROM generate_series(1, 4)" >/dev/null || fatal "enqueue failed"
sql "SELECT fixture.solid_queue_enqueue('reports')" >/dev/null || fatal "enqueue failed"
later=$(sql "SELECT fixture.solid_queue_enqueue('emails', fixture.utc_now() + interval '1 hour')")
held=$(sql "SELECT fixture.solid_queue_claim('emails', $process)")
retried=$(sql "SELECT fixture.solid_queue_claim('emails', $process)")
# Retried with `wait: 0`: Active Job enqueues a new job, due at once; this attempt finishes.
retry=$(sql "SELECT fixture.solid_queue_fail_retry($retried, fixture.utc_now())")
[ -n "$held" ] && [ -n "$retry" ] && [ -n "$later" ] || fatal "the scenario did not claim its jobs"

block=$(docs_yaml_block "$docs" "tested by tests/scripts/fixture_solid_queue.sh:")
[ -n "$block" ] || fatal "no yaml block marked for fixture_solid_queue.sh in docs/configuration.md"
view_block=$(docs_yaml_block "$docs" "tested by tests/scripts/fixture_solid_queue.sh (view)")
[[ "$view_block" == *"name: solid_queue_view"* ]] || fatal "no view block for fixture_solid_queue.sh"
fixture_config "$block" "$view_block" >"$FIXTURE_TMP/queuewatch.yaml"
"$QW_BINARY" check-config "$FIXTURE_TMP/queuewatch.yaml" || fatal "the docs' Solid Queue mappings do not load"

# --- b. once: counts, ages and stuck ids against the execution tables ---------------------------
lib_ready() { # QUEUE: ready executions + due scheduled executions of the queue
  sql "SELECT (SELECT count(*) FROM solid_queue_ready_executions WHERE queue_name = '$1')
            + (SELECT count(*) FROM solid_queue_scheduled_executions WHERE queue_name = '$1'
                AND scheduled_at <= fixture.utc_now())"
}
lib_claimed() { sql "SELECT count(*) FROM solid_queue_claimed_executions e JOIN solid_queue_jobs j ON j.id = e.job_id
                     WHERE j.queue_name = '$1'"; }
oldest_ready_age() { sql "SELECT EXTRACT(EPOCH FROM fixture.utc_now() - min(j.scheduled_at)) FROM solid_queue_jobs j
                          JOIN solid_queue_ready_executions e ON e.job_id = j.id WHERE j.queue_name = '$1'"; }
held_age() { sql "SELECT EXTRACT(EPOCH FROM fixture.utc_now() - created_at) FROM solid_queue_claimed_executions WHERE job_id = $held"; }
held_aged() { [ "$(sql "SELECT created_at < fixture.utc_now() - interval '1.5 s' FROM solid_queue_claimed_executions WHERE job_id = $held")" = t ]; }
pid=$$ wait_for "the held job to run 1.5 s" 30 held_aged || fatal "the held job never aged"

before_ready=$(oldest_ready_age emails)
before_held=$(held_age)
fixture_once "$FIXTURE_TMP/queuewatch.yaml" "$FIXTURE_TMP/once.json"
after_ready=$(oldest_ready_age emails)
after_held=$(held_age)
field() { fixture_once_field "$FIXTURE_TMP/once.json" "${3:-solid_queue}" "$1" "$2"; }

# The scenario's own numbers: emails holds 2 new jobs + the retry's new job ready (not the one
# scheduled for later), 1 claimed; reports 1 ready.
[ "$(lib_ready emails)/$(lib_claimed emails)/$(lib_ready reports)" = 3/1/1 ] ||
  fail "the scenario did not leave 3 ready + 1 claimed emails and 1 ready report"
for source in solid_queue solid_queue_view; do
  for queue in emails reports; do
    [ "$(field "$queue" .ready $source)" = "$(lib_ready "$queue")" ] ||
      fail "$source $queue: queuewatch ready $(field "$queue" .ready $source), Solid Queue has $(lib_ready "$queue")"
    [ "$(field "$queue" .running $source)" = "$(lib_claimed "$queue")" ] ||
      fail "$source $queue: queuewatch running $(field "$queue" .running $source), Solid Queue has $(lib_claimed "$queue") claimed"
  done
  age=$(field emails .oldest_ready_age_seconds $source)
  awk -v a="$age" -v lo="$before_ready" -v hi="$after_ready" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }' ||
    fail "$source emails oldest ready age $age is not between $before_ready and $after_ready"
done
# The view sees the claim time and the worker's heartbeat; solid_queue_jobs has neither.
age=$(field emails .oldest_running_age_seconds solid_queue_view)
awk -v a="$age" -v lo="$before_held" -v hi="$after_held" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }' ||
  fail "view: emails oldest running age $age is not between $before_held and $after_held"
[ "$(field emails '.stuck_job_ids | join(",")' solid_queue_view)" = "$held" ] ||
  fail "view: emails stuck ids '$(field emails '.stuck_job_ids | join(",")' solid_queue_view)', want the held job $held"
[ "$(field emails .oldest_heartbeat_age_seconds solid_queue_view)" != null ] ||
  fail "view: no heartbeat age for the held job's process"
[ "$(field emails .oldest_running_age_seconds)/$(field emails .stuck)" = null/0 ] ||
  fail "the preset reports a running age or stuck jobs it has no column for"

# --- c. run: completions per queue; failures through the view -----------------------------------
# Three queues for the stall below, with two hours of kept history so the warm start knows their
# rates (1,800 jobs an hour each) from the first round.
for q in alpha beta gamma; do
  sql "SELECT fixture.solid_queue_history('$q', 2, 1800)" >/dev/null || fatal "cannot insert history"
done
# Preflight proves the mappings on the library's schema, the docs' indexes in place, with the
# history making the table big enough for a sequential scan to be reported.
sql "ANALYZE" >/dev/null
fixture_preflight "$FIXTURE_TMP/queuewatch.yaml"
# Completions count from the first round's watermark, settle_delay (10 s) before it: let the
# retried attempt's finish settle, so that exactly the jobs finished below are counted.
settled() { [ "$(sql "SELECT max(finished_at) < fixture.utc_now() - interval '11 s' FROM solid_queue_jobs")" = t ]; }
pid=$$ wait_for "the scenario's finished jobs to settle" 30 settled || fatal "finished_at never settled"
fixture_start "$FIXTURE_TMP/queuewatch.yaml"
first_round() {
  [ "$(fixture_metric queuewatch_queue_ready_jobs solid_queue emails)" != absent ] &&
    [ "$(fixture_metric queuewatch_queue_ready_jobs solid_queue_view emails)" != absent ]
}
wait_for "the daemon's first round" 30 first_round || fatal "no queue round in /metrics"
start=$(sql "SELECT fixture.utc_now()")
sql "SELECT fixture.solid_queue_complete(fixture.solid_queue_claim('emails', $process)) FROM generate_series(1, 3)" >/dev/null ||
  fatal "cannot complete emails"
sql "SELECT fixture.solid_queue_fail(fixture.solid_queue_claim('reports', $process))" >/dev/null || fatal "cannot fail a report"
lib_finished() { sql "SELECT count(*) FROM solid_queue_jobs WHERE queue_name = '$1' AND finished_at >= '$start'"; }
lib_failed() { sql "SELECT count(*) FROM solid_queue_failed_executions e JOIN solid_queue_jobs j ON j.id = e.job_id
                    WHERE j.queue_name = '$1' AND e.created_at >= '$start'"; }
[ "$(lib_finished emails)/$(lib_failed reports)" = 3/1 ] || fail "Solid Queue shows $(lib_finished emails) emails finished and $(lib_failed reports) reports failed, not 3 and 1"
counted() {
  [ "$(fixture_metric queuewatch_queue_completed_jobs_total solid_queue emails)" = "$(lib_finished emails)" ] &&
    [ "$(fixture_metric queuewatch_queue_completed_jobs_total solid_queue_view emails)" = "$(lib_finished emails)" ] &&
    [ "$(fixture_metric queuewatch_queue_failed_jobs_total solid_queue_view reports)" = "$(lib_failed reports)" ]
}
wait_for "3 completions of emails and, in the view, 1 failure of reports" 60 counted ||
  fail "counted $(fixture_metric queuewatch_queue_completed_jobs_total solid_queue emails) completions of emails" \
    "($(fixture_metric queuewatch_queue_completed_jobs_total solid_queue_view emails) in the view)" \
    "and $(fixture_metric queuewatch_queue_failed_jobs_total solid_queue_view reports) failures of reports, want 3 and 1"
# The preset's blind spot, stated: a failure leaves solid_queue_jobs untouched.
# ... and is said: no failure counter at all, rather than a 0 that would look measured.
[ "$(fixture_metric queuewatch_queue_failed_jobs_total solid_queue reports)" = absent ] ||
  fail "the preset exports a failure counter it has no timestamp to count by"

# --- d. a stall: gamma stops completing, alpha and beta go on -----------------------------------
sql "INSERT INTO fixture_ctl.queues VALUES ('alpha', 1, 2), ('beta', 1, 2), ('gamma', 1, 2)" >/dev/null
fixture_workload_start fixture.solid_queue_round
flowing() {
  local q s
  for s in solid_queue solid_queue_view; do
    for q in alpha beta gamma; do
      [ "$(fixture_metric queuewatch_queue_completed_jobs_total $s $q)" -gt 0 ] 2>/dev/null || return 1
    done
  done
}
wait_for "completions on alpha, beta and gamma" 60 flowing || fatal "the workload's completions were never counted"
fixture_stall_gamma solid_queue 90 60 5 solid_queue solid_queue_view
fixture_workload_stop
fixture_finish fixture_solid_queue "Solid Queue v1.5.0's schema agrees with queuewatch"
