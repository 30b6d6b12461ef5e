#include "rules/rule_table.hpp"

#include <algorithm>

#include "rules/condition.hpp"

namespace qw::rules {
namespace {

using config::RuleCommon;
using config::RulesConfig;

// A stall is not a normal hour, nor is a drop: later baselines must not learn either.
void exclude_silence(QueueState& q, const RuleContext& ctx) {
  q.history.exclude(ctx.tz, epoch_seconds(*q.last_completion_at), epoch_seconds(ctx.now));
  q.baseline_cache.clear();
}

// The hours of the last `seconds` are not normal: later baselines skip them.
void exclude_back(QueueState& q, const RuleContext& ctx, std::int64_t seconds) {
  q.history.exclude(ctx.tz, epoch_seconds(ctx.now) - seconds, epoch_seconds(ctx.now));
  q.baseline_cache.clear();
}

void exclude_window(QueueState& q, const RuleContext& ctx) {
  exclude_back(
      q, ctx,
      std::chrono::duration_cast<std::chrono::seconds>(q.rules.below_baseline.window).count());
}

// A collapse excludes the hours it holds in; the hour is enough, as it holds every round.
void exclude_last_hour(QueueState& q, const RuleContext& ctx) {
  exclude_back(q, ctx, 3600);
}

Verdict database_unavailable(const TargetState& t, const RulesConfig& c, Time now) {
  return eval_database_unavailable(t, c.database_unavailable, now);
}

// A queue rule's defaults (the per-queue values, overrides applied, are in QueueState::rules).
template <auto Member>
const RuleCommon& queue_common(const RulesConfig& c) {
  return (c.defaults.*Member).common;
}

// The order is the evaluation order, and the order queuewatch_alerts series are declared in.
const RuleDef kRules[] = {
    {.name = "no_throughput",
     .common = queue_common<&config::QueueRules::no_throughput>,
     .eval_queue = eval_no_throughput,
     .on_hold = exclude_silence,
     .inhibited_by_database_unavailable = true},
    {.name = "throughput_collapse",
     .common = queue_common<&config::QueueRules::throughput_collapse>,
     .eval_queue = eval_throughput_collapse,
     .on_hold = exclude_last_hour,
     .inhibited_by_database_unavailable = true,
     .held_back_by = {"no_throughput"}},
    {.name = "below_baseline",
     .common = queue_common<&config::QueueRules::below_baseline>,
     .eval_queue = eval_below_baseline,
     .on_hold = exclude_window,
     .inhibited_by_database_unavailable = true,
     .held_back_by = {"no_throughput", "throughput_collapse"}},
    {.name = "stuck_in_progress",
     .common = queue_common<&config::QueueRules::stuck_in_progress>,
     .eval_queue = eval_stuck_in_progress,
     .inhibited_by_database_unavailable = true},
    {.name = "queue_latency",
     .common = queue_common<&config::QueueRules::queue_latency>,
     .eval_queue = eval_queue_latency,
     .inhibited_by_database_unavailable = true},
    {.name = "failure_ratio",
     .common = queue_common<&config::QueueRules::failure_ratio>,
     .eval_queue = eval_failure_ratio,
     .inhibited_by_database_unavailable = true},
    {.name = "database_unavailable",
     .scope = RuleScope::target,
     .common = [](const RulesConfig& c) -> const RuleCommon& {
       return c.database_unavailable.common;
     },
     .eval_target = database_unavailable},
    {.name = "cannot_measure",
     .common = queue_common<&config::QueueRules::cannot_measure>,
     .eval_queue = eval_cannot_measure,
     .inhibited_by_database_unavailable = true},
    // Cluster rules (owner: cluster; docs/clusters.md).
    {.name = "failover",
     .scope = RuleScope::cluster,
     .common = [](const RulesConfig& c) -> const RuleCommon& { return c.failover.common; },
     .eval_cluster = eval_failover},
    {.name = "no_primary",
     .scope = RuleScope::cluster,
     .common = [](const RulesConfig& c) -> const RuleCommon& { return c.no_primary.common; },
     .eval_cluster = eval_no_primary},
    {.name = "split_brain",
     .scope = RuleScope::cluster,
     .common = [](const RulesConfig& c) -> const RuleCommon& { return c.split_brain.common; },
     .eval_cluster = eval_split_brain},
    {.name = "replica_parity",
     .scope = RuleScope::cluster,
     .common = [](const RulesConfig& c) -> const RuleCommon& { return c.replica_parity.common; },
     .eval_cluster = eval_replica_parity},
    // Provider rules (probes/provider_status). Not held back by database_unavailable: that page
    // quotes the incident, and the incident concerns more than one target (docs/rules.md).
    {.name = "provider_incident",
     .scope = RuleScope::provider,
     .common = [](const RulesConfig& c) -> const RuleCommon& { return c.provider_incident.common; },
     .eval_provider = eval_provider_incident},
    {.name = "replica_lag",
     .scope = RuleScope::cluster,
     .common = [](const RulesConfig& c) -> const RuleCommon& { return c.replica_lag.common; },
     .eval_cluster = eval_replica_lag},
    {.name = "replica_not_streaming",
     .scope = RuleScope::cluster,
     .common = [](const RulesConfig& c) -> const RuleCommon& {
       return c.replica_not_streaming.common;
     },
     .eval_cluster = eval_replica_not_streaming},
};

}  // namespace

// QueueState::unknown_rules keeps one bit per rule.
static_assert(std::size(kRules) <= 32, "QueueState::unknown_rules has 32 bits");

std::span<const RuleDef> rule_table() {
  return kRules;
}

const RuleDef* find_rule(std::string_view name) {
  const auto it = std::find_if(std::begin(kRules), std::end(kRules),
                               [name](const RuleDef& r) { return r.name == name; });
  return it == std::end(kRules) ? nullptr : &*it;
}

std::string default_severity(const RuleDef& rule) {
  static const RulesConfig kBuiltIn;
  return severity_name(rule.common(kBuiltIn).severity);
}

std::vector<std::string> rules_inhibited_by_database_unavailable() {
  std::vector<std::string> out;
  for (const RuleDef& r : kRules) {
    if (r.inhibited_by_database_unavailable) out.emplace_back(r.name);
  }
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>> rules_held_back_on_the_same_queue() {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const RuleDef& r : kRules) {
    for (const std::string_view holder : r.held_back_by) {
      if (holder.empty()) continue;
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const auto& group) { return group.first == holder; });
      if (it == out.end()) it = out.insert(out.end(), {std::string(holder), {}});
      it->second.emplace_back(r.name);
    }
  }
  return out;
}

}  // namespace qw::rules
