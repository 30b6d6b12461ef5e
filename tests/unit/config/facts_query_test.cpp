// targets[].facts_query: an SQL query the health round runs for more facts (docs/clusters.md).
// The loader cannot run it; it refuses what cannot be a query, at the key's line and column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using ::testing::HasSubstr;

TEST_F(ConfigTest, FactsQueryIsReadWithItsClosingSemicolonDropped) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "    facts: {tier: GP_Gen5_8}\n"
                            "    facts_query: |\n"
                            "      SELECT 'data_checksums', current_setting('data_checksums');\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.targets[0].facts_query,
            "SELECT 'data_checksums', current_setting('data_checksums')")
      << "it runs as a subquery, where the `;` is a syntax error";
  EXPECT_EQ(r.config.targets[0].facts.at("tier"), "GP_Gen5_8");
  EXPECT_TRUE(load(kOneTarget).config.targets[0].facts_query.empty()) << "none by default";
}

TEST_F(ConfigTest, AnEmptyFactsQueryIsRefusedWhereItIsWritten) {
  const LoadResult empty = load(std::string(kOneTarget) + "    facts_query: \"\"\n");
  const ConfigError e = error_at(empty, "targets[0].facts_query");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 18);
  EXPECT_THAT(e.message, HasSubstr("must not be empty"));

  const LoadResult only_semicolons = load(std::string(kOneTarget) + "    facts_query: \" ; ;\"\n");
  const ConfigError s = error_at(only_semicolons, "targets[0].facts_query");
  EXPECT_EQ(s.line, 5);
  EXPECT_THAT(s.message, HasSubstr("must hold a query"));
}

TEST_F(ConfigTest, AFactsQueryIsAString) {
  const LoadResult r = load(std::string(kOneTarget) + "    facts_query: [SELECT 1]\n");
  const ConfigError e = error_at(r, "targets[0].facts_query");
  EXPECT_EQ(e.line, 5);
}

}  // namespace
}  // namespace qw::config::test
