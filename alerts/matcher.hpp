#pragma once
// Alertmanager's label matchers: =, !=, =~, !~. Regexes are fully anchored ("no_.*" must match
// the whole value) and a missing label reads as the empty string, so `team=""` matches alerts
// without a team and `team!=""` those with one. The regex is compiled once, when the config is
// loaded (the loader has already checked it compiles), never per evaluation.
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "config/alerting_config.hpp"

namespace qw::alerts {

class Matcher {
 public:
  // Throws std::regex_error for a bad regex (the config loader rejects those first).
  explicit Matcher(config::LabelMatcher spec);

  bool matches(const Labels& labels) const;
  const config::LabelMatcher& spec() const { return spec_; }
  std::string to_string() const;  // alertname=~"no_.*"

 private:
  config::LabelMatcher spec_;
  std::optional<std::regex> regex_;
};

std::vector<Matcher> compile_matchers(const std::vector<config::LabelMatcher>& specs);
// True when every matcher matches; an empty list matches every alert.
bool match_all(const std::vector<Matcher>& matchers, const Labels& labels);

}  // namespace qw::alerts
