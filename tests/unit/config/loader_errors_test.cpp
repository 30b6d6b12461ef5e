// One test per kind of mistake an operator makes. Each asserts the key path and the line, since
// those are what make an error fixable without reading the loader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using ::testing::HasSubstr;

TEST_F(ConfigTest, MinimalConfigLoadsWithDefaults) {
  const LoadResult r = load(kOneTarget);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config.targets.size(), 1u);
  EXPECT_EQ(r.config.targets[0].name, "primary");
  EXPECT_EQ(r.config.targets[0].mark.line, 2);
  EXPECT_EQ(r.config.targets[0].expect, ExpectedRole::any);
  EXPECT_EQ(r.config.http.listen, "127.0.0.1:9188");
  EXPECT_EQ(r.config.probes.queue.interval, Duration{15000});
}

TEST_F(ConfigTest, UnknownKeySuggestsTheClosest) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "probes:\n"
                            "  postgres_health:\n"
                            "    intervall: 5s\n");
  const ConfigError e = error_at(r, "probes.postgres_health.intervall");
  EXPECT_EQ(e.line, 7);
  EXPECT_EQ(e.column, 5);
  EXPECT_THAT(e.message, HasSubstr("unknown key \"intervall\""));
  EXPECT_THAT(e.message, HasSubstr("did you mean \"interval\"?"));
}

TEST_F(ConfigTest, UnknownKeyFarFromAnyListsTheKnownOnes) {
  const LoadResult r = load(std::string(kOneTarget) + "colour: blue\n");
  const ConfigError e = error_at(r, "colour");
  EXPECT_EQ(e.line, 5);
  EXPECT_THAT(e.message, HasSubstr("known keys: http, state_dir"));
}

TEST_F(ConfigTest, WrongTypesAreReportedWithWhatWasFound) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "http: [127.0.0.1]\n"            // 5: list for a mapping
                            "queues:\n"                      // 6
                            "  - name: q\n"                  // 7
                            "    target: primary\n"          // 8
                            "    table: jobs\n"              // 9
                            "    count_cap: lots\n"          // 10: not an integer
                            "    completed_rows: deleted\n"  // 11
                            "    state:\n"                   // 12
                            "      column: state\n"          // 13
                            "      ready: available\n"       // 14: string for a list
                            "      running: [running]\n");   // 15
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);

  const ConfigError http = error_at(r, "http");
  EXPECT_EQ(http.line, 5);
  EXPECT_THAT(http.message, HasSubstr("expected a mapping, got a list"));

  const ConfigError cap = error_at(r, "queues[0].count_cap");
  EXPECT_EQ(cap.line, 10);
  EXPECT_THAT(cap.message, HasSubstr("\"lots\" is not an integer"));

  const ConfigError ready = error_at(r, "queues[0].state.ready");
  EXPECT_EQ(ready.line, 14);
  EXPECT_THAT(ready.message, HasSubstr("expected a list"));
}

TEST_F(ConfigTest, BadDurationNamesTheValueAndTheUnits) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "http:\n"
                            "  request_timeout: 5x\n");
  const ConfigError e = error_at(r, "http.request_timeout");
  EXPECT_EQ(e.line, 6);
  EXPECT_EQ(e.column, 20);
  EXPECT_THAT(e.message, HasSubstr("\"5x\" is not a duration"));
  EXPECT_THAT(e.message, HasSubstr("ms, s, m, h, d"));
}

TEST_F(ConfigTest, DurationsBelowTheFloorAreRejected) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "probes:\n"
                            "  postgres_queue: {interval: 50ms, query_timeout: 0s}\n");
  EXPECT_THAT(error_at(r, "probes.postgres_queue.interval").message,
              HasSubstr("must be at least 100ms"));
  EXPECT_EQ(error_at(r, "probes.postgres_queue.query_timeout").line, 6);
}

TEST_F(ConfigTest, DuplicateTargetNameNamesTheFirst) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "  - name: primary\n"  // line 5
                            "    dsn: host=other\n"
                            "    region: eu-west-1\n");
  const ConfigError e = error_at(r, "targets[1].name");
  EXPECT_EQ(e.line, 5);
  EXPECT_THAT(e.message, HasSubstr("duplicate target name \"primary\""));
  EXPECT_THAT(e.message, HasSubstr("first defined at line 2"));
}

