#include "config/presets.hpp"

#include <array>

namespace qw::config {
namespace {

// Keep each in step with its block in docs/configuration.md (presets_test compares them).
constexpr std::array kPresets = {
    Preset{"pg-boss", "pg-boss 12.38.0", "pgboss",
           R"(table: pgboss.job
queue_column: name
state:
  column: state
  ready: [created, retry]
  running: [active]
  completed: [completed]
  failed: [failed]
timestamps:
  type: timestamptz
  enqueued: created_on
  run_at: start_after
  started: started_on
  finished: completed_on
completed_rows: kept
)"},
    Preset{"graphile-worker", "graphile-worker 0.18.0", "graphile_worker",
           R"(table: graphile_worker._private_jobs
state:
  ready_when: "is_available"
  running_when: "locked_at IS NOT NULL"
  completed_when: "false"
  failed_when: "locked_at IS NULL AND attempts >= max_attempts"
timestamps:
  enqueued: created_at
  run_at: run_at
  started: locked_at
completed_rows: deleted
)"},
    // River's own migrations and queries at v0.43.0, as a fixture: tests/scripts/fixture_river.sh.
    Preset{"river", "River v0.43.0", "public",
           R"(table: public.river_job
queue_column: queue
state:
  column: state
  ready: [available, scheduled, retryable]
  running: [running]
  completed: [completed]
  failed: [discarded]
timestamps:
  type: timestamptz
  enqueued: created_at
  run_at: scheduled_at
  started: attempted_at
  finished: finalized_at
completed_rows: kept
)"},
    // The schema of Oban v2.23.1's migrations and its Basic engine's queries, as a fixture:
    // tests/scripts/fixture_oban.sh.
    Preset{"oban", "Oban v2.23.1", "public",
           R"(table: public.oban_jobs
queue_column: queue
state:
  column: state
  ready: [available, scheduled, retryable]
  running: [executing]
  completed: [completed]
  failed: [discarded]
timestamps:
  type: timestamp_utc
  enqueued: inserted_at
  run_at: scheduled_at
  started: attempted_at
  finished: completed_at
  failed: discarded_at
completed_rows: kept
)"},
    // Procrastinate 3.9.0's own schema.sql and functions, as a fixture, through the view of
    // docs/configuration.md (the times are rows of procrastinate_events):
    // tests/scripts/fixture_procrastinate.sh.
    Preset{"procrastinate", "Procrastinate 3.9.0", "public",
           R"(table: public.queuewatch_procrastinate_jobs
queue_column: queue_name
state:
  column: status
  ready: [todo]
  running: [doing]
  completed: [succeeded]
  failed: [failed]
timestamps:
  type: timestamptz
  enqueued: enqueued_at
  run_at: run_at
  started: started_at
  finished: finished_at
  heartbeat: heartbeat_at
completed_rows: kept
)"},
    // GoodJob's install migration and Active Record code at v4.19.2, as a fixture:
    // tests/scripts/fixture_good_job.sh.
    Preset{"good_job", "GoodJob v4.19.2", "public",
           R"(table: good_jobs
queue_column: queue_name
state:
  ready_when: "finished_at IS NULL AND performed_at IS NULL"
  running_when: "finished_at IS NULL AND performed_at IS NOT NULL"
  completed_when: "finished_at IS NOT NULL AND error IS NULL"
  failed_when: "finished_at IS NOT NULL AND error IS NOT NULL"
timestamps:
  type: timestamp_utc
  enqueued: created_at
  run_at: scheduled_at
  started: performed_at
  finished: finished_at
completed_rows: kept
)"},
    // Solid Queue's queue_schema.rb and models at v1.5.0, as a fixture:
    // tests/scripts/fixture_solid_queue.sh. State lives in the execution tables, read by EXISTS.
    Preset{"solid_queue", "Solid Queue v1.5.0", "public",
           R"yaml(table: solid_queue_jobs
queue_column: queue_name
state:
  ready_when: "finished_at IS NULL AND (EXISTS (SELECT 1 FROM solid_queue_ready_executions e WHERE e.job_id = solid_queue_jobs.id) OR EXISTS (SELECT 1 FROM solid_queue_scheduled_executions e WHERE e.job_id = solid_queue_jobs.id) OR EXISTS (SELECT 1 FROM solid_queue_blocked_executions e WHERE e.job_id = solid_queue_jobs.id))"
  running_when: "finished_at IS NULL AND EXISTS (SELECT 1 FROM solid_queue_claimed_executions e WHERE e.job_id = solid_queue_jobs.id)"
  completed_when: "finished_at IS NOT NULL"
  failed_when: "false"
timestamps:
  type: timestamp_utc
  enqueued: created_at
  run_at: scheduled_at
  finished: finished_at
completed_rows: kept
)yaml"},
    // delayed_job v4.2.0 and delayed_job_active_record v4.1.11 (migration template and worker), as
    // a fixture: tests/scripts/fixture_delayed_job.sh. Rows are deleted on success: whole table.
    Preset{"delayed_job", "delayed_job v4.2.0 and delayed_job_active_record v4.1.11", "public",
           R"(table: delayed_jobs
state:
  ready_when: "locked_at IS NULL AND failed_at IS NULL"
  running_when: "locked_at IS NOT NULL AND failed_at IS NULL"
  completed_when: "false"
  failed_when: "failed_at IS NOT NULL"
timestamps:
  type: timestamp_utc
  enqueued: created_at
  run_at: run_at
  started: locked_at
  failed: failed_at
completed_rows: deleted
)"},
    // Que v2.4.1's migrations and statements, as a fixture: tests/scripts/fixture_que.sh. Rows are
    // deleted on success (whole table); a running job is only an advisory lock on its id.
    Preset{"que", "Que v2.4.1", "public",
           R"yaml(table: que_jobs
state:
  ready_when: "finished_at IS NULL AND expired_at IS NULL AND id NOT IN (SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))"
  running_when: "finished_at IS NULL AND expired_at IS NULL AND id IN (SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))"
  completed_when: "false"
  failed_when: "expired_at IS NOT NULL"
timestamps:
  type: timestamptz
  run_at: run_at
  failed: expired_at
completed_rows: deleted
)yaml"},
};

}  // namespace

std::span<const Preset> presets() {
  return kPresets;
}

const Preset* find_preset(std::string_view name) {
  for (const Preset& p : kPresets)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace qw::config
