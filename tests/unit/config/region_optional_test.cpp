// A target's `region` is optional (issue 9): a single-region setup has nothing to say in it.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

TEST_F(ConfigTest, RegionIsOptional) {
  const LoadResult r = load(
      "targets:\n"
      "  - name: primary\n"
      "    dsn: host=localhost dbname=app\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.targets[0].region, "");
}

TEST_F(ConfigTest, RegionWhenGivenIsNotEmpty) {
  const LoadResult r = load(
      "targets:\n"
      "  - name: primary\n"
      "    dsn: host=localhost dbname=app\n"
      "    region: \"\"\n");
  EXPECT_EQ(error_at(r, "targets[0].region").line, 4);
}

}  // namespace
}  // namespace qw::config::test
