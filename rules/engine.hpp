#pragma once
// The rules engine: every queue's and target's state, fed probe rounds, asked at each
// evaluation which conditions hold. Pure (no I/O, no clock): the daemon and backtest drive it
// with the same calls, so a backtest verdict is the daemon's verdict.
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "config/rules_config.hpp"
#include "rules/cluster_state.hpp"
#include "rules/observation.hpp"
#include "rules/provider_state.hpp"
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

  // The clusters of the config (docs/clusters.md); a reload keeps the state of those that
  // remain with the same members.
  void set_clusters(const std::vector<ClusterMembers>& clusters);

  // The providers of the config: a reload drops the state of those that left it.
  void set_providers(const std::vector<std::string>& names);

  // Rounds older than the queue's latest are ignored (a late delivery must not rewind state).
  void ingest(const QueueTick& tick);
  void ingest(const TargetTick& tick);
  void ingest(const ProviderTick& tick);
  void ingest(const ReplicationTick& tick);  // a cluster member's; others are ignored

  // The conditions holding at `now`, in a stable order (queue key, then rule).
  std::vector<ActiveCondition> evaluate(Time now);

  // After evaluate(): whether the rules reached no verdict on the subject of an alert with these
  // labels (alertname, target, source, queue): its rule lacked evidence, or the subject has not
  // been measured since the start. Such an alert is kept as it is, never resolved for it. A
  // queue that its source's measured rounds no longer show, or an alert of no rule, is decided.
  bool undecided(const Labels& alert_labels) const;

  // Seeds the hourly history from the table's own past, the complete hours before `until`;
  // hours already measured are kept. The last of them also seeds the rate a stall is judged
  // against, so a queue already stalled at start-up is caught.
  void warm_start(const QueueKey& key, std::span<const HourlyCount> hours, Time until);
  // Replaces a queue's hourly history (restored from the state directory).
  void restore_hours(const QueueKey& key, const HourRing& hours);
  // The rate before a silence, restored from the state directory: a stall that outlives a
  // restart completes nothing, so it could never be measured again.
  void restore_rate(const QueueKey& key, double per_second);
  // The queue's record of deep lulls, restored from the state directory.
  void restore_deep_lulls(const QueueKey& key, const DeepLulls& lulls);
  // Whether any queue of this source has hours enough for a baseline (restored, or learned).
  bool has_history(const std::string& target, const std::string& source) const;
  // Drops a queue (its source left the config, or the queue disappeared from the table).
  void forget(const QueueKey& key);

  const std::map<QueueKey, QueueState>& queues() const { return queues_; }
  const ClusterState* cluster(const std::string& name) const;
  const ProviderState* provider(const std::string& name) const;
  const QueueState* queue(const QueueKey& key) const;
  const config::RulesConfig& config() const { return config_; }
  const Timezone& timezone() const { return tz_; }

 private:
  QueueState& state_for(const QueueKey& key);
  void skip_outage(QueueState& q);

  config::RulesConfig config_;
  Timezone tz_;
  std::map<QueueKey, QueueState> queues_;
  std::map<std::string, TargetState> targets_;
  std::map<std::string, ClusterState> clusters_;
  std::map<std::string, std::string> cluster_of_;  // member target -> cluster
  std::map<std::string, ProviderState> providers_;
  // The last evaluation's unknown verdicts, as (alertname, queue); and the sources whose
  // probe has had a measured round since the start (a queue they no longer show is gone).
  std::set<std::pair<std::string, std::string>> measured_sources_;
};

}  // namespace qw::rules
