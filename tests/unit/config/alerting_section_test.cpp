// The `alerting` section read into AlertingConfig: every key, both matcher forms, secrets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using Op = LabelMatcher::Op;

class AlertingTest : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("qw-alerting-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    ConfigTest::TearDown();
  }
  std::string write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << content;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(AlertingTest, DefaultsWithoutTheSection) {
  const LoadResult r = load(kOneTarget);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const AlertingConfig& a = r.config.alerting;
  EXPECT_TRUE(a.builtin_inhibit_rules);
  EXPECT_EQ(a.inhibit_release_delay, Duration{60000});
  EXPECT_TRUE(a.receivers.empty());
  EXPECT_EQ(a.repeat_interval, Duration{4 * 3600000});
  EXPECT_FALSE(a.heartbeat.watchdog_alert);
}

TEST_F(AlertingTest, FullSection) {
  const std::string key = write("pd.key", "R0UTINGKEY\n");
  fake_vars()["SLACK_URL"] = "https://hooks.slack.com/services/T/B/secret";
  const LoadResult r = load(std::string(kOneTarget) +
                            "alerting:\n"
                            "  external_labels: {cluster: eu1, env: prod}\n"
                            "  external_url: https://queuewatch.example.com\n"
                            "  repeat_interval: 2h\n"
                            "  default_receiver: ops\n"
                            "  receivers:\n"
                            "    - name: ops\n"
                            "      type: log\n"
                            "    - name: pager\n"
                            "      type: pagerduty\n"
                            "      routing_key_file: " +
                            key +
                            "\n"
                            "      timeout: 5s\n"
                            "    - name: chat\n"
                            "      type: slack\n"
                            "      url_env: SLACK_URL\n"
                            "    - name: am\n"
                            "      type: alertmanager\n"
                            "      url: http://alertmanager:9093\n"
                            "      resend_interval: 30s\n"
                            "      tls_verify: false\n"
                            "  routes:\n"
                            "    - matchers: ['severity=\"critical\"']\n"
                            "      receiver: pager\n"
                            "      continue: true\n"
                            "      repeat_interval: 30m\n"
                            "    - matchers:\n"
                            "        - alertname =~ \"no_.*|stuck_.*\"\n"
                            "        - {label: team, op: \"!=\", value: \"\"}\n"
                            "      receiver: chat\n"
                            "  inhibit_rules:\n"
                            "    - source_matchers: ['severity=critical']\n"
                            "      target_matchers: ['severity!~\"critical|none\"']\n"
                            "      equal: [target, queue]\n"
                            "  builtin_inhibit_rules: false\n"
                            "  inhibit_release_delay: 2m\n"
                            "  heartbeat:\n"
                            "    url: https://hc-ping.com/abc\n"
                            "    interval: 30s\n"
                            "    watchdog_alert: true\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const AlertingConfig& a = r.config.alerting;
  EXPECT_EQ(a.external_labels,
            (std::map<std::string, std::string>{{"cluster", "eu1"}, {"env", "prod"}}));
  EXPECT_EQ(a.external_url, "https://queuewatch.example.com");
  EXPECT_EQ(a.repeat_interval, Duration{7200000});
  EXPECT_EQ(a.default_receiver, "ops");
  ASSERT_EQ(a.receivers.size(), 4u);
  EXPECT_EQ(a.receivers[0].kind, ReceiverKind::log);
  EXPECT_EQ(a.receivers[1].kind, ReceiverKind::pagerduty);
  ASSERT_TRUE(a.receivers[1].routing_key);
  EXPECT_EQ(a.receivers[1].routing_key->value, "R0UTINGKEY");
  EXPECT_EQ(a.receivers[1].routing_key->source, "file " + key);
  EXPECT_EQ(a.receivers[1].url.value, "https://events.pagerduty.com/v2/enqueue");
  EXPECT_EQ(a.receivers[1].timeout, Duration{5000});
  EXPECT_EQ(a.receivers[2].url.value, "https://hooks.slack.com/services/T/B/secret");
  EXPECT_EQ(a.receivers[2].url.source, "env SLACK_URL");
  EXPECT_EQ(a.receivers[3].resend_interval, Duration{30000});
  EXPECT_FALSE(a.receivers[3].tls_verify);

  ASSERT_EQ(a.routes.size(), 2u);
  EXPECT_EQ(a.routes[0].receiver, "pager");
  EXPECT_TRUE(a.routes[0].continue_matching);
  EXPECT_EQ(a.routes[0].repeat_interval, Duration{1800000});
  ASSERT_EQ(a.routes[0].matchers.size(), 1u);
  EXPECT_EQ(a.routes[0].matchers[0].label, "severity");
  EXPECT_EQ(a.routes[0].matchers[0].op, Op::equal);
  EXPECT_EQ(a.routes[0].matchers[0].value, "critical");
  EXPECT_FALSE(a.routes[1].repeat_interval);
  ASSERT_EQ(a.routes[1].matchers.size(), 2u);
  EXPECT_EQ(a.routes[1].matchers[0].op, Op::regex);
  EXPECT_EQ(a.routes[1].matchers[0].value, "no_.*|stuck_.*");
  EXPECT_EQ(a.routes[1].matchers[1].label, "team");
  EXPECT_EQ(a.routes[1].matchers[1].op, Op::not_equal);
  EXPECT_EQ(a.routes[1].matchers[1].value, "");

  ASSERT_EQ(a.inhibit_rules.size(), 1u);
  EXPECT_EQ(a.inhibit_rules[0].source_matchers[0].value, "critical");  // bare value
  EXPECT_EQ(a.inhibit_rules[0].target_matchers[0].op, Op::not_regex);
  EXPECT_EQ(a.inhibit_rules[0].equal, (std::vector<std::string>{"target", "queue"}));
  EXPECT_FALSE(a.builtin_inhibit_rules);
  EXPECT_EQ(a.inhibit_release_delay, Duration{120000});
  ASSERT_TRUE(a.heartbeat.url);
  EXPECT_EQ(a.heartbeat.url->value, "https://hc-ping.com/abc");
  EXPECT_EQ(a.heartbeat.interval, Duration{30000});
  EXPECT_TRUE(a.heartbeat.watchdog_alert);
}

TEST_F(AlertingTest, QuotedMatcherValuesUnescape) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "alerting:\n"
                            "  default_receiver: ops\n"
                            "  receivers: [{name: ops, type: log}]\n"
                            "  routes:\n"
                            "    - matchers: ['summary=\"say \\\"hi\\\" \\\\ bye\"']\n"
                            "      receiver: ops\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.alerting.routes[0].matchers[0].value, "say \"hi\" \\ bye");
}

TEST_F(AlertingTest, HttpToLoopbackIsAllowedForPagerDuty) {
  fake_vars()["PD_KEY"] = "k";
  const LoadResult r = load(std::string(kOneTarget) +
                            "alerting:\n"
                            "  default_receiver: pd\n"
                            "  receivers:\n"
                            "    - {name: pd, type: pagerduty, routing_key_env: PD_KEY,\n"
                            "       url: \"http://127.0.0.1:8080/v2/enqueue\"}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
}

}  // namespace
}  // namespace qw::config::test
