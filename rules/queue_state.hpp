#pragma once
// Everything the engine keeps about one queue between evaluations. The rule functions read it;
// only the engine writes it.
#include <chrono>
#include <cstdint>
#include <optional>

#include "rules/baseline.hpp"
#include "rules/deep_lulls.hpp"
#include "rules/level.hpp"
#include "rules/observation.hpp"
#include "rules/progress_state.hpp"
#include "rules/queue_history.hpp"
#include "rules/thresholds.hpp"

namespace qw::rules {

struct QueueState {
  QueueKey key;
  std::string region;
  ResolvedQueueRules rules;
  std::optional<QueueTick> last;           // the latest round, measured or not
  std::optional<QueueTick> last_measured;  // the latest successful round
  std::optional<Time> first_measured_at;
  // The latest measured round that saw a completion; the silence starts there. Before any,
  // the first measured round (a queue that never completed anything is silent since then).
  std::optional<Time> last_completion_at;
  // Whether last_completion_at is a completion seen since the start, rather than the first round
  // (a silence counted from there may have begun long before).
  bool completion_seen = false;
  std::chrono::milliseconds last_gap{0};  // between the last two rounds: the probe interval
  // Completions per second over the hour before last_completion_at: the recent rate a stall
  // is measured against.
  double rate_before_silence = 0;
  bool rate_known = false;  // measured, read by warm_start, or restored: 0 then means idle
  // Deleted-rows tables with several queues: rounds that observed progress (no_throughput).
  ProgressState progress;
  QueueHistory history;
  mutable BaselineCache baseline_cache;
  LevelStats level;  // recent level and level noise against the baseline, refreshed hourly
  std::int64_t dispersion_hour = INT64_MIN;  // hour of the last dispersion and level refresh
  DeepLulls deep_lulls;  // how often its blocks fell to a near-halt, counted at that refresh
  // A source on a cluster: the end of the last window without a primary already taken out of
  // its silence (Engine::skip_outage).
  std::optional<Time> outage_skipped;
  // Bit i: rule_table()[i] answered "unknown" at the last evaluation (Engine::undecided).
  std::uint32_t unknown_rules = 0;
};

// The labels of every condition about this queue.
Labels queue_labels(const QueueState& q);

}  // namespace qw::rules
