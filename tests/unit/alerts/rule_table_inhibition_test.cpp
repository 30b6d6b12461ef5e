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
// held back, and a collapse holds back the shortfall; the same rules on another queue of the
// same source are not.
TEST(RuleTableInhibition, HoldersHoldBackTheRulesOfTheirOwnQueueOnly) {
  config::AlertingConfig c;
  const Inhibitor inhibitor = Inhibitor::from_config(c);
  int held = 0;
  for (const rules::RuleDef& rule : rules::rule_table()) {
    for (const std::string_view holder_name : rule.held_back_by) {
      if (holder_name.empty()) continue;
      ++held;
      const std::string name(rule.name);
      const std::string holder(holder_name);
      SCOPED_TRACE(name + " held back by " + holder);
      ASSERT_NE(rules::find_rule(holder), nullptr);
      AlertBook book;
      book.evaluate(at(0s), {condition(holder, "a", "q"), condition(name, "a", "q"),
                             condition(name, "a", "other")});
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
  }
  EXPECT_EQ(held, 3);  // throughput_collapse by no_throughput, below_baseline by both
}

// A silent queue that trickles again but is still collapsed is one incident: its no_throughput
// page stays open while a rule it holds back on that queue fires, and closes with it.
TEST(RuleTableInhibition, AHolderStaysFiringWhileARuleItHoldsBackFiresOnItsQueue) {
  AlertBook book;
  book.evaluate(at(0s), {condition("no_throughput", "a", "q"),
                         condition("throughput_collapse", "a", "q", 0ms, 15min)});
  std::string holder;
  for (const Alert& a : book.alerts())
    if (a.labels.at("alertname") == "no_throughput") holder = a.fingerprint;
  EXPECT_EQ(holders_kept_open(book.alerts()), std::set<std::string>{holder});

  // The queue trickles: no_throughput's condition is gone, the collapse's holds. Kept open, the
  // page does not resolve.
  book.evaluate(at(1min), {condition("throughput_collapse", "a", "q", 0ms, 15min)},
                holders_kept_open(book.alerts()));
  EXPECT_EQ(find_alert(book.alerts(), "no_throughput", "a")->state, AlertState::firing);

  // Recovered: the collapse resolves after its keep_firing_for, and so, then, does the page.
  book.evaluate(at(10min), {}, holders_kept_open(book.alerts()));
  EXPECT_EQ(find_alert(book.alerts(), "no_throughput", "a")->state, AlertState::firing);
  book.evaluate(at(17min), {}, holders_kept_open(book.alerts()));
  EXPECT_EQ(find_alert(book.alerts(), "throughput_collapse", "a")->state, AlertState::inactive);
  EXPECT_EQ(holders_kept_open(book.alerts()), std::set<std::string>{});
  book.evaluate(at(18min), {}, holders_kept_open(book.alerts()));
  EXPECT_EQ(find_alert(book.alerts(), "no_throughput", "a")->state, AlertState::inactive);
}

TEST(RuleTableInhibition, OnlyAFiringHeldBackAlertOfTheSameQueueKeepsAHolderOpen) {
  AlertBook book;
  book.evaluate(
      at(0s), {condition("no_throughput", "a", "q"), condition("throughput_collapse", "a", "other"),
               condition("below_baseline", "a", "q", 10min)});  // pending
  EXPECT_TRUE(holders_kept_open(book.alerts()).empty());

  AlertBook collapsed;
  collapsed.evaluate(
      at(0s), {condition("throughput_collapse", "a", "q"), condition("below_baseline", "a", "q")});
  std::string collapse;
  for (const Alert& a : collapsed.alerts())
    if (a.labels.at("alertname") == "throughput_collapse") collapse = a.fingerprint;
  EXPECT_EQ(holders_kept_open(collapsed.alerts()), std::set<std::string>{collapse});
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
