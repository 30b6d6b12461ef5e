#pragma once
// Inhibition with Alertmanager's semantics: a firing alert is held back (not notified) while
// some OTHER firing alert matches an inhibit rule's source matchers, it matches the rule's target
// matchers, and both carry the same values for every `equal` label (a label missing on both
// sides counts as equal, as in Alertmanager). Only firing alerts inhibit: a pending
// database_unavailable must not silence a queue that is really stuck.
//
// One deliberate difference: a source keeps inhibiting for `release_delay` after it resolved
// (alerting.inhibit_release_delay). When the database comes back, queue alerts that only wait
// for the next probe round to clear would otherwise page just after the all-clear.
//
// The built-in rules (alerting.builtin_inhibit_rules, on by default): when the database is down,
// the queue alerts of that target are consequences, not news; when a queue is silent
// (no_throughput), its collapse and its shortfall are too. One page names the cause.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/matcher.hpp"
#include "config/alerting_config.hpp"

namespace qw::alerts {

struct CompiledInhibitRule {
  std::vector<Matcher> source;
  std::vector<Matcher> target;
  std::vector<std::string> equal;
};

// database_unavailable inhibits every rule rules/rule_table.cpp marks
// inhibited_by_database_unavailable (all the queue rules), equal: [target].
config::InhibitRule builtin_inhibit_rule();
// Per rule that holds others back on the same queue (RuleDef::held_back_by): source that rule,
// targets those, equal: [target, source, queue].
std::vector<config::InhibitRule> builtin_queue_inhibit_rules();
// no_primary (docs/clusters.md) is the root cause while it fires: it inhibits its members'
// database_unavailable (equal: [cluster]) and the queue rules of the cluster's sources, whose
// `target` is the cluster's name (equal: [target]). One page per outage.
std::vector<config::InhibitRule> builtin_cluster_inhibit_rules();

// Fingerprints of the firing alerts whose incident goes on under a rule they hold back on the
// same queue (RuleDef::held_back_by): a firing no_throughput while that queue's collapse or
// shortfall alert still fires. They are kept firing (AlertBook::evaluate's `undecided`): a silent
// queue that trickles again but is still collapsed is one incident and one page, which closes
// when the queue has recovered, not a resolve followed by the held-back rule's own page.
std::set<std::string> holders_kept_open(const std::vector<Alert>& alerts);

class Inhibitor {
 public:
  Inhibitor() = default;
  Inhibitor(std::vector<CompiledInhibitRule> rules, std::chrono::milliseconds release_delay)
      : rules_(std::move(rules)), release_delay_(release_delay) {}
  // The configured rules, plus the built-in ones when builtin_inhibit_rules is set.
  static Inhibitor from_config(const config::AlertingConfig& config);

  // Fingerprints of the firing alerts that are inhibited now.
  std::set<std::string> inhibited(Time now, const std::vector<Alert>& alerts) const;

 private:
  std::vector<CompiledInhibitRule> rules_;
  std::chrono::milliseconds release_delay_{0};
};

}  // namespace qw::alerts
