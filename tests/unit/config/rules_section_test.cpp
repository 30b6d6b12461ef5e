// The `rules` section: defaults, overrides, validation with key paths and line:column.
#include "config/duration.hpp"
#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using namespace std::chrono_literals;

class RulesSection : public ConfigTest {};

TEST_F(RulesSection, DefaultsWithoutASection) {
  const LoadResult r = load(kOneTarget);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.rules.timezone, "UTC");
  EXPECT_EQ(r.config.rules.defaults.no_throughput.min_silence, 60s);
  EXPECT_EQ(r.config.rules.defaults.below_baseline.common.for_duration, 10min);
  EXPECT_EQ(r.config.rules.defaults.no_throughput.common.severity, Severity::critical);
  EXPECT_EQ(r.config.rules.database_unavailable.common.for_duration, 10s);
}

TEST_F(RulesSection, TheReplicaRulesDecodeWithTheirOwnKey) {
  LoadResult r = load(kOneTarget);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.rules.replica_lag.max_lag, 60s);
  EXPECT_EQ(r.config.rules.replica_lag.common.for_duration, 2min);
  EXPECT_EQ(r.config.rules.replica_not_streaming.common.for_duration, 2min);
  EXPECT_EQ(r.config.rules.replica_not_streaming.common.severity, Severity::warning);
  r = load(std::string(kOneTarget) +
           "rules:\n"
           "  replica_lag: {max_lag: 5m, for: 30s, severity: critical}\n"
           "  replica_not_streaming: {for: 1m}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.rules.replica_lag.max_lag, 5min);
  EXPECT_EQ(r.config.rules.replica_lag.common.for_duration, 30s);
  EXPECT_EQ(r.config.rules.replica_lag.common.severity, Severity::critical);
  EXPECT_EQ(r.config.rules.replica_not_streaming.common.for_duration, 1min);
  // max_lag is replica_lag's own: another rule refuses it.
  r = load(std::string(kOneTarget) + "rules:\n  replica_not_streaming: {max_lag: 5m}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(all_errors(r).find("max_lag"), std::string::npos) << all_errors(r);
}

TEST_F(RulesSection, DefaultsAndOverridesDecode) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "rules:\n"
                            "  timezone: Europe/Berlin\n"
                            "  evaluation_interval: 10s\n"
                            "  defaults:\n"
                            "    below_baseline: {ratio: 0.4, for: 1h, labels: {team: core}}\n"
                            "    no_throughput:\n"
                            "      summary: \"{{ $labels.queue }} stalled for {{ $value }}s\"\n"
                            "  database_unavailable: {for: 30s, severity: warning}\n"
                            "  overrides:\n"
                            "    - queues: [\"mail*\"]\n"
                            "      sources: [app_jobs]\n"
                            "      queue_latency: {max_age: 1h, enabled: false}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const RulesConfig& rules = r.config.rules;
  EXPECT_EQ(rules.timezone, "Europe/Berlin");
  EXPECT_EQ(rules.evaluation_interval, 10s);
  EXPECT_EQ(rules.defaults.below_baseline.ratio, 0.4);
  EXPECT_EQ(rules.defaults.below_baseline.common.for_duration, 1h);
  EXPECT_EQ(rules.defaults.below_baseline.common.labels.at("team"), "core");
  EXPECT_EQ(rules.defaults.below_baseline.min_expected, 10);  // untouched
  EXPECT_EQ(rules.database_unavailable.common.severity, Severity::warning);
  ASSERT_EQ(rules.overrides.size(), 1u);
  EXPECT_EQ(rules.overrides[0].queues, std::vector<std::string>{"mail*"});
  EXPECT_EQ(rules.overrides[0].sources, std::vector<std::string>{"app_jobs"});
  EXPECT_EQ(*rules.overrides[0].patch.queue_latency.max_age, 1h);
  EXPECT_EQ(*rules.overrides[0].patch.queue_latency.common.enabled, false);
  EXPECT_FALSE(rules.overrides[0].patch.no_throughput.min_silence);
}

TEST_F(RulesSection, ErrorsNameThePathAndPosition) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "rules:\n"                                            // line 5
                            "  timezone: Mars/Olympus\n"                          // 6
                            "  defaults:\n"                                       // 7
                            "    below_baseline: {ratoi: 0.4}\n"                  // 8
                            "    no_throughput: {implausible_expected: -1}\n"     // 9
                            "    failure_ratio: {window: 7h}\n"                   // 10
                            "  overrides:\n"                                      // 11
                            "    - queues: [\"q[1\"]\n"                           // 12
                            "      stuck_in_progress: {labels: {queue: x}}\n"     // 13
                            "    - queue_latency: {summary: \"{{ $foo }}\"}\n");  // 14
  EXPECT_EQ(error_at(r, "rules.timezone").line, 6);
  EXPECT_NE(error_at(r, "rules.timezone").message.find("Mars/Olympus"), std::string::npos);
  EXPECT_NE(
      error_at(r, "rules.defaults.below_baseline.ratoi").message.find("did you mean \"ratio\""),
      std::string::npos);
  EXPECT_EQ(error_at(r, "rules.defaults.no_throughput.implausible_expected").line, 9);
  EXPECT_NE(error_at(r, "rules.defaults.failure_ratio.window").message.find("at most 6h"),
            std::string::npos);
  EXPECT_NE(error_at(r, "rules.overrides[0].queues").message.find("unclosed"), std::string::npos);
  EXPECT_NE(error_at(r, "rules.overrides[0].stuck_in_progress.labels.queue")
                .message.find("set by queuewatch"),
            std::string::npos);
  EXPECT_NE(error_at(r, "rules.overrides[1].queues").message.find("missing required key"),
            std::string::npos);
  EXPECT_NE(error_at(r, "rules.overrides[1].queue_latency.summary").message.find("$foo"),
            std::string::npos);
}

}  // namespace
}  // namespace qw::config::test
