// The built-in inhibition covers every queue rule of rules/rule_table.cpp: a rule added there
// must not page through a database outage (README's promise), nor be held back on another target.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "alert_test_support.hpp"
#include "alerts/alert_book.hpp"
#include "alerts/inhibitor.hpp"
#include "rules/rule_table.hpp"

namespace qw::alerts::test {
namespace {

TEST(RuleTableInhibition, ADatabaseOutageInhibitsEveryQueueRuleOfItsTargetOnly) {
  config::AlertingConfig c;
  c.builtin_inhibit_rules = true;
  const Inhibitor inhibitor = Inhibitor::from_config(c);
  int queue_rules = 0;
  for (const rules::RuleDef& rule : rules::rule_table()) {
    if (rule.scope != rules::RuleScope::queue) continue;
    ++queue_rules;
    const std::string name(rule.name);
    SCOPED_TRACE(name);
    AlertBook book;
    book.evaluate(at(0s), {condition("database_unavailable", "a"), condition(name, "a", "q"),
                           condition(name, "b", "q")});
    const std::vector<Alert> alerts = book.alerts();
    const Alert* on_a = find_alert(alerts, name, "a");
    const Alert* on_b = find_alert(alerts, name, "b");
    ASSERT_TRUE(on_a != nullptr && on_b != nullptr);
    ASSERT_EQ(on_a->state, AlertState::firing);
    EXPECT_EQ(inhibitor.inhibited(at(0s), alerts), std::set<std::string>{on_a->fingerprint});
  }
  EXPECT_GE(queue_rules, 6);
}

// docs/alerting.md shows the built-in rule as it is, rules and all.
TEST(RuleTableInhibition, DocsShowTheBuiltinRuleAsItIs) {
  std::ifstream in(std::string(QW_SOURCE_DIR) + "/docs/alerting.md");
  std::stringstream docs;
  docs << in.rdbuf();
  const config::InhibitRule rule = builtin_inhibit_rule();
  ASSERT_EQ(rule.target_matchers.size(), 1u);
  const std::string line =
      "target_matchers: [alertname=~\"" + rule.target_matchers[0].value + "\"]";
  EXPECT_NE(docs.str().find(line), std::string::npos) << "docs/alerting.md lacks " << line;
}

}  // namespace
}  // namespace qw::alerts::test
