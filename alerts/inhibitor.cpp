#include "alerts/inhibitor.hpp"

#include <algorithm>

#include "rules/rule_table.hpp"

namespace qw::alerts {
namespace {

std::string label_or_empty(const Labels& labels, const std::string& name) {
  const auto it = labels.find(name);
  return it == labels.end() ? std::string() : it->second;
}

bool equal_labels(const Labels& a, const Labels& b, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (label_or_empty(a, name) != label_or_empty(b, name)) return false;
  }
  return true;
}

bool inhibited_by(const CompiledInhibitRule& rule, const Alert& target,
                  const std::vector<const Alert*>& sources) {
  if (!match_all(rule.target, target.labels)) return false;
  // Alertmanager's guard against mutual inhibition: when the target also matches the source
  // side, sources that also match the target side cannot inhibit it (else two such alerts would
  // silence each other and nobody would be paged).
  const bool two_sided = match_all(rule.source, target.labels);
  for (const Alert* source : sources) {
    if (source->fingerprint == target.fingerprint) continue;  // never inhibits itself
    if (!match_all(rule.source, source->labels)) continue;
    if (two_sided && match_all(rule.target, source->labels)) continue;
    if (equal_labels(source->labels, target.labels, rule.equal)) return true;
  }
  return false;
}

}  // namespace

config::InhibitRule builtin_inhibit_rule() {
  using Op = config::LabelMatcher::Op;
  config::InhibitRule rule;
  rule.source_matchers = {{"alertname", Op::equal, "database_unavailable"}};
  // The rules table says which: a rule added there is inhibited without being named here.
  std::string names;
  for (const std::string& name : rules::rules_inhibited_by_database_unavailable())
    names += (names.empty() ? "" : "|") + name;
  rule.target_matchers = {{"alertname", Op::regex, names}};
  rule.equal = {"target"};
  return rule;
}

std::vector<config::InhibitRule> builtin_queue_inhibit_rules() {
  using Op = config::LabelMatcher::Op;
  std::vector<config::InhibitRule> out;
  for (const auto& [source, targets] : rules::rules_held_back_on_the_same_queue()) {
    config::InhibitRule rule;
    rule.source_matchers = {{"alertname", Op::equal, source}};
    std::string names;
    for (const std::string& name : targets) names += (names.empty() ? "" : "|") + name;
    rule.target_matchers = {{"alertname", Op::regex, names}};
    rule.equal = {"target", "source", "queue"};
    out.push_back(std::move(rule));
  }
  return out;
}

std::vector<config::InhibitRule> builtin_cluster_inhibit_rules() {
  using Op = config::LabelMatcher::Op;
  const std::string source(rules::kNoPrimary);
  config::InhibitRule members;
  members.source_matchers = {{"alertname", Op::equal, source}};
  // The members' outages, and their standbys' lag and streaming: without a primary a standby
  // streams from nobody and falls behind, a consequence of the one outage.
  members.target_matchers = {
      {"alertname", Op::regex, "database_unavailable|replica_lag|replica_not_streaming"}};
  members.equal = {"cluster"};
  config::InhibitRule sources = builtin_inhibit_rule();
  sources.source_matchers = {{"alertname", Op::equal, source}};
  return {members, sources};
}

std::set<std::string> holders_kept_open(const std::vector<Alert>& alerts) {
  auto label = [](const Alert& a, const char* name) {
    const auto it = a.labels.find(name);
    return it == a.labels.end() ? std::string() : it->second;
  };
  const auto held = rules::rules_held_back_on_the_same_queue();
  std::set<std::string> out;
  for (const Alert& holder : alerts) {
    if (holder.state != AlertState::firing) continue;
    const std::string name = label(holder, "alertname");
    const auto group =
        std::find_if(held.begin(), held.end(), [&](const auto& g) { return g.first == name; });
    if (group == held.end()) continue;
    const bool goes_on = std::any_of(alerts.begin(), alerts.end(), [&](const Alert& a) {
      return a.state == AlertState::firing &&
             std::find(group->second.begin(), group->second.end(), label(a, "alertname")) !=
                 group->second.end() &&
             label(a, "target") == label(holder, "target") &&
             label(a, "source") == label(holder, "source") &&
             label(a, "queue") == label(holder, "queue");
    });
    if (goes_on) out.insert(holder.fingerprint);
  }
  return out;
}

Inhibitor Inhibitor::from_config(const config::AlertingConfig& config) {
  std::vector<config::InhibitRule> specs = config.inhibit_rules;
  if (config.builtin_inhibit_rules) {
    specs.push_back(builtin_inhibit_rule());
    for (config::InhibitRule& rule : builtin_queue_inhibit_rules())
      specs.push_back(std::move(rule));
    for (auto& rule : builtin_cluster_inhibit_rules()) specs.push_back(std::move(rule));
  }
  std::vector<CompiledInhibitRule> rules;
  for (const config::InhibitRule& spec : specs) {
    rules.push_back(CompiledInhibitRule{compile_matchers(spec.source_matchers),
                                        compile_matchers(spec.target_matchers), spec.equal});
  }
  return Inhibitor(std::move(rules), config.inhibit_release_delay);
}

std::set<std::string> Inhibitor::inhibited(Time now, const std::vector<Alert>& alerts) const {
  std::vector<const Alert*> firing;   // the alerts that may be inhibited
  std::vector<const Alert*> sources;  // the alerts that may inhibit: firing or just resolved
  for (const Alert& a : alerts) {
    if (a.state == AlertState::firing) {
      firing.push_back(&a);
      sources.push_back(&a);
    } else if (a.state == AlertState::inactive && a.resolved_at &&
               now - *a.resolved_at < release_delay_) {
      sources.push_back(&a);
    }
  }
  std::set<std::string> out;
  for (const Alert* target : firing) {
    for (const CompiledInhibitRule& rule : rules_) {
      if (inhibited_by(rule, *target, sources)) {
        out.insert(target->fingerprint);
        break;
      }
    }
  }
  return out;
}

}  // namespace qw::alerts