TEST_F(ConfigTest, DuplicateQueueNameNamesTheFirst) {
  const std::string queue =
      "    target: primary\n"
      "    table: jobs\n"
      "    completed_rows: deleted\n"
      "    state: {column: s, ready: [a], running: [b], completed: []}\n";
  const LoadResult r =
      load(std::string(kOneTarget) + "queues:\n" + "  - name: jobs\n" + queue +  // line 6
           "  - name: jobs\n" + queue);                                          // line 11
  const ConfigError e = error_at(r, "queues[1].name");
  EXPECT_EQ(e.line, 11);
  EXPECT_THAT(e.message, HasSubstr("duplicate queue name \"jobs\" (first defined at line 6)"));
  EXPECT_EQ(r.errors.size(), 1u) << all_errors(r);
}

TEST_F(ConfigTest, MissingRequiredKeyIsReportedAtTheMappingThatLacksIt) {
  const LoadResult r = load(
      "targets:\n"
      "  - name: primary\n"  // line 2: the mapping starts here
      "    region: eu-west-1\n");
  const ConfigError e = error_at(r, "targets[0].dsn");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 5);
  EXPECT_THAT(e.message, HasSubstr("missing required key \"dsn\""));
}

TEST_F(ConfigTest, EmptyFileNeedsTargets) {
  const LoadResult r = load("");
  const ConfigError e = error_at(r, "targets");
  EXPECT_EQ(e.line, 1);
  EXPECT_THAT(e.message, HasSubstr("missing required key"));
}

TEST_F(ConfigTest, UndefinedTargetReferenceIsReportedAtTheTargetKey) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "queues:\n"
                            "  - name: jobs\n"
                            "    target: primery\n"  // line 7
                            "    table: jobs\n"
                            "    completed_rows: deleted\n"
                            "    state: {column: s, ready: [a], running: [b], completed: []}\n");
  const ConfigError e = error_at(r, "queues[0].target");
  EXPECT_EQ(e.line, 7);
  EXPECT_EQ(e.column, 13);
  EXPECT_THAT(e.message, HasSubstr("no target named \"primery\"; did you mean \"primary\"?"));
}

TEST_F(ConfigTest, BothStateStylesAreRejected) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "queues:\n"
                            "  - name: jobs\n"
                            "    target: primary\n"
                            "    table: jobs\n"
                            "    completed_rows: deleted\n"
                            "    state:\n"
                            "      column: state\n"  // line 11
                            "      ready: [a]\n"
                            "      running: [b]\n"
                            "      completed: [c]\n"
                            "      ready_when: \"finished_at IS NULL\"\n");  // line 15
  const ConfigError e = error_at(r, "queues[0].state.ready_when");
  EXPECT_EQ(e.line, 15);
  EXPECT_THAT(e.message, HasSubstr("state.column (line 11)"));
  EXPECT_THAT(e.message, HasSubstr("keep one style"));
}

TEST_F(ConfigTest, ExpressionStyleNeedsAllFour) {
  const LoadResult r =
      load(std::string(kOneTarget) +
           "queues:\n"
           "  - name: good_job\n"
           "    target: primary\n"
           "    table: good_jobs\n"
           "    timestamps: {finished: finished_at}\n"
           "    state:\n"
           "      ready_when: \"performed_at IS NULL\"\n"  // line 11
           "      running_when: \"performed_at IS NOT NULL AND finished_at IS "
           "NULL\"\n"
           "      completed_when: \"finished_at IS NOT NULL AND error IS NULL\"\n");
  const ConfigError e = error_at(r, "queues[0].state.failed_when");
  EXPECT_EQ(e.line, 11);
  EXPECT_THAT(e.message, HasSubstr("missing required key \"failed_when\""));
  EXPECT_EQ(r.errors.size(), 1u) << all_errors(r);
}

TEST_F(ConfigTest, NoStateStyleAtAll) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "queues:\n"
                            "  - name: jobs\n"
                            "    target: primary\n"
                            "    table: jobs\n"
                            "    completed_rows: deleted\n"
                            "    state: {}\n");  // line 10
  const ConfigError e = error_at(r, "queues[0].state");
  EXPECT_EQ(e.line, 10);
  EXPECT_THAT(e.message, HasSubstr("either `column`"));
}

