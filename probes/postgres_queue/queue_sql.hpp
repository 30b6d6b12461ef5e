#pragma once
// The SQL the postgres_queue probe runs, built once per source from its mapping. Pure: no I/O,
// unit-tested on its text. Identifiers are quoted; every value (state lists, queue names,
// bounds, caps) is a bound parameter. Each query is shaped for an index (docs/indexes.md):
// counts stop at count_cap, ages come from min() over an index, completions scan only the rows
// finished since the last round.
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace qw::probes::queue {

// Types of the mapped columns as the catalog names them (format_type), used to cast bound
// parameters to the column's own type so comparisons stay indexable (enums, varchar, ...).
struct ColumnTypes {
  std::string queue = "text";
  std::string finished = "timestamp with time zone";
  std::string failed = "timestamp with time zone";
};

// A statement whose first `runtime_params` parameters are supplied per run, followed by
// `fixed_params` that never change for this source.
struct Statement {
  std::string sql;
  int runtime_params = 0;
  std::vector<std::string> fixed_params;
};

struct QueueSql {
  // $1 = queue names (text[] literal), $2 and $3 = per queue, the seconds after which a running
  // job, or its heartbeat, counts as stuck (float8[] literals, aligned with $1). One row per
  // queue: name, ready, ready_age, running, running_age, heartbeat_age (ages in seconds, NULL
  // when nothing / not mapped), stuck, stuck_ids (unit-separator-joined, oldest first).
  // $4 = the per-queue count limit: count_cap is a budget for the whole source, shared by its
  // queues (per_queue_count_limit), so the round's cost is bounded however many queues explode.
  Statement snapshot;
  // $1 = settle delay in milliseconds. One row: the new watermark (upper bound) as text.
  Statement watermark;
  // $1 = lower bound (exclusive), $2 = upper bound (inclusive), both watermark texts.
  // Rows: queue, completed, failed, completed_age (seconds since the newest completed row of
  // the window finished, NULL when none). Empty for deleted mode without failure stamps.
  Statement completions;
  // No runtime parameter. Distinct queue values among ready and running rows, by skip scan.
  Statement discovery;
  // $1 = table name. One row: the table's cumulative deleted-tuple count.
  Statement deletes;
  // No parameter. One row: the start of the database clock's current hour, Unix seconds.
  Statement hour_now;
  // Warm start. $1 = from, $2 = until (Unix seconds, on the hour). Rows: queue, hour_start
  // (Unix seconds), completed; one per hour that completed something. One range scan over the
  // finished rows (the index that counts completions). Empty text without a finished timestamp
  // in kept mode: there is no history to read.
  Statement history;
  bool counts_completions = true;  // completions has something to count
  // Failures are counted: a failed state is mapped and stamped by a timestamp. Without one the
  // per-queue failure counter is not exported at all, rather than a 0 that looks measured.
  bool counts_failures = true;

  // Progress observed per queue where completions cannot be counted per queue (deleted mode
  // with a queue column; see README.md, "Progress without kept rows"). Empty text otherwise.
  // $1 = tracked job ids (an array literal of the id column's type). Rows: id (text), state
  // ('r' ready, 'x' running, 'o' neither), started (text, for running rows; NULL otherwise or
  // when not mapped).
  // Primary-key lookups only.
  Statement tracked;
  // $1 = queue names (text[] literal), $2 = ids per queue to track, $3 = the previous round's
  // database now (text, 'infinity' before one), $4 = the ids tracked now (excluded from claims),
  // $5 = the per-queue count limit. One row per queue: name, ready head (the next ids to run,
  // oldest first, unit-separator-joined), running ids (newest claim first, each
  // "id<RS>started"), claims since $3 not already tracked (NULL without a started timestamp),
  // and the database now as text.
  Statement progress;
};

QueueSql build_queue_sql(const config::QueueConfig& q, const ColumnTypes& types);

// Each queue may count this many rows per state: count_cap shared by `queues`, with a floor so a
// source with thousands of queues still tells 0 from "a few hundred".
std::int64_t per_queue_count_limit(std::int64_t count_cap, std::size_t queues);
inline constexpr std::int64_t kMinPerQueueCount = 100;

// The upper bound of queue values discovery returns: bounds its cost on a runaway table.
inline constexpr int kMaxDiscoveredQueues = 10000;

}  // namespace qw::probes::queue
