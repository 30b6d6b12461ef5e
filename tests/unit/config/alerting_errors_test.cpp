// Each class of mistake in the `alerting` section names its key path and line, and never
// quotes a secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Lines 5-8; tests append from line 9.
std::string with(const std::string& rest) {
  return std::string(kOneTarget) +
         "alerting:\n"
         "  default_receiver: ops\n"
         "  receivers:\n"
         "    - {name: ops, type: log}\n" +
         rest;
}

TEST_F(ConfigTest, RouteToUnknownReceiver) {
  const LoadResult r =
      load(with("  routes:\n"
                "    - receiver: opps\n"));  // 10
  const ConfigError e = error_at(r, "alerting.routes[0].receiver");
  EXPECT_EQ(e.line, 10);
  EXPECT_THAT(e.message, HasSubstr("no receiver named \"opps\"; did you mean \"ops\"?"));
}

TEST_F(ConfigTest, UnknownDefaultReceiver) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "alerting:\n"
                            "  default_receiver: pager\n"  // 6
                            "  receivers: [{name: ops, type: log}]\n");
  const ConfigError e = error_at(r, "alerting.default_receiver");
  EXPECT_EQ(e.line, 6);
  EXPECT_THAT(e.message, HasSubstr("no receiver named \"pager\""));
}

TEST_F(ConfigTest, ReceiversNeedADefaultReceiver) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "alerting:\n"  // 5
                            "  receivers: [{name: ops, type: log}]\n");
  const ConfigError e = error_at(r, "alerting.default_receiver");
  EXPECT_EQ(e.line, 6);
  EXPECT_THAT(e.message, HasSubstr("is required when receivers are defined"));
}

TEST_F(ConfigTest, DuplicateReceiverNames) {
  const LoadResult r =
      load(with("    - name: ops\n"  // 9
                "      type: log\n"));
  const ConfigError e = error_at(r, "alerting.receivers[1].name");
  EXPECT_EQ(e.line, 9);
  EXPECT_THAT(e.message, HasSubstr("duplicate receiver name \"ops\" (first defined at line 8)"));
}

TEST_F(ConfigTest, BadMatcherSyntax) {
  const LoadResult r =
      load(with("  routes:\n"
                "    - receiver: ops\n"
                "      matchers:\n"
                "        - 'severity critical'\n"                     // 12
                "        - '1abc=\"x\"'\n"                            // 13
                "        - 'team=\"unterminated'\n"                   // 14
                "        - {label: team, op: \"~=\", value: x}\n"));  // 15
  EXPECT_EQ(r.errors.size(), 4u) << all_errors(r);
  const ConfigError op = error_at(r, "alerting.routes[0].matchers[0]");
  EXPECT_EQ(op.line, 12);
  EXPECT_THAT(op.message, HasSubstr("expected one of =, !=, =~, !~"));
  EXPECT_THAT(error_at(r, "alerting.routes[0].matchers[1]").message,
              HasSubstr("expected a label name"));
  EXPECT_THAT(error_at(r, "alerting.routes[0].matchers[2]").message, HasSubstr("no closing \""));
  const ConfigError mapped = error_at(r, "alerting.routes[0].matchers[3].op");
  EXPECT_EQ(mapped.line, 15);
  EXPECT_THAT(mapped.message, HasSubstr("allowed: =, !=, =~, !~"));
}

TEST_F(ConfigTest, BadRegexIsCaughtAtLoad) {
  const LoadResult r =
      load(with("  inhibit_rules:\n"
                "    - source_matchers: ['alertname=\"database_unavailable\"']\n"
                "      target_matchers: ['queue=~\"(unclosed\"']\n"));  // 11
  const ConfigError e = error_at(r, "alerting.inhibit_rules[0].target_matchers[0]");
  EXPECT_EQ(e.line, 11);
  EXPECT_THAT(e.message, HasSubstr("\"(unclosed\" is not a valid regular expression"));
}

