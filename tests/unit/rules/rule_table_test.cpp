// The rule table is the one place that knows every rule: each of its rules must also have its
// thresholds in the config, its page in docs/rules.md, and be seen by Engine::undecided. A rule
// added to the table but forgotten in any of those fails here.
#include "rules/rule_table.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/schema.hpp"
#include "rules/engine.hpp"

namespace qw::rules {
namespace {

std::string read_source_file(const std::string& path) {
  std::ifstream in(std::string(QW_SOURCE_DIR) + "/" + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RuleTable, EveryRuleHasOneNameAndTheEvaluationOfItsScope) {
  std::set<std::string_view> names;
  for (const RuleDef& rule : rule_table()) {
    SCOPED_TRACE(std::string(rule.name));
    EXPECT_TRUE(names.insert(rule.name).second) << "named twice";
    ASSERT_NE(rule.common, nullptr);
    EXPECT_EQ(rule.eval_queue != nullptr, rule.scope == RuleScope::queue);
    EXPECT_EQ(rule.eval_target != nullptr, rule.scope == RuleScope::target);
    EXPECT_EQ(rule.eval_cluster != nullptr, rule.scope == RuleScope::cluster);
    EXPECT_EQ(rule.eval_provider != nullptr, rule.scope == RuleScope::provider);
    if (rule.scope != RuleScope::queue) {
      EXPECT_EQ(rule.on_hold, nullptr) << "on_hold runs on queues only";
    }
    EXPECT_EQ(find_rule(rule.name), &rule);
  }
  EXPECT_EQ(find_rule("no_such_rule"), nullptr);
}

// The README's promise: a database outage pages once, by its cause, never through the queues.
TEST(RuleTable, ADatabaseOutageInhibitsEveryQueueRule) {
  const std::vector<std::string> inhibited = rules_inhibited_by_database_unavailable();
  for (const RuleDef& rule : rule_table()) {
    SCOPED_TRACE(std::string(rule.name));
    EXPECT_EQ(rule.inhibited_by_database_unavailable, rule.scope == RuleScope::queue);
    EXPECT_EQ(std::count(inhibited.begin(), inhibited.end(), rule.name),
              rule.scope == RuleScope::queue ? 1 : 0);
  }
}

// Queue rules are sections under rules.defaults / rules.overrides[]; a target rule is a key of
// `rules` itself. And the config has no rule the table lacks (it would never be evaluated).
TEST(RuleTable, EveryRuleHasItsConfigSectionAndNoSectionLacksARule) {
  std::set<std::string_view> sections, rules_keys;
  for (const config::detail::RuleSection& s : config::detail::rule_sections())
    sections.insert(s.name);
  for (const auto& row : config::detail::rules_fields()) rules_keys.insert(row.key);
  for (const RuleDef& rule : rule_table()) {
    SCOPED_TRACE(std::string(rule.name));
    if (rule.scope == RuleScope::queue) {
      EXPECT_TRUE(sections.contains(rule.name)) << "no section in config/decode_rules.cpp";
    } else {
      EXPECT_TRUE(rules_keys.contains(rule.name)) << "no key under `rules`";
    }
  }
  for (std::string_view section : sections) {
    const RuleDef* rule = find_rule(section);
    EXPECT_TRUE(rule != nullptr && rule->scope == RuleScope::queue)
        << section << " is configurable but not in rules/rule_table.cpp";
  }
}

// docs/rules.md's table lists every rule with its default severity.
TEST(RuleTable, DocsListEveryRuleWithItsDefaultSeverity) {
  const std::string docs = read_source_file("docs/rules.md");
  ASSERT_FALSE(docs.empty());
  for (const RuleDef& rule : rule_table()) {
    SCOPED_TRACE(std::string(rule.name));
    const std::string row = "| `" + std::string(rule.name) + "` | " + default_severity(rule) + " |";
    EXPECT_NE(docs.find(row), std::string::npos) << "docs/rules.md lacks the row " << row;
  }
}

// Before anything is measured, no rule has reached a verdict on any subject: an alert of every
// rule in the table (restored from disk, say) is undecided, and one of no rule is decided.
TEST(RuleTable, EngineUndecidedKnowsEveryRule) {
  const Engine engine({}, Timezone());
  for (const RuleDef& rule : rule_table()) {
    SCOPED_TRACE(std::string(rule.name));
    Labels labels{{"alertname", std::string(rule.name)}, {"target", "primary"}};
    if (rule.scope == RuleScope::queue) {
      labels["source"] = "jobs";
      labels["queue"] = "mail";
    }
    EXPECT_TRUE(engine.undecided(labels));
  }
  EXPECT_FALSE(engine.undecided({{"alertname", "some_other_alert"}, {"target", "primary"}}));
}

}  // namespace
}  // namespace qw::rules
