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
docs="$QW_SOURCE_DIR/docs/configuration.md"

# --- a. labels, state values, indexes ------------------------------------------------------------
labels=$(sql "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum
              WHERE enumtypid = 'oban_job_state'::regtype")
[ "$labels" = "available,suspended,scheduled,executing,retryable,completed,discarded,cancelled" ] ||
  fail "oban_job_state labels are '$labels': the fixture is not Oban v2.23.1's schema"
block=$(docs_yaml_block "$docs" "tested by tests/scripts/fixture_oban.sh:")
[ -n "$block" ] || fatal "no yaml block marked for fixture_oban.sh in docs/configuration.md"
preset_block=$(docs_yaml_block "$docs" "tested by tests/scripts/fixture_oban.sh (preset)" |
  sed 's/^- name: oban$/- name: oban_preset/')
[[ "$preset_block" == *"name: oban_preset"*"preset: oban"* ]] || fatal "no preset block for fixture_oban.sh in the docs"
values=$(printf '%s\n' "$block" | sed -n 's/^ *\(ready\|running\|completed\|failed\): *\[\([^]]*\)\].*/\2/p' |
  tr ',' '\n' | tr -d ' ')
[ -n "$values" ] || fail "found no state values in the docs block"
for v in $values; do
  [[ ",$labels," == *",$v,"* ]] || fail "state value '$v' of the docs mapping is not a label of oban_job_state"
done
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

fixture_config "$block" "$preset_block" >"$FIXTURE_TMP/queuewatch.yaml"
"$QW_BINARY" check-config "$FIXTURE_TMP/queuewatch.yaml" >/dev/null || fatal "the docs' Oban mapping does not load"
before_emails=$(oldest_ready_age emails)
before_held=$(held_age)
fixture_once "$FIXTURE_TMP/queuewatch.yaml" "$FIXTURE_TMP/once.json"
after_emails=$(oldest_ready_age emails)
after_held=$(held_age)
q() { fixture_once_field "$FIXTURE_TMP/once.json" "${3:-oban}" "$1" "$2"; }
for queue in emails reports; do
  [ "$(q "$queue" .ready)" = "$(lib_ready "$queue")" ] ||
    fail "$queue: queuewatch ready $(q "$queue" .ready), Oban has $(lib_ready "$queue") due jobs"
  [ "$(q "$queue" .running)" = "$(lib_running "$queue")" ] ||
    fail "$queue: queuewatch running $(q "$queue" .running), Oban has $(lib_running "$queue") executing"
  for field in .ready .running '.stuck_job_ids | join(",")'; do
    [ "$(q "$queue" "$field" oban_preset)" = "$(q "$queue" "$field")" ] ||
      fail "$queue $field: preset: oban saw '$(q "$queue" "$field" oban_preset)', the docs mapping '$(q "$queue" "$field")'"
  done
done
between() { awk -v a="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(a >= lo - 0.01 && a <= hi + 0.01) }'; }
age=$(q emails .oldest_ready_age_seconds)
between "$age" "$before_emails" "$after_emails" ||
  fail "emails oldest ready age $age is not between Oban's $before_emails and $after_emails"
age=$(q emails .oldest_running_age_seconds)
between "$age" "$before_held" "$after_held" ||
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
fixture_preflight "$FIXTURE_TMP/queuewatch.yaml"
# Completions and failures are counted by completed_at and discarded_at after settle_delay (10 s),
# from the first round's watermark on: let the setup's finished jobs get older than that.
settled() {
  [ "$(one "SELECT greatest(max(completed_at), max(discarded_at)) < fixture.utc_now() - interval '11 s'
            FROM oban_jobs WHERE queue IN ('emails', 'reports')")" = t ]
}
pid=$$ wait_for "the setup's completions to settle" 30 settled || fatal "completed_at never settled"

fixture_start "$FIXTURE_TMP/queuewatch.yaml"
first_round() {
  [ "$(fixture_metric queuewatch_queue_ready_jobs oban emails)" != absent ] &&
    [ "$(fixture_metric queuewatch_queue_ready_jobs oban_preset emails)" != absent ]
}
wait_for "the daemon's first round" 30 first_round || fatal "no queue round in /metrics"

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
[ "$(lib_finished emails completed completed_at)/$(lib_finished reports discarded discarded_at)" = 3/1 ] ||
  fail "Oban shows $(lib_finished emails completed completed_at) emails completed and" \
    "$(lib_finished reports discarded discarded_at) reports discarded by the finish step, not 3 and 1"
counted() {
  local s
  for s in oban oban_preset; do
    [ "$(fixture_metric queuewatch_queue_completed_jobs_total $s emails)" = "$(lib_finished emails completed completed_at)" ] &&
      [ "$(fixture_metric queuewatch_queue_failed_jobs_total $s reports)" = "$(lib_finished reports discarded discarded_at)" ] || return 1
  done
}
wait_for "3 completions of emails and 1 failure of reports" 60 counted ||
  fail "counted completions $(fixture_metric queuewatch_queue_completed_jobs_total oban emails) (want 3)," \
    "failures $(fixture_metric queuewatch_queue_failed_jobs_total oban reports) (want 1);" \
    "with the preset $(fixture_metric queuewatch_queue_completed_jobs_total oban_preset emails)" \
    "and $(fixture_metric queuewatch_queue_failed_jobs_total oban_preset reports)"
for m in "queuewatch_queue_completed_jobs_total reports" "queuewatch_queue_failed_jobs_total emails"; do
  # shellcheck disable=SC2086
  [ "$(fixture_metric ${m% *} oban ${m#* })" = 0 ] || fail "${m#* }: ${m% *} is $(fixture_metric ${m% *} oban ${m#* }), want 0"
done

# --- d. a stall of one queue among three -----------------------------------------------------------
sql "INSERT INTO fixture_ctl.queues VALUES ('alpha', 1, 5), ('beta', 1, 5), ('gamma', 1, 5)" >/dev/null
fixture_workload_start fixture.oban_round
moving() {
  local queue
  for queue in alpha beta gamma; do
    [ "$(fixture_metric queuewatch_queue_completed_jobs_total oban "$queue")" -ge 20 ] 2>/dev/null || return 1
  done
}
wait_for "alpha, beta and gamma to complete jobs" 60 moving || fatal "the workload did not get counted"
sql "UPDATE fixture_ctl.queues SET consume = 0 WHERE queue = 'gamma'" >/dev/null
stalled_at=$(date +%s.%N)
paged() { [ "$(fixture_pages firing no_throughput gamma oban)" -ge 1 ] && [ "$(fixture_pages firing no_throughput gamma oban_preset)" -ge 1 ]; }
wait_for "no_throughput for gamma" 120 paged || fail "gamma's stall did not page no_throughput within 120 s"
paged_at=$(date +%s.%N)
echo "stall-to-page oban: $(awk -v a="$stalled_at" -v b="$paged_at" 'BEGIN { printf "%.1f", b - a }') s" \
  "(min_silence $FIXTURE_MIN_SILENCE, 1 s rounds, history of 1 job/s per queue)"
sql "UPDATE fixture_ctl.queues SET consume = 50 WHERE queue = 'gamma'" >/dev/null
resolved() { [ "$(fixture_pages resolved no_throughput gamma oban)" -ge 1 ] && [ "$(fixture_pages resolved no_throughput gamma oban_preset)" -ge 1 ]; }
wait_for "gamma's no_throughput to resolve" 90 resolved || fail "no_throughput for gamma did not resolve after it resumed"
fixture_workload_stop
others=$(jq -r '.alerts[]? | select(.status == "firing" and .labels.alertname == "no_throughput" and .labels.queue != "gamma") | .labels.queue' \
  "$FIXTURE_TMP/hooks.jsonl" | sort -u | tr '\n' ' ')
[ -z "$others" ] || fail "no_throughput fired for queues that kept completing: $others"
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
echo "fixture_oban: Oban v2.23.1's schema agrees with queuewatch"
