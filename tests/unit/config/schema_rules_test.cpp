// The rules section is described once, as rows (config/schema.hpp, config/decode_rules.cpp): the
// accepted keys, the decoding of `defaults` and `overrides`, and apply_patch all come from them.
// These tests walk the rows themselves, so a key added there is covered without a new test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "config/schema.hpp"
#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using ::testing::HasSubstr;

// A valid value for each rule key, different from every rule's default.
const std::map<std::string_view, std::string> kValues = {
    {"enabled", "false"},
    {"for", "2h"},
    {"keep_firing_for", "2h"},
    {"severity", "info"},
    {"labels", "{team: payments}"},
    {"summary", "'{{ $labels.queue }} x'"},
    {"description", "d"},
    {"runbook_url", "https://runbooks.example/x"},
    {"grace", "2h"},
    {"min_silence", "2h"},
    {"implausible_expected", "12.5"},
    {"window", "2h"},
    {"ratio", "0.25"},
    {"min_expected", "7"},
    {"sigmas", "3"},
    {"warmup_floor_per_hour", "11"},
    {"running_for", "2h"},
    {"heartbeat_timeout", "2h"},
    {"max_age", "2h"},
    {"max_ratio", "0.25"},
    {"min_volume", "7"},
    {"stale_after", "2h"},
    {"max_window", "2h"},
};

TEST_F(ConfigTest, EveryRuleKeyMeansTheSameInDefaultsAndInOverrides) {
  const QueueRules built_in;
  for (const detail::RuleSection& section : detail::rule_sections()) {
    for (const auto& row : section.fields) {
      SCOPED_TRACE(std::string(section.name) + "." + std::string(row.key));
      const auto value = kValues.find(row.key);
      ASSERT_NE(value, kValues.end()) << "give the new key a value in kValues";
      const std::string entry = fmt::format("{{{}: {}}}", row.key, value->second);

      const LoadResult via_defaults =
          load(fmt::format("{}rules:\n  defaults:\n    {}: {}\n", kOneTarget, section.name, entry));
      ASSERT_TRUE(via_defaults.ok()) << all_errors(via_defaults);
      EXPECT_NE(row.show(via_defaults.config.rules.defaults), row.show(built_in))
          << "the value did not reach the rule";

      const LoadResult via_override =
          load(fmt::format("{}rules:\n  overrides:\n    - queues: [q]\n      {}: {}\n", kOneTarget,
                           section.name, entry));
      ASSERT_TRUE(via_override.ok()) << all_errors(via_override);
      QueueRules patched;
      apply_patch(via_override.config.rules.overrides.at(0).patch, patched);
      EXPECT_EQ(row.show(patched), row.show(via_defaults.config.rules.defaults));
      EXPECT_EQ(patched.no_throughput.common.labels,
                via_defaults.config.rules.defaults.no_throughput.common.labels);
    }
  }
}

TEST_F(ConfigTest, AnEmptyPatchChangesNothing) {
  QueueRules rules;
  apply_patch(QueueRulesPatch{}, rules);
  const QueueRules built_in;
  for (const detail::RuleSection& section : detail::rule_sections()) {
    for (const auto& row : section.fields) EXPECT_EQ(row.show(rules), row.show(built_in));
  }
}

TEST_F(ConfigTest, RuleKeysComeFromTheRowsWithSuggestions) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "rules:\n"
                            "  defaults:\n"
                            "    queue_latency: {max_agee: 1h}\n"
                            "    no_throughputt: {}\n"
                            "  database_unavailable: {grace: 1m}\n"
                            "  overrides:\n"
                            "    - {queues: [a], sourcess: [b]}\n");
  EXPECT_EQ(error_at(r, "rules.defaults.queue_latency.max_agee").message,
            "unknown key \"max_agee\"; did you mean \"max_age\"?");
  EXPECT_EQ(error_at(r, "rules.defaults.no_throughputt").message,
            "unknown key \"no_throughputt\"; did you mean \"no_throughput\"?");
  // database_unavailable has only the keys every rule has: no_throughput's `grace` is not one.
  EXPECT_THAT(error_at(r, "rules.database_unavailable.grace").message,
              HasSubstr("unknown key \"grace\""));
  const ConfigError e = error_at(r, "rules.overrides[0].sourcess");
  EXPECT_EQ(e.message, "unknown key \"sourcess\"; did you mean \"sources\"?");
  EXPECT_EQ(e.line, 11);
}

TEST_F(ConfigTest, AnOverrideWithoutQueuesIsReportedAtTheEntry) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "rules:\n  overrides:\n    - no_throughput: {enabled: false}\n");
  const ConfigError e = error_at(r, "rules.overrides[0].queues");
  EXPECT_EQ(e.message, "missing required key \"queues\"");
  EXPECT_EQ(e.line, 7);
}

}  // namespace
}  // namespace qw::config::test
