// Fuzzes the label matchers (alerts::Matcher): a matcher written by the operator, or one that
// reaches the router with table data (a queue name is a label value), must compile or be
// refused with an exception, and then match any labels in bounded time and stack.
//
// Input, one field per line (seeds stay readable):
//   line 1: the label name
//   line 2: the operator: =, !=, =~ or !~ (anything else picks one from its length)
//   line 3: the value (a regex for =~ and !~)
//   then:   label lines "name=value" matched against it
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/matcher.hpp"

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

qw::config::LabelMatcher::Op op_of(std::string_view word) {
  using Op = qw::config::LabelMatcher::Op;
  if (word == "=") return Op::equal;
  if (word == "!=") return Op::not_equal;
  if (word == "=~") return Op::regex;
  if (word == "!~") return Op::not_regex;
  constexpr Op kOps[] = {Op::equal, Op::not_equal, Op::regex, Op::not_regex};
  return kOps[word.size() % 4];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string_view> lines =
      split_lines(std::string_view(reinterpret_cast<const char*>(data), size));
  if (lines.size() < 3) return 0;
  qw::config::LabelMatcher spec;
  spec.label = std::string(lines[0]);
  spec.op = op_of(lines[1]);
  spec.value = std::string(lines[2]);

  qw::alerts::Labels labels;
  for (std::size_t i = 3; i < lines.size(); ++i) {
    const auto eq = lines[i].find('=');
    if (eq == std::string_view::npos) {
      labels[std::string(lines[i])] = "";
    } else {
      labels[std::string(lines[i].substr(0, eq))] = std::string(lines[i].substr(eq + 1));
    }
  }

  std::vector<qw::alerts::Matcher> matchers;
  try {
    matchers = qw::alerts::compile_matchers({spec});
  } catch (const std::exception&) {
    return 0;  // refused: the loader reports it to the operator
  }
  const bool matched = qw::alerts::match_all(matchers, labels);
  // = and != are exact complements, as are =~ and !~ for the same pattern.
  using Op = qw::config::LabelMatcher::Op;
  qw::config::LabelMatcher negated = spec;
  switch (spec.op) {
    case Op::equal:
      negated.op = Op::not_equal;
      break;
    case Op::not_equal:
      negated.op = Op::equal;
      break;
    case Op::regex:
      negated.op = Op::not_regex;
      break;
    case Op::not_regex:
      negated.op = Op::regex;
      break;
  }
  const qw::alerts::Matcher opposite(negated);
  if (opposite.matches(labels) == matched) __builtin_trap();
  if (matchers.front().to_string().empty()) __builtin_trap();
  return 0;
}