// The regex bomb of issue 7: 30 000 nested groups crashed check-config (std::regex recursed per
// group). Now it is an ordinary error at its line, and the message does not quote 60 KB.
TEST_F(ConfigTest, RegexBombIsAnErrorNotACrash) {
  const std::string bomb = std::string(30000, '(') + "a" + std::string(30000, ')');
  const LoadResult r =
      load(with("  routes:\n"
                "    - receiver: ops\n"
                "      matchers: ['queue=~\"" +
                bomb + "\"']\n"));  // 11
  const ConfigError e = error_at(r, "alerting.routes[0].matchers[0]");
  EXPECT_EQ(e.line, 11);
  EXPECT_EQ(e.column, 18);
  EXPECT_THAT(e.message, HasSubstr("is 60001 bytes long"));
  EXPECT_THAT(e.message, HasSubstr("at most 4096"));
  EXPECT_LT(e.message.size(), 300u);
}

TEST_F(ConfigTest, RegexOverRe2MemoryBudgetIsRefused) {
  const LoadResult r =
      load(with("  routes:\n"
                "    - receiver: ops\n"
                "      matchers:\n"
                "        - {label: queue, op: '!~', value: '\\pL{100}'}\n"));  // 12
  const ConfigError e = error_at(r, "alerting.routes[0].matchers[0].value");
  EXPECT_EQ(e.line, 12);
  EXPECT_THAT(e.message, HasSubstr("RE2's 1024 KiB budget"));
}

