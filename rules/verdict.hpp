#pragma once
// What a rule concluded about one subject at one evaluation. Three answers, not two: a rule
// that lacks the evidence to judge (nothing measured since a restart, a window not yet covered)
// says `unknown`, and an alert already raised is then kept as it is. An alert resolves because
// its condition was seen to be false, never because a restart erased what the rule knew.
#include <optional>

#include "rules/observation.hpp"

namespace qw::rules {

class Verdict {
 public:
  // Seen not to hold. `return std::nullopt;` reads as that in the rules, so it converts.
  Verdict() = default;
  Verdict(std::nullopt_t) {}  // NOLINT(google-explicit-constructor): see above
  Verdict(ActiveCondition holds) : condition_(std::move(holds)) {}  // NOLINT: ditto

  static Verdict unknown() {
    Verdict v;
    v.known_ = false;
    return v;
  }

  bool holds() const { return condition_.has_value(); }
  bool known() const { return known_; }
  ActiveCondition& condition() { return *condition_; }
  const ActiveCondition& condition() const { return *condition_; }

 private:
  std::optional<ActiveCondition> condition_;
  bool known_ = true;
};

}  // namespace qw::rules
