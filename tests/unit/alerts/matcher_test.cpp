#include "alerts/matcher.hpp"

#include <gtest/gtest.h>

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
