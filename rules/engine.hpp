#pragma once
// The rules engine: every queue's and target's state, fed probe rounds, asked at each
// evaluation which conditions hold. Pure (no I/O, no clock): the daemon and backtest drive it
// with the same calls, so a backtest verdict is the daemon's verdict.
#include <map>
#include <span>
#include <string>
#include <vector>

#include "config/rules_config.hpp"
#include "rules/observation.hpp"
#include "rules/queue_rules.hpp"
#include "rules/queue_state.hpp"
#include "rules/timezone.hpp"

namespace qw::rules {

// One hour of a queue's past, from its own table (kept completed rows), for warm_start.
struct HourlyCount {
  Time hour_start;  // UTC, on the hour
  double completed = 0;
};

// A table's history rows made whole, ready for warm_start. Rows (one queue's, oldest first) exist
// only for hours that completed something, so an hour missing between the first row and `until`
// had none. The first row's hour is dropped: the table's retention may have cut into it.
std::vector<HourlyCount> complete_hours(std::span<const HourlyCount> rows, Time until);

class Engine {
 public:
  Engine(config::RulesConfig config, Timezone tz);

  // A reload: new thresholds for every queue, history kept. (A changed timezone re-reads the
  // kept hours in the new zone's phases; the baseline relearns within weeks.)
  void reconfigure(config::RulesConfig config, Timezone tz);

  // Rounds older than the queue's latest are ignored (a late delivery must not rewind state).
  void ingest(const QueueTick& tick);
  void ingest(const TargetTick& tick);

  // The conditions holding at `now`, in a stable order (queue key, then rule).
  std::vector<ActiveCondition> evaluate(Time now);

  // Seeds the hourly history from the table's own past, the complete hours before `until`;
  // hours already measured are kept. The last of them also seeds the rate a stall is judged
  // against, so a queue already stalled at start-up is caught.
  void warm_start(const QueueKey& key, std::span<const HourlyCount> hours, Time until);
  // Replaces a queue's hourly history (restored from the state directory).
  void restore_hours(const QueueKey& key, const HourRing& hours);
  // Whether any queue of this source has hours enough for a baseline (restored, or learned).
  bool has_history(const std::string& target, const std::string& source) const;
  // Drops a queue (its source left the config, or the queue disappeared from the table).
  void forget(const QueueKey& key);

  const std::map<QueueKey, QueueState>& queues() const { return queues_; }
  const QueueState* queue(const QueueKey& key) const;
  const config::RulesConfig& config() const { return config_; }
  const Timezone& timezone() const { return tz_; }

 private:
  QueueState& state_for(const QueueKey& key);

  config::RulesConfig config_;
  Timezone tz_;
  std::map<QueueKey, QueueState> queues_;
  std::map<std::string, TargetState> targets_;
};

}  // namespace qw::rules