// Alertmanager writes case-insensitive matchers with (?i) (Go's RE2 syntax); std::regex refused it.
TEST_F(ConfigTest, AlertmanagerRegexFlagsAreAccepted) {
  const LoadResult r =
      load(with("  routes:\n"
                "    - receiver: ops\n"
                "      matchers: ['queue=~\"(?i)mail.*\"', 'alertname!~\"\\\\pL+\"']\n"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.alerting.routes[0].matchers[0].value, "(?i)mail.*");
}

TEST_F(ConfigTest, EmptyInhibitSideIsRejected) {
  const LoadResult r =
      load(with("  inhibit_rules:\n"
                "    - source_matchers: []\n"  // 10
                "      target_matchers: ['severity=warning']\n"));
  const ConfigError e = error_at(r, "alerting.inhibit_rules[0].source_matchers");
  EXPECT_EQ(e.line, 10);
  EXPECT_THAT(e.message, HasSubstr("an empty list matches every alert"));
}

TEST_F(ConfigTest, HttpReceiverWithoutUrl) {
  const LoadResult r =
      load(with("    - name: hook\n"  // 9
                "      type: webhook\n"));
  const ConfigError e = error_at(r, "alerting.receivers[1].url");
  EXPECT_EQ(e.line, 9);
  EXPECT_THAT(e.message, HasSubstr("webhook receivers need url, url_file or url_env"));
}

TEST_F(ConfigTest, PagerDutyWithoutRoutingKey) {
  const LoadResult r =
      load(with("    - name: pd\n"  // 9
                "      type: pagerduty\n"));
  const ConfigError e = error_at(r, "alerting.receivers[1].routing_key_file");
  EXPECT_EQ(e.line, 9);
  EXPECT_THAT(e.message, HasSubstr("routing_key_file or routing_key_env"));
}

TEST_F(ConfigTest, UnreadableSecretFileNamesTheFileNotTheSecret) {
  const LoadResult r =
      load(with("    - name: hook\n"
                "      type: webhook\n"
                "      url_file: /nonexistent/qw-hook-url\n"));  // 11
  const ConfigError e = error_at(r, "alerting.receivers[1].url_file");
  EXPECT_EQ(e.line, 11);
  EXPECT_THAT(e.message, HasSubstr("cannot read \"/nonexistent/qw-hook-url\""));
}

TEST_F(ConfigTest, UnsetSecretEnvironmentVariable) {
  const LoadResult r =
      load(with("    - name: hook\n"
                "      type: webhook\n"
                "      url_env: QW_HOOK_URL\n"));  // 11
  const ConfigError e = error_at(r, "alerting.receivers[1].url_env");
  EXPECT_EQ(e.line, 11);
  EXPECT_THAT(e.message, HasSubstr("environment variable QW_HOOK_URL is not set"));
}

TEST_F(ConfigTest, PlainHttpForPagerDutyAndSlackIsRefusedWithoutQuotingTheUrl) {
  fake_vars()["PD_KEY"] = "supersecretkey";
  fake_vars()["SLACK_URL"] = "http://hooks.slack.com/services/T/B/supersecrettoken";
  const LoadResult r =
      load(with("    - name: pd\n"
                "      type: pagerduty\n"
                "      routing_key_env: PD_KEY\n"
                "      url: http://events.pagerduty.com/v2/enqueue\n"  // 12
                "    - name: chat\n"
                "      type: slack\n"
                "      url_env: SLACK_URL\n"));  // 15
  const ConfigError pd = error_at(r, "alerting.receivers[1].url");
  EXPECT_EQ(pd.line, 12);
  EXPECT_THAT(pd.message, HasSubstr("must use https://"));
  const ConfigError slack = error_at(r, "alerting.receivers[2].url_env");
  EXPECT_EQ(slack.line, 15);
  EXPECT_THAT(slack.message, HasSubstr("the URL from env SLACK_URL must use https://"));
  EXPECT_THAT(all_errors(r), Not(HasSubstr("supersecret")));
  EXPECT_THAT(all_errors(r), Not(HasSubstr("events.pagerduty.com")));
}

TEST_F(ConfigTest, NotAUrlIsReportedWithoutQuotingIt) {
  fake_vars()["HOOK"] = "ftp://user:hunter2@example.com/";
  const LoadResult r =
      load(with("    - name: hook\n"
                "      type: webhook\n"
                "      url_env: HOOK\n"));
  const ConfigError e = error_at(r, "alerting.receivers[1].url_env");
  EXPECT_THAT(e.message, HasSubstr("is not an http:// or https:// URL"));
  EXPECT_THAT(e.message, Not(HasSubstr("hunter2")));
}

TEST_F(ConfigTest, OnlyOneFormOfASecret) {
  fake_vars()["HOOK"] = "https://example.com/";
  const LoadResult r =
      load(with("    - name: hook\n"
                "      type: webhook\n"
                "      url: https://example.com/\n"
                "      url_env: HOOK\n"));  // 12
  const ConfigError e = error_at(r, "alerting.receivers[1].url_env");
  EXPECT_EQ(e.line, 12);
  EXPECT_THAT(e.message, HasSubstr("give only one of url, url_file, url_env"));
}

TEST_F(ConfigTest, KeysThatDoNotApplyToTheReceiverKind) {
  const LoadResult r =
      load(with("    - name: hook\n"
                "      type: webhook\n"
                "      url: https://example.com/\n"
                "      resend_interval: 1m\n"  // 12
                "    - name: quiet\n"
                "      type: log\n"
                "      url: https://example.com/\n"));  // 15
  EXPECT_EQ(error_at(r, "alerting.receivers[1].resend_interval").line, 12);
  EXPECT_THAT(error_at(r, "alerting.receivers[2].url").message, HasSubstr("take no url"));
}

TEST_F(ConfigTest, InlineRoutingKeyIsNotAccepted) {
  const LoadResult r =
      load(with("    - name: pd\n"
                "      type: pagerduty\n"
                "      routing_key: abc\n"));  // 11
  const ConfigError e = error_at(r, "alerting.receivers[1].routing_key");
  EXPECT_EQ(e.line, 11);
  // Inline keys end up in backups and version control: only the _file and _env forms exist.
  EXPECT_THAT(e.message, HasSubstr("unknown key \"routing_key\""));
  EXPECT_THAT(e.message, HasSubstr("routing_key_file, routing_key_env"));
}

TEST_F(ConfigTest, ExternalLabelsAndBooleans) {
  const LoadResult r =
      load(with("  external_labels:\n"
                "    alertname: x\n"                        // 10
                "    9lives: x\n"                           // 11
                "  builtin_inhibit_rules: yes please\n"));  // 12
  EXPECT_EQ(error_at(r, "alerting.external_labels.alertname").line, 10);
  EXPECT_EQ(error_at(r, "alerting.external_labels.9lives").line, 11);
  const ConfigError b = error_at(r, "alerting.builtin_inhibit_rules");
  EXPECT_EQ(b.line, 12);
  EXPECT_THAT(b.message, HasSubstr("expected true or false"));
}

}  // namespace
}  // namespace qw::config::test
