#pragma once
// Every rule queuewatch has, in one table: its name (the alertname, and its key under
// `rules.defaults`), whether it judges a target or a queue, how it is evaluated, and whether a
// database outage inhibits it. The evaluation loop (Engine::evaluate), Engine::undecided, the
// pipeline's pre-declared alert series and the built-in inhibition are derived from it, so a
// rule added here is evaluated, declared and inhibited by a database outage without being named
// anywhere else. Its thresholds stay in config/ (rules_config.hpp, decode_rules.cpp): config is
// the layer below rules and cannot read this table; rule_table_test checks they agree.
//
// It lives in rules/ rather than alerts/: the evaluation functions are rules', and alerts/
// already reads rules/ (observation.hpp), never the other way round.
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/rules_config.hpp"
#include "rules/cluster_state.hpp"
#include "rules/provider_state.hpp"
#include "rules/queue_rules.hpp"
#include "rules/queue_state.hpp"
#include "rules/verdict.hpp"

namespace qw::rules {

// A cluster rule judges a cluster's members together (docs/clusters.md) and may give several
// conditions (replica_parity: one per standby); a provider rule judges a provider's status feed
// (one condition per open incident).
enum class RuleScope { target, queue, cluster, provider };

struct RuleDef {
  std::string_view name;
  RuleScope scope = RuleScope::queue;
  // The rule's lifecycle part in a config; the default severity is its built-in value.
  const config::RuleCommon& (*common)(const config::RulesConfig&) = nullptr;
  // Exactly one of these, by scope.
  Verdict (*eval_queue)(const QueueState&, const RuleContext&) = nullptr;
  Verdict (*eval_target)(const TargetState&, const config::RulesConfig&, Time now) = nullptr;
  void (*eval_cluster)(const ClusterState&, const config::RulesConfig&, Time now,
                       std::vector<ActiveCondition>& out) = nullptr;
  void (*eval_provider)(const ProviderState&, const config::RulesConfig&, Time now,
                        std::vector<ActiveCondition>& out) = nullptr;
  // Runs on the queue when the condition holds (a stall must not be learned as a normal hour).
  void (*on_hold)(QueueState&, const RuleContext&) = nullptr;
  // A database outage makes this rule's alerts consequences, not news (alerts/inhibitor.cpp).
  bool inhibited_by_database_unavailable = false;
  // Queue rules whose firing on the same queue explains this one: a silent queue has also
  // collapsed and is below its baseline, and a collapsed one is below its baseline; that is one
  // page, the strongest rule's. Held back as a database outage's consequences are
  // (alerts/inhibitor.cpp). While a rule it holds back still holds, the holder's alert is kept
  // firing (Engine::undecided): the incident goes on, weaker, and is not over.
  std::array<std::string_view, 2> held_back_by = {};

  bool held_back_by_any() const { return !held_back_by[0].empty(); }
};

// In evaluation order (a queue's conditions come out in this order).
std::span<const RuleDef> rule_table();
const RuleDef* find_rule(std::string_view name);

// "critical", "warning", ...: the severity a rule has when the config does not set one.
std::string default_severity(const RuleDef& rule);

// The rules a firing database_unavailable inhibits on the same target.
std::vector<std::string> rules_inhibited_by_database_unavailable();

// The rules some rule holds back on the same queue (RuleDef::held_back_by), by that rule's name.
std::vector<std::pair<std::string, std::vector<std::string>>> rules_held_back_on_the_same_queue();

// no_primary is the root cause while it fires: it holds back the members' database_unavailable
// (equal: [cluster]) and the queue rules above on the cluster's sources (equal: [target]).
inline constexpr std::string_view kNoPrimary = "no_primary";

}  // namespace qw::rules
