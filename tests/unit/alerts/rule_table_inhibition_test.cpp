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

// A silent queue pages once, as no_throughput: its collapse and shortfall on the same queue are
// held back; the same rules on another queue of the same source are not.
TEST(RuleTableInhibition, NoThroughputHoldsBackItsOwnQueuesCollapseAndShortfallOnly) {
  config::AlertingConfig c;
  const Inhibitor inhibitor = Inhibitor::from_config(c);
  int held = 0;
  for (const rules::RuleDef& rule : rules::rule_table()) {
    if (rule.held_back_by.empty()) continue;
    ++held;
    const std::string name(rule.name);
    SCOPED_TRACE(name);
    ASSERT_NE(rules::find_rule(rule.held_back_by), nullptr);
    AlertBook book;
    book.evaluate(at(0s), {condition(std::string(rule.held_back_by), "a", "q"),
                           condition(name, "a", "q"), condition(name, "a", "other")});
    const std::vector<Alert> alerts = book.alerts();
    auto on_queue = [&](const std::string& queue) -> const Alert* {
      for (const Alert& a : alerts)
        if (a.labels.at("alertname") == name && a.labels.at("queue") == queue) return &a;
      return nullptr;
    };
    const Alert* same = on_queue("q");
    const Alert* other = on_queue("other");
    ASSERT_TRUE(same != nullptr && other != nullptr);
    EXPECT_EQ(inhibitor.inhibited(at(0s), alerts), std::set<std::string>{same->fingerprint});
  }
  EXPECT_EQ(held, 2);  // throughput_collapse, below_baseline
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
  for (const config::InhibitRule& queue_rule : builtin_queue_inhibit_rules()) {
    const std::string source =
        "source_matchers: [alertname=\"" + queue_rule.source_matchers[0].value +
        "\"]\ntarget_matchers: [alertname=~\"" + queue_rule.target_matchers[0].value + "\"]";
    EXPECT_NE(docs.str().find(source), std::string::npos) << "docs/alerting.md lacks " << source;
  }
}

}  // namespace
}  // namespace qw::alerts::test
