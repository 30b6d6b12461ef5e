#!/usr/bin/env bash
# The GoodJob mapping of docs/configuration.md (and `preset: good_job`), proven against GoodJob
# v4.19.2's own schema (tests/fixtures/jobsys/good_job/schema.sql, from its install migration)
# with SQL that does what GoodJob does (transitions.sql): GoodJob is a Ruby gem and cannot be
# installed here. Checks:
#   a. the docs/indexes.md block builds on the schema;
#   b. `once`: ready (queued + a retry due now, not the job scheduled for later), running, the
#      oldest ages and the stuck job, against GoodJob's own scopes (app/models/good_job/job.rb);
#   c. `run`: completions and failures per queue, against the rows GoodJob kept;
#   d. a stall: one of three queues stops completing while the others go on; no_throughput pages
#      for that queue alone (the time it took is printed), and resolves when it resumes.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in a database of its own.
set -uo pipefail

# shellcheck source=tests/scripts/lib/fixture_lib.sh
source "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}/tests/scripts/lib/fixture_lib.sh"

fixtures="$QW_SOURCE_DIR/tests/fixtures/jobsys/good_job"
fixture_db qw_fixture_good_job "$fixtures/schema.sql" "$fixtures/transitions.sql"
sql() { fixture_sql "$1"; }
docs="$QW_SOURCE_DIR/docs/configuration.md"

# --- a. the indexes docs/indexes.md recommends build on GoodJob's schema ------------------------
fixture_indexes "### GoodJob" >/dev/null

# --- the scenario -------------------------------------------------------------------------------
process=$(sql "SELECT fixture.good_job_process()") || fatal "cannot register a process"
sql "SELECT fixture.good_job_enqueue('emails') FROM generate_series(1, 4)" >/dev/null || fatal "enqueue failed"
sql "SELECT fixture.good_job_enqueue('reports')" >/dev/null || fatal "enqueue failed"
later=$(sql "SELECT fixture.good_job_enqueue('emails', fixture.utc_now() + interval '1 hour')")
held=$(sql "SELECT fixture.good_job_claim('emails', '$process')")
retried=$(sql "SELECT fixture.good_job_claim('emails', '$process')")
# Retried with `wait: 0`: due again at once, so it waits (ready) like a new job.
sql "SELECT fixture.good_job_fail_retry('$retried', fixture.utc_now())" >/dev/null || fatal "retry failed"
[ -n "$held" ] && [ -n "$retried" ] && [ -n "$later" ] || fatal "the scenario did not claim its jobs"

block=$(docs_yaml_block "$docs" "tested by tests/scripts/fixture_good_job.sh:")
[ -n "$block" ] || fatal "no yaml block marked for fixture_good_job.sh in docs/configuration.md"
preset_block=$(docs_yaml_block "$docs" "tested by tests/scripts/fixture_good_job.sh (preset)" |
  sed 's/^- name: good_job$/- name: good_job_preset/')
[[ "$preset_block" == *"name: good_job_preset"*"preset: good_job"* ]] || fatal "no preset block for fixture_good_job.sh"
fixture_config "$block" "$preset_block" >"$FIXTURE_TMP/queuewatch.yaml"
"$QW_BINARY" check-config "$FIXTURE_TMP/queuewatch.yaml" || fatal "the docs' GoodJob mapping does not load"

