// Configuration cannot change which SQL runs: names are quoted identifiers, state values are
// bound parameters, and the trusted *_when expressions still run as one statement in a
// read-only transaction. Every scenario checks that the `victim` table survives.
#include <fmt/format.h>

#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A YAML double-quoted scalar (the value may hold single quotes, semicolons, dashes).
std::string yaml_string(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class HostileConfig : public ::testing::Test {
 protected:
  void SetUp() override { db_.exec(fmt::format("CREATE TABLE {} (id int PRIMARY KEY)", victim_)); }

  bool victim_exists() {
    return db_.scalar<bool>(fmt::format("SELECT to_regclass('public.{}') IS NOT NULL", victim_));
  }

  std::string source_yaml(const std::string& table_in_yaml, const std::string& state) {
    return fmt::format(R"(
targets:
{}
queues:
  - name: src
    target: db
    table: {}
{}    timestamps: {{enqueued: enqueued_at}}
    completed_rows: deleted
)",
                       target_yaml("db", test_dsn()), yaml_string(table_in_yaml), state);
  }

  // Probes a source whose ready_when is `expression`; the round must fail and hurt nothing.
  probes::QueueProbeSample probe_with_ready_when(const std::string& expression) {
    const std::string table = unique_name("plain_jobs");
    cleanups_.push_back(std::make_unique<Cleanup>("DROP TABLE IF EXISTS " + table));
    db_.exec(fmt::format(
        "CREATE TABLE {0} (id int PRIMARY KEY, enqueued_at timestamptz NOT NULL DEFAULT now()); "
        "INSERT INTO {0} (id) VALUES (1), (2)",
        table));
    ProbeRig rig(source_yaml(table, fmt::format("    state:\n      ready_when: {}\n"
                                                "      running_when: \"false\"\n"
                                                "      completed_when: \"false\"\n"
                                                "      failed_when: \"false\"\n",
                                                yaml_string(expression))));
    return rig.run_queue("src");
  }

  Db db_;
  const std::string victim_ = unique_name("victim");
  Cleanup drop_victim_{"DROP TABLE IF EXISTS " + victim_};
  std::vector<std::unique_ptr<Cleanup>> cleanups_;
};

TEST_F(HostileConfig, TableNameIsAnIdentifierNotSql) {
  const std::string name = "jobs\"; DROP TABLE " + victim_ + "; --";
  Cleanup drop("DROP TABLE IF EXISTS " + quote_ident(name));
  db_.exec(
      fmt::format("CREATE TABLE {0} (id int PRIMARY KEY, state text NOT NULL, "
                  "enqueued_at timestamptz NOT NULL DEFAULT now()); "
                  "INSERT INTO {0} (id, state) VALUES (1, 'ready'), (2, 'ready'), (3, 'running')",
                  quote_ident(name)));

  // In the config the name is written as PostgreSQL reads it: double-quoted, "" inside.
  ProbeRig rig(source_yaml(
      quote_ident(name),
      "    state: {column: state, ready: [ready], running: [running], completed: []}\n"));
  const auto s = rig.run_queue("src");
  ASSERT_TRUE(s.ok) << to_string(s.reason) << ": " << s.detail;
  EXPECT_EQ(queue_of(s, "src").ready, 2);
  EXPECT_EQ(queue_of(s, "src").running, 1);
  EXPECT_TRUE(victim_exists());
}

TEST_F(HostileConfig, StateValueIsAPlainValue) {
  const std::string table = unique_name("state_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  const std::string evil = "'; DROP TABLE " + victim_ + "; --";
  db_.exec(
      fmt::format("CREATE TABLE {} (id int PRIMARY KEY, state text NOT NULL, "
                  "enqueued_at timestamptz NOT NULL DEFAULT now())",
                  table));
  // Exactly two rows carry the hostile value; near misses must not match.
  {
    pqxx::nontransaction tx(db_.connection());
    tx.exec_params("INSERT INTO " + table +
                       " (id, state) VALUES (1, $1), (2, $1), (3, $2), (4, 'ready'), (5, '')",
                   evil, evil + " ");
  }
  ProbeRig rig(source_yaml(table, fmt::format("    state: {{column: state, ready: [{}], "
                                              "running: [running], completed: []}}\n",
                                              yaml_string(evil))));
  const auto s = rig.run_queue("src");
  ASSERT_TRUE(s.ok) << to_string(s.reason) << ": " << s.detail;
  EXPECT_EQ(queue_of(s, "src").ready, 2) << "rows whose state is exactly the configured value";
  EXPECT_TRUE(victim_exists());
}

TEST_F(HostileConfig, ExpressionCannotAppendAStatement) {
  for (const std::string& expression :
       {"true; DROP TABLE " + victim_, "true); DROP TABLE " + victim_ + "; SELECT (true"}) {
    const auto s = probe_with_ready_when(expression);
    EXPECT_FALSE(s.ok) << expression;
    EXPECT_NE(s.reason, probes::FailureReason::none) << expression;
    EXPECT_TRUE(victim_exists()) << expression;
  }
}

TEST_F(HostileConfig, SessionIsReadOnly) {
  const std::string log = unique_name("write_log");
  const std::string fn = unique_name("writes");
  Cleanup drop(fmt::format("DROP FUNCTION IF EXISTS {}(); DROP TABLE IF EXISTS {}", fn, log));
  db_.exec(fmt::format(
      "CREATE TABLE {0} (x int); CREATE FUNCTION {1}() RETURNS boolean LANGUAGE sql VOLATILE "
      "AS $$ INSERT INTO {0} VALUES (1) RETURNING true $$",
      log, fn));
  const auto s = probe_with_ready_when(fn + "()");
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.reason, probes::FailureReason::read_only) << s.detail;
  EXPECT_EQ(db_.scalar<int>("SELECT count(*) FROM " + log), 0) << "nothing was written";
}

}  // namespace
}  // namespace qw::itest
