#pragma once
// Building an ActiveCondition: the labels every alert carries, the rule's own labels, and the
// annotations, rendered from the operator's templates or the rule's default words.
#include <map>
#include <string>

#include "config/rules_config.hpp"
#include "rules/observation.hpp"

namespace qw::rules {

const char* severity_name(config::Severity s);

// {{ $labels.NAME }} and {{ $value }}; an unknown label renders empty (the loader rejects
// anything else).
std::string render_template(const std::string& text, const Labels& labels, double value);

// A number as a person reads it: 12, 0.35, 1.2e+06.
std::string format_number(double value);
// A duration in seconds as "45s", "12m", "3h10m".
std::string format_seconds(double seconds);

struct ConditionText {
  std::string summary;
  std::string description;
  std::map<std::string, std::string> extra;  // rule-specific annotations (job_ids, ...)
};

ActiveCondition make_condition(const std::string& alertname, const config::RuleCommon& rule,
                               Labels base, double value, ConditionText text);

}  // namespace qw::rules