TEST_F(ConfigTest, ValueInTwoStateListsIsRejected) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "queues:\n"
                            "  - name: jobs\n"
                            "    target: primary\n"
                            "    table: jobs\n"
                            "    completed_rows: deleted\n"
                            "    state:\n"
                            "      column: state\n"
                            "      ready: [available]\n"             // line 12
                            "      running: [running, available]\n"  // line 13
                            "      completed: []\n");
  const ConfigError e = error_at(r, "queues[0].state.running");
  EXPECT_EQ(e.line, 13);
  EXPECT_THAT(e.message,
              HasSubstr("\"available\" is also listed in queues[0].state.ready (line 12)"));
}

TEST_F(ConfigTest, KeptRowsNeedAFinishedTimestamp) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "queues:\n"
                            "  - name: jobs\n"
                            "    target: primary\n"
                            "    table: jobs\n"
                            "    state: {column: s, ready: [a], running: [b], completed: [c]}\n"
                            "    timestamps:\n"
                            "      enqueued: created_at\n");  // line 11: the mapping lacking it
  const ConfigError e = error_at(r, "queues[0].timestamps.finished");
  EXPECT_EQ(e.line, 11);
  EXPECT_THAT(e.message, HasSubstr("completed_rows: kept"));
}

TEST_F(ConfigTest, UnknownEnumValueListsTheAllowedOnes) {
  const LoadResult r = load(
      "targets:\n"
      "  - name: primary\n"
      "    dsn: host=localhost\n"
      "    region: eu\n"
      "    expect: primery\n"   // line 5
      "log_level: verbose\n");  // line 6
  const ConfigError expect = error_at(r, "targets[0].expect");
  EXPECT_EQ(expect.line, 5);
  EXPECT_THAT(expect.message,
              HasSubstr("unknown value \"primery\" (allowed: any, primary, replica)"));
  EXPECT_THAT(expect.message, HasSubstr("did you mean \"primary\"?"));
  const ConfigError level = error_at(r, "log_level");
  EXPECT_EQ(level.line, 6);
  EXPECT_THAT(level.message, HasSubstr("allowed: trace, debug, info, warn, error"));
}

TEST_F(ConfigTest, YamlSyntaxErrorIsOneErrorWithItsPosition) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "http:\n"
                            "  listen: [127.0.0.1\n"  // line 6: unclosed flow list
                            "log_level: info\n");
  ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
  EXPECT_GE(r.errors[0].line, 6);
  EXPECT_THAT(r.errors[0].message, HasSubstr("YAML syntax error"));
  EXPECT_THAT(r.errors[0].to_string(), ::testing::StartsWith("test.yaml:"));
}

TEST_F(ConfigTest, EveryErrorIsReportedAtOnceInFileOrder) {
  const LoadResult r = load(
      "http:\n"
      "  listen: localhost\n"      // 2: no port
      "  max_request_bytes: 10\n"  // 3: below 1024
      "log_levl: info\n"           // 4: typo
      "targets:\n"
      "  - name: \"bad name\"\n"  // 6: invalid characters
      "    dsn: host=x\n"
      "    region: eu\n"
      "    max_connections: 17\n"   // 9: out of 1..16
      "    connect_timeout: -1s\n"  // 10: negative
      "queues:\n"
      "  - name: jobs\n"
      "    target: nowhere\n"  // 13: undefined target
      "    table: a.b.c\n"     // 14: three parts
      "    id_column: \"\"\n"  // 15: empty identifier
      "    completed_rows: deleted\n"
      "    state: {column: s, ready: [a], running: [b], completed: []}\n");
  ASSERT_EQ(r.errors.size(), 9u) << all_errors(r);
  const int lines[] = {2, 3, 4, 6, 9, 10, 13, 14, 15};
  for (std::size_t i = 0; i < r.errors.size(); ++i) {
    EXPECT_EQ(r.errors[i].line, lines[i]) << r.errors[i].to_string();
  }
  EXPECT_EQ(r.errors[4].path, "targets[0].max_connections");
  EXPECT_THAT(r.errors[4].message, HasSubstr("between 1 and 16, got 17"));
  EXPECT_EQ(r.errors[7].path, "queues[0].table");
}

