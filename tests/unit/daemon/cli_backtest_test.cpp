// `backtest` needs no config (issue 9: the built-in thresholds); the daemon's commands do.
#include <gtest/gtest.h>

#include "daemon/cli.hpp"

namespace qw::daemon {
namespace {

TEST(CliBacktest, ConfigIsOptional) {
  const CliParse bare = parse_cli({"backtest", "--queue", "q", "--series", "s.csv"});
  ASSERT_TRUE(bare.options) << bare.error;
  EXPECT_EQ(bare.options->config_path, "");
  const CliParse with =
      parse_cli({"backtest", "--config", "r.yaml", "--queue", "q", "--series", "s.csv"});
  ASSERT_TRUE(with.options) << with.error;
  EXPECT_EQ(with.options->config_path, "r.yaml");
}

TEST(CliBacktest, QueueAndSeriesAreStillRequired) {
  EXPECT_FALSE(parse_cli({"backtest", "--series", "s.csv"}).options);
  EXPECT_FALSE(parse_cli({"backtest", "--queue", "q"}).options);
}

TEST(CliBacktest, DaemonCommandsStillNeedAConfig) {
  EXPECT_FALSE(parse_cli({"run"}).options);
  EXPECT_FALSE(parse_cli({"once"}).options);
  EXPECT_FALSE(parse_cli({"check-config"}).options);
}

}  // namespace
}  // namespace qw::daemon
