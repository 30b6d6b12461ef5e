#include "alerts/matcher.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace qw::alerts {

Matcher::Matcher(config::LabelMatcher spec) : spec_(std::move(spec)) {
  using Op = config::LabelMatcher::Op;
  if (spec_.op == Op::regex || spec_.op == Op::not_regex) {
    regex_.emplace(spec_.value);
    if (!regex_->ok()) {
      throw std::invalid_argument(
          fmt::format("the regex matcher on \"{}\" {}", spec_.label, regex_->error()));
    }
  }
}

bool Matcher::matches(const Labels& labels) const {
  const auto it = labels.find(spec_.label);
  const std::string empty;
  const std::string& value = it == labels.end() ? empty : it->second;
  using Op = config::LabelMatcher::Op;
  switch (spec_.op) {
    case Op::equal:
      return value == spec_.value;
    case Op::not_equal:
      return value != spec_.value;
    case Op::regex:
      return regex_->matches(value);
    case Op::not_regex:
      return !regex_->matches(value);
  }
  return false;
}

std::string Matcher::to_string() const {
  using Op = config::LabelMatcher::Op;
  const char* op = "=";
  switch (spec_.op) {
    case Op::equal:
      break;
    case Op::not_equal:
      op = "!=";
      break;
    case Op::regex:
      op = "=~";
      break;
    case Op::not_regex:
      op = "!~";
      break;
  }
  std::string quoted;
  for (char c : spec_.value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return fmt::format("{}{}\"{}\"", spec_.label, op, quoted);
}

std::vector<Matcher> compile_matchers(const std::vector<config::LabelMatcher>& specs) {
  std::vector<Matcher> out;
  out.reserve(specs.size());
  for (const config::LabelMatcher& spec : specs) out.emplace_back(spec);
  return out;
}

bool match_all(const std::vector<Matcher>& matchers, const Labels& labels) {
  for (const Matcher& m : matchers) {
    if (!m.matches(labels)) return false;
  }
  return true;
}

}  // namespace qw::alerts