TEST_F(ConfigTest, DuplicateYamlKeyIsAnError) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "log_level: info\n"     // line 5
                            "log_level: debug\n");  // line 6
  const ConfigError e = error_at(r, "log_level");
  EXPECT_EQ(e.line, 6);
  EXPECT_THAT(e.message, HasSubstr("duplicate key \"log_level\" (first given at line 5)"));
}

TEST_F(ConfigTest, ToStringIsFileLineColumnPathMessage) {
  const ConfigError e{"qw.yaml", "queues[1].state.ready", 12, 7, "must list at least one value"};
  EXPECT_EQ(e.to_string(), "qw.yaml:12:7: queues[1].state.ready: must list at least one value");
}

TEST_F(ConfigTest, InvalidDsnIsRejectedWithoutEchoingIt) {
  const LoadResult r = load(
      "targets:\n"
      "  - name: primary\n"
      "    dsn: \"host=x password=hunter2 nonsense\"\n"  // line 3
      "    region: eu\n");
  const ConfigError e = error_at(r, "targets[0].dsn");
  EXPECT_EQ(e.line, 3);
  EXPECT_THAT(e.message, HasSubstr("not a valid libpq connection string"));
  EXPECT_THAT(e.to_string(), ::testing::Not(HasSubstr("hunter2")));
}

TEST_F(ConfigTest, TableNamesFollowPostgresRules) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "queues:\n"
                            "  - name: a\n"
                            "    target: primary\n"
                            "    table: Jobs\n"
                            "    completed_rows: deleted\n"
                            "    state: {column: s, ready: [a], running: [b], completed: []}\n"
                            "  - name: b\n"
                            "    target: primary\n"
                            "    table: '\"My Schema\".\"Jobs.v2\"'\n"
                            "    completed_rows: deleted\n"
                            "    state: {column: s, ready: [a], running: [b], completed: []}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config.queues[0].schema, "public");
  EXPECT_EQ(r.config.queues[0].table, "jobs");  // unquoted folds to lower case, as in SQL
  EXPECT_EQ(r.config.queues[1].schema, "My Schema");
  EXPECT_EQ(r.config.queues[1].table, "Jobs.v2");
}

TEST_F(ConfigTest, NulByteInIdentifierIsRejected) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "queues:\n"
                            "  - name: a\n"
                            "    target: primary\n"
                            "    table: jobs\n"
                            "    id_column: \"id\\0x\"\n"  // line 9
                            "    completed_rows: deleted\n"
                            "    state: {column: s, ready: [a], running: [b], completed: []}\n");
  const ConfigError e = error_at(r, "queues[0].id_column");
  EXPECT_EQ(e.line, 9);
  EXPECT_THAT(e.message, HasSubstr("NUL"));
}

TEST_F(ConfigTest, WarmStartTakesAShorthandOrSettingsWithinTheKeptHistory) {
  const std::string queue =
      "  - name: {}\n"
      "    target: primary\n"
      "    table: jobs\n"
      "    completed_rows: deleted\n"
      "    state: {{column: s, ready: [a], running: [b], completed: []}}\n";
  const LoadResult r = load(std::string(kOneTarget) + "queues:\n" +            // 5
                            fmt::format(fmt::runtime(queue), "a") +            // 6-10
                            "    warm_start: false\n" +                        // 11
                            fmt::format(fmt::runtime(queue), "b") +            // 12-16
                            "    warm_start: {lookback: 7d, timeout: 1m}\n" +  // 17
                            fmt::format(fmt::runtime(queue), "c") +            // 18-22
                            "    warm_start: {lookback: 60d}\n");              // 23
  ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
  const ConfigError e = error_at(r, "queues[2].warm_start.lookback");
  EXPECT_EQ(e.line, 23);
  EXPECT_THAT(e.message, HasSubstr("must be at most 35d"));
  EXPECT_FALSE(r.config.queues[0].warm_start.enabled);
  EXPECT_TRUE(r.config.queues[1].warm_start.enabled);
  EXPECT_EQ(r.config.queues[1].warm_start.lookback, Duration{7LL * 86400 * 1000});
  EXPECT_EQ(r.config.queues[1].warm_start.timeout, Duration{60000});
}

}  // namespace
}  // namespace qw::config::test
