#include "rules/thresholds.hpp"

#include "rules/glob.hpp"

namespace qw::rules {
namespace {
bool any_matches(const std::vector<std::string>& globs, std::string_view name) {
  for (const std::string& g : globs)
    if (glob_match(g, name)) return true;
  return false;
}
}  // namespace

bool override_matches(const config::RuleOverride& o, std::string_view source,
                      std::string_view queue) {
  if (!any_matches(o.queues, queue)) return false;
  return o.sources.empty() || any_matches(o.sources, source);
}

ResolvedQueueRules resolve(const config::RulesConfig& config, std::string_view source,
                           std::string_view queue) {
  ResolvedQueueRules rules = config.defaults;
  for (const config::RuleOverride& o : config.overrides) {
    if (override_matches(o, source, queue)) config::apply_patch(o.patch, rules);
  }
  return rules;
}

}  // namespace qw::rules