# --- b. once: counts, ages and stuck ids against GoodJob's scopes -------------------------------
# GoodJob::Job.queued (performed_at and finished_at NULL, scheduled_at <= now) and .running
# (performed_at set, finished_at NULL), per queue.
lib_queued() { sql "SELECT count(*) FROM good_jobs WHERE queue_name = '$1' AND performed_at IS NULL
                    AND finished_at IS NULL AND scheduled_at <= fixture.utc_now()"; }
lib_running() { sql "SELECT count(*) FROM good_jobs WHERE queue_name = '$1' AND performed_at IS NOT NULL
                     AND finished_at IS NULL"; }
oldest_queued_age() { sql "SELECT EXTRACT(EPOCH FROM fixture.utc_now() - min(scheduled_at)) FROM good_jobs
                           WHERE queue_name = '$1' AND performed_at IS NULL AND finished_at IS NULL
                             AND scheduled_at <= fixture.utc_now()"; }
held_age() { sql "SELECT EXTRACT(EPOCH FROM fixture.utc_now() - performed_at) FROM good_jobs WHERE id = '$held'"; }
held_aged() { [ "$(sql "SELECT performed_at < fixture.utc_now() - interval '1.5 s' FROM good_jobs WHERE id = '$held'")" = t ]; }
pid=$$ wait_for "the held job to run 1.5 s" 30 held_aged || fatal "the held job never aged"

before_ready=$(oldest_queued_age emails)
before_held=$(held_age)
fixture_once "$FIXTURE_TMP/queuewatch.yaml" "$FIXTURE_TMP/once.json"
after_ready=$(oldest_queued_age emails)
after_held=$(held_age)
field() { fixture_once_field "$FIXTURE_TMP/once.json" "${3:-good_job}" "$1" "$2"; }

# The scenario's own numbers, so that both sides cannot agree on nothing: emails holds 2 new
# jobs + 1 retried, due (not the one scheduled for later), 1 running; reports 1 queued.
[ "$(lib_queued emails)/$(lib_running emails)/$(lib_queued reports)" = 3/1/1 ] ||
  fail "the scenario did not leave 3 queued + 1 running emails and 1 queued report"
for queue in emails reports; do
  [ "$(field "$queue" .ready)" = "$(lib_queued "$queue")" ] ||
    fail "$queue: queuewatch ready $(field "$queue" .ready), GoodJob's queued scope has $(lib_queued "$queue")"
  [ "$(field "$queue" .running)" = "$(lib_running "$queue")" ] ||
    fail "$queue: queuewatch running $(field "$queue" .running), GoodJob's running scope has $(lib_running "$queue")"
done
age=$(field emails .oldest_ready_age_seconds)
awk -v a="$age" -v lo="$before_ready" -v hi="$after_ready" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }' ||
  fail "emails oldest ready age $age is not between $before_ready and $after_ready"
age=$(field emails .oldest_running_age_seconds)
awk -v a="$age" -v lo="$before_held" -v hi="$after_held" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }' ||
  fail "emails oldest running age $age is not between $before_held and $after_held"
[ "$(field emails '.stuck_job_ids | join(",")')" = "$held" ] ||
  fail "emails stuck ids '$(field emails '.stuck_job_ids | join(",")')', want the held job $held"
for queue in emails reports; do
  for f in .ready .running '.stuck_job_ids | join(",")'; do
    [ "$(field "$queue" "$f" good_job_preset)" = "$(field "$queue" "$f")" ] ||
      fail "$queue $f: preset: good_job saw '$(field "$queue" "$f" good_job_preset)', the docs mapping '$(field "$queue" "$f")'"
  done
done

# --- c. run: completions and failures, counted from the second round on -------------------------
# Three queues for the stall below, with two hours of kept history so the warm start knows their
# rates (1,800 jobs an hour each) from the first round.
for q in alpha beta gamma; do
  sql "SELECT fixture.good_job_history('$q', 2, 1800)" >/dev/null || fatal "cannot insert history"
done
# Preflight proves the mappings on the library's schema, the docs' indexes in place, with the
# history making the table big enough for a sequential scan to be reported.
sql "ANALYZE" >/dev/null
fixture_preflight "$FIXTURE_TMP/queuewatch.yaml"
fixture_start "$FIXTURE_TMP/queuewatch.yaml"
first_round() {
  [ "$(fixture_metric queuewatch_queue_ready_jobs good_job emails)" != absent ] &&
    [ "$(fixture_metric queuewatch_queue_ready_jobs good_job_preset emails)" != absent ]
}
wait_for "the daemon's first round" 30 first_round || fatal "no queue round in /metrics"
start=$(sql "SELECT fixture.utc_now()")
sql "SELECT fixture.good_job_complete(fixture.good_job_claim('emails', '$process')) FROM generate_series(1, 3)" >/dev/null ||
  fatal "cannot complete emails"
sql "SELECT fixture.good_job_fail(fixture.good_job_claim('reports', '$process'))" >/dev/null || fatal "cannot fail a report"
lib_done() { # QUEUE: "completed/failed" since $start, from the rows GoodJob kept
  sql "SELECT count(*) FILTER (WHERE error IS NULL) || '/' || count(*) FILTER (WHERE error IS NOT NULL)
       FROM good_jobs WHERE queue_name = '$1' AND finished_at >= '$start'"
}
[ "$(lib_done emails)/$(lib_done reports)" = "3/0/0/1" ] || fail "GoodJob's rows show $(lib_done emails) emails and $(lib_done reports) reports, not 3/0 and 0/1"
counted() {
  local s
  for s in good_job good_job_preset; do
    [ "$(fixture_metric queuewatch_queue_completed_jobs_total $s emails)/$(fixture_metric queuewatch_queue_failed_jobs_total $s reports)" = \
      "$(lib_done emails | cut -d/ -f1)/$(lib_done reports | cut -d/ -f2)" ] || return 1
  done
}
wait_for "3 completions of emails and 1 failure of reports" 60 counted ||
  fail "counted $(fixture_metric queuewatch_queue_completed_jobs_total good_job emails) completions of emails" \
    "and $(fixture_metric queuewatch_queue_failed_jobs_total good_job reports) failures of reports, want 3 and 1"
[ "$(fixture_metric queuewatch_queue_completed_jobs_total good_job reports)" = 0 ] ||
  fail "reports completions $(fixture_metric queuewatch_queue_completed_jobs_total good_job reports), want 0"

# --- d. a stall: gamma stops completing, alpha and beta go on -----------------------------------
sql "INSERT INTO fixture_ctl.queues VALUES ('alpha', 1, 2), ('beta', 1, 2), ('gamma', 1, 2)" >/dev/null
fixture_workload_start fixture.good_job_round
flowing() {
  local q
  for q in alpha beta gamma; do
    [ "$(fixture_metric queuewatch_queue_completed_jobs_total good_job $q)" != absent ] &&
      [ "$(fixture_metric queuewatch_queue_completed_jobs_total good_job $q)" -gt 0 ] 2>/dev/null || return 1
  done
}
wait_for "completions on alpha, beta and gamma" 60 flowing || fatal "the workload's completions were never counted"
fixture_stall_gamma good_job 90 60 5
fixture_workload_stop
fixture_finish fixture_good_job "GoodJob v4.19.2's schema agrees with queuewatch"
