// `rules.runbook_base_url` (issue 10): every rule links its runbook, docs/runbooks/<alertname>.md,
// under one configurable base; a runbook_url written anywhere in the file wins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kBase = "https://git.example.com/ops/queuewatch/blob/main/docs/runbooks";

TEST_F(ConfigTest, NoBaseNoRunbookUrl) {
  const LoadResult r = load(kOneTarget);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.rules.defaults.no_throughput.common.runbook_url, "");
  EXPECT_EQ(r.config.rules.database_unavailable.common.runbook_url, "");
}

TEST_F(ConfigTest, BaseGivesEveryRuleItsRunbook) {
  // A trailing slash is dropped, not doubled.
  const LoadResult r =
      load(std::string(kOneTarget) + "rules:\n  runbook_base_url: " + kBase + "/\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const RulesConfig& c = r.config.rules;
  EXPECT_EQ(c.runbook_base_url, kBase);
  const std::string base = kBase;
  EXPECT_EQ(c.defaults.no_throughput.common.runbook_url, base + "/no_throughput.md");
  EXPECT_EQ(c.defaults.below_baseline.common.runbook_url, base + "/below_baseline.md");
  EXPECT_EQ(c.defaults.stuck_in_progress.common.runbook_url, base + "/stuck_in_progress.md");
  EXPECT_EQ(c.defaults.queue_latency.common.runbook_url, base + "/queue_latency.md");
  EXPECT_EQ(c.defaults.failure_ratio.common.runbook_url, base + "/failure_ratio.md");
  EXPECT_EQ(c.defaults.cannot_measure.common.runbook_url, base + "/cannot_measure.md");
  EXPECT_EQ(c.database_unavailable.common.runbook_url, base + "/database_unavailable.md");
}

TEST_F(ConfigTest, AWrittenRunbookUrlWins) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "rules:\n"
                            "  defaults:\n"
                            "    queue_latency: {runbook_url: 'https://wiki/{{ $labels.queue }}'}\n"
                            "    failure_ratio: {runbook_url: ''}\n"  // no link for this one
                            "  database_unavailable: {runbook_url: 'https://wiki/db'}\n"
                            "  runbook_base_url: https://runbooks.example\n"  // order is free
                            "  overrides:\n"
                            "    - queues: [mail*]\n"
                            "      no_throughput: {runbook_url: 'https://wiki/mail'}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const RulesConfig& c = r.config.rules;
  EXPECT_EQ(c.defaults.queue_latency.common.runbook_url, "https://wiki/{{ $labels.queue }}");
  EXPECT_EQ(c.defaults.failure_ratio.common.runbook_url, "");
  EXPECT_EQ(c.database_unavailable.common.runbook_url, "https://wiki/db");
  // The override is a patch applied per queue over the defaults, which hold the base's link.
  EXPECT_EQ(c.defaults.no_throughput.common.runbook_url,
            "https://runbooks.example/no_throughput.md");
  ASSERT_EQ(c.overrides.size(), 1u);
  QueueRules mail = c.defaults;
  apply_patch(c.overrides[0].patch, mail);
  EXPECT_EQ(mail.no_throughput.common.runbook_url, "https://wiki/mail");
}

TEST_F(ConfigTest, BaseMustBeAnHttpUrl) {
  for (const char* bad : {"runbooks.example/x", "ftp://host/x", "https:///x", "https://h/x?a=1",
                          "https://h/{{ $labels.team }}"}) {
    const LoadResult r =
        load(std::string(kOneTarget) + "rules:\n  runbook_base_url: '" + bad + "'\n");
    const ConfigError e = error_at(r, "rules.runbook_base_url");
    EXPECT_EQ(e.line, 6) << bad;
    EXPECT_THAT(e.message, HasSubstr("is not an http:// or https:// URL")) << bad;
  }
}

}  // namespace
}  // namespace qw::config::test
