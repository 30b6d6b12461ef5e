// docs/alerting.md's configuration example is what operators copy: it must load as written.
#include <gtest/gtest.h>

#include <sstream>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

TEST_F(ConfigTest, TheAlertingExampleInTheDocsLoads) {
  fake_vars()["PAGERDUTY_ROUTING_KEY"] = "0123456789abcdef0123456789abcdef";
  fake_vars()["SLACK_WEBHOOK_URL"] = "https://hooks.slack.com/services/T0/B0/x";
  fake_vars()["HEALTHCHECK_URL"] = "https://hc-ping.com/0000";

  const std::vector<std::string> snippets = yaml_snippets("docs/alerting.md", "alerting:");
  ASSERT_EQ(snippets.size(), 1u);
  const LoadResult r = load(std::string(kOneTarget) + snippets[0]);
  ASSERT_TRUE(r.ok()) << snippets[0] << "\n" << all_errors(r);
  EXPECT_EQ(r.config.alerting.receivers.size(), 4u);
  EXPECT_EQ(r.config.alerting.routes.size(), 2u);
  EXPECT_EQ(r.config.alerting.inhibit_rules.size(), 1u);
}

}  // namespace
}  // namespace qw::config::test
