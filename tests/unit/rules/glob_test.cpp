#include <gtest/gtest.h>

#include "rules/glob.hpp"

namespace qw::rules {
namespace {

TEST(Glob, LiteralsMatchOnlyThemselves) {
  EXPECT_TRUE(glob_match("mailers", "mailers"));
  EXPECT_FALSE(glob_match("mailers", "mailer"));
  EXPECT_FALSE(glob_match("mailer", "mailers"));
  EXPECT_TRUE(is_literal("mailers"));
  EXPECT_FALSE(is_literal("mail*"));
}

TEST(Glob, StarAndQuestionMark) {
  EXPECT_TRUE(glob_match("mail*", "mailers"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*ers", "mailers"));
  EXPECT_TRUE(glob_match("m*l*s", "mailers"));
  EXPECT_FALSE(glob_match("m*x*s", "mailers"));
  EXPECT_TRUE(glob_match("q?", "q1"));
  EXPECT_FALSE(glob_match("q?", "q12"));
}

TEST(Glob, Classes) {
  EXPECT_TRUE(glob_match("q[0-9]", "q7"));
  EXPECT_FALSE(glob_match("q[0-9]", "qa"));
  EXPECT_TRUE(glob_match("q[!0-9]", "qa"));
  EXPECT_TRUE(glob_match("[abc]x", "bx"));
  EXPECT_TRUE(glob_match("[]]x", "]x"));
  EXPECT_TRUE(glob_match("a[", "a["));  // unclosed: literal
}

TEST(Glob, PathologicalPatternStaysFast) {
  const std::string text(5000, 'a');
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", text));
}

}  // namespace
}  // namespace qw::rules
