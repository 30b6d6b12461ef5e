#pragma once
// Alertmanager's label matchers: =, !=, =~, !~. Regexes use RE2 syntax, as Alertmanager's Go
// regexp does, and are fully anchored ("no_.*" must match the whole value); a missing label reads
// as the empty string, so `team=""` matches alerts without a team and `team!=""` those with one.
// The regex is compiled once, when the config is loaded, never per evaluation, and matches in
// time linear in the label value: label values come from table data (queue names), so a hostile
// one must not be able to crash or stall routing (config/label_regex.hpp).
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "config/alerting_config.hpp"
#include "config/label_regex.hpp"

namespace qw::alerts {

class Matcher {
 public:
  // Throws std::invalid_argument for a regex the config loader would have refused (invalid, or
  // over config::kMaxRegexBytes / RE2's memory budget).
  explicit Matcher(config::LabelMatcher spec);

  bool matches(const Labels& labels) const;
  const config::LabelMatcher& spec() const { return spec_; }
  std::string to_string() const;  // alertname=~"no_.*"

 private:
  config::LabelMatcher spec_;
  std::optional<config::LabelRegex> regex_;
};

std::vector<Matcher> compile_matchers(const std::vector<config::LabelMatcher>& specs);
// True when every matcher matches; an empty list matches every alert.
bool match_all(const std::vector<Matcher>& matchers, const Labels& labels);

}  // namespace qw::alerts
