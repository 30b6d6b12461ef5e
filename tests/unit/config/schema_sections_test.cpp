// Every section's accepted keys come from its rows (config/schema.hpp): a misspelt key is
// reported at its path and line with the row it was meant to be. The test walks the rows, so a
// key added to a section is covered here without a new case.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "config/schema.hpp"
#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

struct Section {
  std::string name;
  std::vector<std::string_view> keys;
  std::string tmpl;  // a whole, valid file but for `{}`, where "KEY: VALUE" goes
  std::string path;  // the path of the mapping the key is in
};

const std::string kQueue =
    "queues:\n  - {{name: q, target: primary, table: t, completed_rows: deleted, "
    "state: {{column: s, ready: [a], running: [b]}}";

std::vector<Section> sections() {
  using namespace detail;
  const std::string one_target = kOneTarget;
  std::vector<std::string_view> state;
  for (const StateKey& k : state_keys()) state.push_back(k.key);
  return {
      {"top level", keys_of(root_fields()), one_target + "{}\n", ""},
      {"http", keys_of(http_fields()), one_target + "http: {{{}}}\n", "http"},
      {"probes", keys_of(probes_fields()), one_target + "probes: {{{}}}\n", "probes"},
      {"probe settings", keys_of(probe_fields()),
       one_target + "probes: {{postgres_queue: {{{}}}}}\n", "probes.postgres_queue"},
      {"targets", keys_of(target_fields()),
       "targets:\n  - {{name: primary, dsn: host=x, region: r, {}}}\n", "targets[0]"},
      {"queues", keys_of(queue_fields()), one_target + kQueue + ", {}}}\n", "queues[0]"},
      {"state", state, one_target + kQueue.substr(0, kQueue.size() - 2) + ", {}}}}}\n",
       "queues[0].state"},
      {"timestamps", keys_of(timestamp_fields()), one_target + kQueue + ", timestamps: {{{}}}}}\n",
       "queues[0].timestamps"},
      {"warm_start", keys_of(warm_start_fields()), one_target + kQueue + ", warm_start: {{{}}}}}\n",
       "queues[0].warm_start"},
      {"rules", keys_of(rules_fields()), one_target + "rules: {{{}}}\n", "rules"},
      {"rules.overrides[]", keys_of(override_fields()),
       one_target + "rules: {{overrides: [{{queues: [a], {}}}]}}\n", "rules.overrides[0]"},
      {"alerting", keys_of(alerting_fields()), one_target + "alerting: {{{}}}\n", "alerting"},
      {"alerting.routes[]", keys_of(route_fields()),
       one_target + "alerting: {{default_receiver: l, receivers: [{{name: l, type: log}}], " +
           "routes: [{{receiver: l, {}}}]}}\n",
       "alerting.routes[0]"},
      {"alerting.receivers[]", keys_of(receiver_fields()),
       one_target + "alerting: {{default_receiver: l, receivers: [{{name: l, type: log, {}}}]}}\n",
       "alerting.receivers[0]"},
      {"alerting.inhibit_rules[]", keys_of(inhibit_rule_fields()),
       one_target + "alerting: {{inhibit_rules: [{{source_matchers: [a=b], " +
           "target_matchers: [c=d], {}}}]}}\n",
       "alerting.inhibit_rules[0]"},
      {"alerting.routes[].matchers[]", keys_of(matcher_fields()),
       one_target + "alerting: {{default_receiver: l, receivers: [{{name: l, type: log}}], " +
           "routes: [{{receiver: l, matchers: [{{label: a, op: '=', value: b, {}}}]}}]}}\n",
       "alerting.routes[0].matchers[0]"},
      {"alerting.heartbeat", keys_of(heartbeat_fields()),
       one_target + "alerting: {{heartbeat: {{{}}}}}\n", "alerting.heartbeat"},
  };
}

TEST_F(ConfigTest, EverySectionsTemplateLoads) {
  for (const Section& s : sections()) {
    const std::string yaml = fmt::format(fmt::runtime(s.tmpl), "");
    const LoadResult plain = load(yaml);
    EXPECT_TRUE(plain.ok()) << s.name << "\n" << yaml << all_errors(plain);
  }
}

TEST_F(ConfigTest, AMisspeltKeyOfEverySectionNamesTheRowItMeant) {
  for (const Section& s : sections()) {
    ASSERT_FALSE(s.keys.empty()) << s.name;
    for (std::string_view key : s.keys) {
      SCOPED_TRACE(fmt::format("{}: {}", s.name, key));
      const std::string typo = std::string(key) + "x";
      const std::string yaml = fmt::format(fmt::runtime(s.tmpl), typo + ": 1");
      const LoadResult r = load(yaml);
      const std::string path = s.path.empty() ? typo : s.path + "." + typo;
      const ConfigError e = error_at(r, path);
      EXPECT_EQ(e.message, fmt::format("unknown key \"{}\"; did you mean \"{}\"?", typo, key))
          << yaml;
      EXPECT_GT(e.line, 0);
    }
  }
}

TEST_F(ConfigTest, NoSectionListsAKeyTwice) {
  for (const Section& s : sections()) {
    std::set<std::string_view> seen;
    for (std::string_view key : s.keys)
      EXPECT_TRUE(seen.insert(key).second) << s.name << ": " << key;
  }
}

}  // namespace
}  // namespace qw::config::test
