// targets[].facts_query against the real test server: its rows read on the health round's
// connection; what it cannot do (write, run past the deadline, be malformed) fails the facts and
// never the health round, and leaves the connection fit for the next round.
#include <fmt/format.h>

#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

using probes::health::FactsFailure;

std::string facts_yaml(const std::string& query, const std::string& timeout = "5s",
                       const std::string& dsn = test_dsn()) {
  std::string indented;
  for (char c : query) indented += c == '\n' ? std::string("\n      ") : std::string(1, c);
  return fmt::format(
             "probes:\n  postgres_health: {{interval: 1s, query_timeout: {}, max_backoff: 2s}}\n"
             "targets:\n",
             timeout) +
         target_yaml("db", dsn, "    facts_query: |\n      " + indented + "\n");
}

// The health round answered and its facts_query failed for `want`: the round is not failed by it.
void expect_facts_failed(const probes::TargetHealthSample& s, FactsFailure want) {
  EXPECT_TRUE(s.up) << s.detail;
  ASSERT_TRUE(s.facts.has_value());
  EXPECT_FALSE(s.facts->ok);
  EXPECT_EQ(s.facts->failure, want) << s.facts->detail;
  EXPECT_TRUE(s.facts->facts.empty());
}

TEST(HealthFactsQuery, ReadsTheRowsAsFacts) {
  // The example of docs/clusters.md#parity, as it runs on plain PostgreSQL 15.
  ProbeRig rig(facts_yaml(
      "SELECT 'build', version()\n"
      "UNION ALL SELECT 'system_identifier', system_identifier::text FROM pg_control_system()\n"
      "UNION ALL SELECT 'data_checksums', current_setting('data_checksums')\n"
      "UNION ALL SELECT 'max_wal_size_bytes', "
      "pg_size_bytes(current_setting('max_wal_size'))::text;"));
  const auto s = rig.run_health("db");
  ASSERT_TRUE(s.up) << s.detail;
  ASSERT_TRUE(s.facts.has_value());
  ASSERT_TRUE(s.facts->ok) << s.facts->detail;
  Db db;
  const std::map<std::string, std::string> want = {
      {"build", db.scalar<std::string>("SELECT version()")},
      {"system_identifier",
       db.scalar<std::string>("SELECT system_identifier::text FROM pg_control_system()")},
      {"data_checksums", db.scalar<std::string>("SELECT current_setting('data_checksums')")},
      {"max_wal_size_bytes",
       db.scalar<std::string>("SELECT pg_size_bytes(current_setting('max_wal_size'))::text")},
  };
  EXPECT_EQ(s.facts->facts, want);
  EXPECT_EQ(s.facts->rejected_rows, 0U);
}

TEST(HealthFactsQuery, WithoutAFactsQueryThereIsNoOutcome) {
  ProbeRig rig("targets:\n" + target_yaml("db", test_dsn()));
  const auto s = rig.run_health("db");
  ASSERT_TRUE(s.up) << s.detail;
  EXPECT_FALSE(s.facts.has_value());
}

TEST(HealthFactsQuery, CannotWrite) {
  const std::string seq = unique_name("qw_facts_seq");
  const std::string table = unique_name("qw_facts_t");
  Db db;
  db.exec(
      fmt::format("CREATE SEQUENCE {0}; CREATE TABLE {1} (x int); "
                  "CREATE FUNCTION {1}_w() RETURNS text LANGUAGE sql AS "
                  "'INSERT INTO {1} VALUES (1) RETURNING ''x''';",
                  seq, table));
  Cleanup drop(
      fmt::format("DROP SEQUENCE {}; DROP FUNCTION {}_w(); DROP TABLE {}", seq, table, table));
  {
    ProbeRig rig(facts_yaml(fmt::format("SELECT 'n', nextval('{}')::text", seq)));
    expect_facts_failed(rig.run_health("db"), FactsFailure::read_only);
  }
  {
    ProbeRig rig(facts_yaml(fmt::format("SELECT 'w', {}_w()", table)));
    expect_facts_failed(rig.run_health("db"), FactsFailure::read_only);
  }
  {
    // A data-modifying WITH is refused in a subquery before it could run.
    ProbeRig rig(facts_yaml(fmt::format(
        "WITH i AS (INSERT INTO {} VALUES (2) RETURNING 'i'::text) SELECT 'i', * FROM i", table)));
    expect_facts_failed(rig.run_health("db"), FactsFailure::query_error);
  }
  {
    // A second statement: the extended protocol runs one.
    ProbeRig rig(facts_yaml(fmt::format(
        "SELECT 'a', 'b') AS x; INSERT INTO {} VALUES (3); SELECT * FROM (SELECT 1, 2", table)));
    expect_facts_failed(rig.run_health("db"), FactsFailure::query_error);
  }
  EXPECT_FALSE(db.scalar<bool>(fmt::format("SELECT is_called FROM {}", seq)));
  EXPECT_EQ(db.scalar<std::int64_t>(fmt::format("SELECT count(*) FROM {}", table)), 0);
}

