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
