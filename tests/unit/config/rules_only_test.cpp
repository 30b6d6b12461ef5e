// `backtest` reads a config for its rules alone (issue 9): a file of only `rules:`, or an empty
// one, loads; the database sections are not read at all; the daemon's commands still need
// targets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using ::testing::HasSubstr;

LoadResult load_rules_only(const std::string& yaml) {
  return load_string(yaml, "test.yaml", &fake_env, Sections::rules_only);
}

TEST_F(ConfigTest, RulesOnlyFileLoadsForBacktest) {
  const LoadResult r = load_rules_only(
      "rules:\n"
      "  timezone: Europe/Berlin\n"
      "  defaults:\n"
      "    below_baseline: {ratio: 0.5}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_TRUE(r.config.targets.empty());
  EXPECT_EQ(r.config.rules.timezone, "Europe/Berlin");
  EXPECT_EQ(r.config.rules.defaults.below_baseline.ratio, 0.5);
}

TEST_F(ConfigTest, EmptyFileLoadsForBacktestWithBuiltInRules) {
  for (const char* yaml : {"", "rules:\n", "rules: {}\n"}) {
    const LoadResult r = load_rules_only(yaml);
    ASSERT_TRUE(r.ok()) << "'" << yaml << "': " << all_errors(r);
    EXPECT_EQ(r.config.rules.timezone, RulesConfig{}.timezone);
  }
}

TEST_F(ConfigTest, DaemonStillNeedsTargets) {
  const LoadResult r = load("rules:\n  timezone: UTC\n");
  const ConfigError e = error_at(r, "targets");
  EXPECT_THAT(e.message, HasSubstr("required"));
}

// A copy of the production file replays on a laptop: its password files, environment and
// receivers are not there, and need not be.
TEST_F(ConfigTest, BacktestDoesNotReadTheDatabaseSections) {
  const std::string yaml =
      "targets:\n"
      "  - name: primary\n"
      "    dsn: ${PROD_DSN}\n"
      "    password_file: /nonexistent/primary-password\n"
      "queues:\n"
      "  - {name: jobs, target: primary, preset: pgboss}\n"
      "alerting:\n"
      "  receivers:\n"
      "    - {name: pd, type: pagerduty, routing_key_file: /nonexistent/key}\n"
      "rules:\n"
      "  defaults:\n"
      "    no_throughput: {min_silence: 2m}\n";
  const LoadResult daemon = load(yaml);
  EXPECT_FALSE(daemon.ok()) << "the daemon reads them: this file must be refused there";
  const LoadResult r = load_rules_only(yaml);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.rules.defaults.no_throughput.min_silence, Duration{120000});
  EXPECT_TRUE(r.config.targets.empty());
}

TEST_F(ConfigTest, BacktestStillChecksKeysAndRules) {
  const LoadResult r = load_rules_only(
      "rulez: {}\n"
      "rules:\n"
      "  defaults:\n"
      "    no_throughput: {min_silence: soon}\n");
  EXPECT_THAT(error_at(r, "rulez").message, HasSubstr("did you mean \"rules\"?"));
  EXPECT_EQ(error_at(r, "rules.defaults.no_throughput.min_silence").line, 4);
}

}  // namespace
}  // namespace qw::config::test