TEST(HealthFactsQuery, ASlowQueryTimesOutWithinTheRoundAndKeepsTheConnection) {
  ProbeRig rig(facts_yaml("SELECT 'slow', pg_sleep(10)::text", "1s"));
  const auto start = std::chrono::steady_clock::now();
  const auto first = rig.run_health("db");
  expect_facts_failed(first, FactsFailure::query_timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  // The server cancelled it (statement_timeout), not our watchdog: the connection is reused.
  const auto second = rig.run_health("db");
  expect_facts_failed(second, FactsFailure::query_timeout);
  EXPECT_FALSE(second.connect_seconds.has_value()) << "the second round had to reconnect";
}

TEST(HealthFactsQuery, MalformedQueriesAreNamed) {
  const std::pair<std::string, FactsFailure> cases[] = {
      {"SELEC 'a', 'b'", FactsFailure::query_error},
      {"SELECT name, setting FROM no_such_table_qw", FactsFailure::query_error},
      {"SELECT 'a', (1 / 0)::text", FactsFailure::query_error},
      {"SELECT 'a', 'b', 'c'", FactsFailure::wrong_columns},
      {"SELECT 'f' || i, i::text FROM generate_series(1, 40) i", FactsFailure::too_many_rows},
  };
  for (const auto& [query, want] : cases) {
    SCOPED_TRACE(query);
    ProbeRig rig(facts_yaml(query));
    expect_facts_failed(rig.run_health("db"), want);
    const auto again = rig.run_health("db");
    EXPECT_TRUE(again.up) << again.detail;
    EXPECT_FALSE(again.connect_seconds.has_value()) << "an SQL error must not cost a connection";
  }
}

TEST(HealthFactsQuery, WhatTheRoleMayNotReadIsPermissionDenied) {
  const std::string role = unique_name("qw_facts_role");
  const std::string table = unique_name("qw_facts_secret");
  Db admin;
  admin.exec(
      fmt::format("CREATE ROLE {} LOGIN; CREATE TABLE {} (name text, value text)", role, table));
  Cleanup drop(fmt::format("DROP TABLE IF EXISTS {}; DROP ROLE IF EXISTS {}", table, role));
  std::string dsn = test_dsn();
  const auto at = dsn.find("user=postgres");
  ASSERT_NE(at, std::string::npos) << dsn;
  dsn.replace(at, std::string("user=postgres").size(), "user=" + role);
  ProbeRig rig(facts_yaml("TABLE " + table, "5s", dsn));
  expect_facts_failed(rig.run_health("db"), FactsFailure::permission_denied);
}

TEST(HealthFactsQuery, RowsThatCannotBeComparedAreCounted) {
  ProbeRig rig(facts_yaml(
      "VALUES ('tier', 'GP'), ('not a name', 'x'), ('nothing', NULL), ('long', repeat('x', 201))"));
  const auto s = rig.run_health("db");
  ASSERT_TRUE(s.facts.has_value());
  ASSERT_TRUE(s.facts->ok) << s.facts->detail;
  EXPECT_EQ(s.facts->facts, (std::map<std::string, std::string>{{"tier", "GP"}}));
  EXPECT_EQ(s.facts->rejected_rows, 3U);
}

}  // namespace
}  // namespace qw::itest
