#include "alerts/matcher.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace qw::alerts {
namespace {

using Op = config::LabelMatcher::Op;

bool match(Op op, const std::string& value, const Labels& labels) {
  return Matcher({"queue", op, value}).matches(labels);
}

TEST(Matcher, EqualityAndInequality) {
  EXPECT_TRUE(match(Op::equal, "mailers", {{"queue", "mailers"}}));
  EXPECT_FALSE(match(Op::equal, "mailers", {{"queue", "mailers2"}}));
  EXPECT_TRUE(match(Op::not_equal, "mailers", {{"queue", "default"}}));
  EXPECT_FALSE(match(Op::not_equal, "mailers", {{"queue", "mailers"}}));
}

TEST(Matcher, RegexIsFullyAnchored) {
  EXPECT_TRUE(match(Op::regex, "mail.*", {{"queue", "mailers"}}));
  EXPECT_FALSE(match(Op::regex, "mail", {{"queue", "mailers"}}));
  EXPECT_FALSE(match(Op::regex, "ers", {{"queue", "mailers"}}));
  // The anchors wrap the whole alternation, not just its ends.
  EXPECT_FALSE(match(Op::regex, "a|mailers", {{"queue", "xa"}}));
  EXPECT_TRUE(match(Op::regex, "a|mailers", {{"queue", "mailers"}}));
  EXPECT_TRUE(match(Op::not_regex, "mail", {{"queue", "mailers"}}));
  EXPECT_FALSE(match(Op::not_regex, "mail.*", {{"queue", "mailers"}}));
}

// Alertmanager compiles matchers with Go's regexp, whose syntax is RE2's: flags, Unicode classes.
TEST(Matcher, AcceptsAlertmanagerRegexSyntax) {
  EXPECT_TRUE(match(Op::regex, "(?i)mailers", {{"queue", "MAILERS"}}));
  EXPECT_TRUE(match(Op::regex, "(?i)mail.*", {{"queue", "Mailers"}}));
  EXPECT_FALSE(match(Op::regex, "mailers", {{"queue", "MAILERS"}})) << "case matters without (?i)";
  EXPECT_FALSE(match(Op::regex, "(?i)mail", {{"queue", "MAILERS"}})) << "(?i) is still anchored";
  EXPECT_TRUE(match(Op::not_regex, "(?i)default", {{"queue", "mailers"}}));
  EXPECT_TRUE(match(Op::regex, "\\pL+_\\d+", {{"queue", "\xc3\xa9t\xc3\xa9_42"}}));
  // `.` does not cross a newline and `$` is the end of the value, as in Go.
  EXPECT_FALSE(match(Op::regex, ".*", {{"queue", "a\nb"}}));
  EXPECT_FALSE(match(Op::regex, "a$", {{"queue", "a\n"}}));
  EXPECT_TRUE(match(Op::regex, "(?s).*", {{"queue", "a\nb"}}));
}

// Label values come from table data: a queue name of any length must neither crash (std::regex
// recursed once per character) nor stall routing.
TEST(Matcher, HugeLabelValueFromDataIsMatchedSafely) {
  const std::string huge(200000, 'q');
  EXPECT_TRUE(match(Op::regex, "q+", {{"queue", huge}}));
  EXPECT_TRUE(match(Op::regex, "(q|qq)*", {{"queue", huge}}));
  EXPECT_FALSE(match(Op::regex, "(q|qq)*x", {{"queue", huge}}));
  EXPECT_TRUE(match(Op::not_regex, "mail.*", {{"queue", huge}}));
  EXPECT_FALSE(match(Op::regex, "(.*a){20}", {{"queue", huge}}));
}

TEST(Matcher, DeeplyNestedPatternWithinTheBoundMatches) {
  const std::string nested = std::string(2000, '(') + "q+" + std::string(2000, ')');
  EXPECT_TRUE(match(Op::regex, nested, {{"queue", std::string(30000, 'q')}}));
}

// The loader refuses these first; a Matcher built around it (as the fuzzers do) throws instead
// of crashing or compiling something unbounded.
TEST(Matcher, RefusesPatternsTheLoaderRefuses) {
  const std::string bomb = std::string(30000, '(') + "a" + std::string(30000, ')');
  EXPECT_THROW(Matcher({"queue", Op::regex, bomb}), std::invalid_argument);
  EXPECT_THROW(Matcher({"queue", Op::not_regex, "\\pL{100}"}), std::invalid_argument);
  EXPECT_THROW(Matcher({"queue", Op::regex, "(unclosed"}), std::invalid_argument);
  EXPECT_THROW(Matcher({"queue", Op::regex, "a)|(b"}), std::invalid_argument)
      << "must not escape the anchoring group";
  EXPECT_NO_THROW(Matcher({"queue", Op::equal, bomb})) << "= and != take any text";
}

TEST(Matcher, MissingLabelIsTheEmptyString) {
  EXPECT_TRUE(match(Op::equal, "", {}));
  EXPECT_FALSE(match(Op::not_equal, "", {}));
  EXPECT_TRUE(match(Op::not_equal, "", {{"queue", "q"}}));
  EXPECT_TRUE(match(Op::regex, ".*", {}));
  EXPECT_FALSE(match(Op::regex, ".+", {}));
}

TEST(Matcher, PrintsLikeAlertmanager) {
  EXPECT_EQ(Matcher({"alertname", Op::regex, "no_.*"}).to_string(), "alertname=~\"no_.*\"");
  EXPECT_EQ(Matcher({"a", Op::not_equal, "say \"hi\""}).to_string(), "a!=\"say \\\"hi\\\"\"");
}

TEST(Matcher, EmptyListMatchesEverything) {
  EXPECT_TRUE(match_all({}, {{"x", "y"}}));
}

}  // namespace
}  // namespace qw::alerts
