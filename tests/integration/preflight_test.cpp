// Preflight (probes/postgres_queue/preflight.hpp) against a real PostgreSQL: a table shaped like
// pg-boss 12.38.0's `pgboss.job` (an enum state column, checked with `enum_range` in
// tests/scripts/pgboss_real.sh), with the mapping mistakes people make: a state value the enum
// does not have, a misspelt column, a missing table, a naive timestamp mapped as timestamptz,
// an expression that does not compile, deleted mode on a view, and a big table without the
// recommended indexes. The queue probe runs the same checks: a wrong mapping fails its first
// round with `invalid_mapping` and a message naming the value, never SQLSTATE 22P02 per round.
#include <fmt/format.h>

#include "probes/pg/target_pool.hpp"
#include "probes/postgres_queue/preflight.hpp"
#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

using probes::FailureReason;
using probes::queue::PreflightResult;
using probes::queue::Severity;

// A schema of our own holding a pg-boss-like job table with two ready and one active job.
class PreflightTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.exec(fmt::format(R"(
CREATE SCHEMA {0};
CREATE TYPE {0}.job_state AS ENUM ('created', 'retry', 'active', 'completed', 'cancelled', 'failed');
CREATE TABLE {0}.job (
  id bigserial PRIMARY KEY, name text NOT NULL, state {0}.job_state NOT NULL DEFAULT 'created',
  created_on timestamptz NOT NULL DEFAULT now(), start_after timestamptz NOT NULL DEFAULT now(),
  started_on timestamptz, completed_on timestamptz, naive_on timestamp);
INSERT INTO {0}.job (name, state, started_on) VALUES ('mail', 'created', NULL),
  ('mail', 'retry', NULL), ('mail', 'active', now());
)",
                         schema_));
  }

  // A config with one source `s` over `table` with the given mapping lines.
  std::string config(const std::string& table, const std::string& mapping) const {
    return fmt::format("targets:\n{}queues:\n  - name: s\n    target: db\n    table: {}\n{}",
                       target_yaml("db", test_dsn()), table, mapping);
  }

  PreflightResult preflight(const std::string& yaml) {
    const auto cfg = load_config(yaml);
    probes::pg::PoolSet pools(cfg);
    PreflightResult out;
    pools.get("db").with_connection(std::chrono::seconds(10), [&](pqxx::connection& conn) {
      out = probes::queue::run_preflight(conn, cfg.queues.at(0));
    });
    return out;
  }

  static std::string all(const PreflightResult& r) {
    std::string out;
    for (const auto& f : r.findings)
      out += fmt::format("{} [{}] {}: {}\n", probes::queue::to_string(f.severity), f.key, f.value,
                         f.message);
    return out;
  }

  Db db_;
  const std::string schema_ = unique_name("pf");
  Cleanup drop_{"DROP SCHEMA IF EXISTS " + schema_ + " CASCADE"};
};

const char* kPgBossMapping = R"(    queue_column: name
    state:
      column: state
      ready: [created, retry]
      running: [active]
      completed: [completed]
      failed: [failed, expired]
    timestamps:
      enqueued: created_on
      run_at: start_after
      started: started_on
      finished: completed_on
)";

TEST_F(PreflightTest, AStateValueThatIsNoEnumLabelIsAnErrorNamingValueAndType) {
  const auto r = preflight(config(schema_ + ".job", kPgBossMapping));
  const auto* e = r.first_error();
  ASSERT_NE(e, nullptr) << all(r);
  EXPECT_EQ(e->reason, FailureReason::invalid_mapping);
  EXPECT_EQ(e->key, "state.failed");
  EXPECT_EQ(e->value, "expired");
  EXPECT_NE(e->message.find(fmt::format(
                "state value \"expired\" is not a label of enum {}.job_state", schema_)),
            std::string::npos)
      << e->message;
  EXPECT_EQ(r.relkind, "table");
  EXPECT_FALSE(r.sql) << "no statements for a mapping that cannot run";

  // Without `expired` the same mapping is proven, every statement explained.
  std::string fixed = kPgBossMapping;
  fixed.replace(fixed.find("[failed, expired]"), 17, "[failed]");
  const auto good = preflight(config(schema_ + ".job", fixed));
  EXPECT_EQ(good.first_error(), nullptr) << all(good);
  EXPECT_TRUE(good.sql);
  for (const char* st : {"snapshot", "watermark", "completions", "discovery", "history"})
    EXPECT_NE(std::find(good.explained.begin(), good.explained.end(), st), good.explained.end())
        << st << " was not explained";
}

// Deleted rows in a multi-queue table: the per-queue progress statements run every round, so
// preflight explains them too. (Their parameters once disagreed with what a round binds, for a
// mapping without a started timestamp, and every round of such a source failed after
// check-config --connect had passed.)
TEST_F(PreflightTest, DeletedModeExplainsTheProgressStatements) {
  for (const std::string started : {"      started: started_on\n", ""}) {
    const std::string mapping =
        "    queue_column: name\n"
        "    completed_rows: deleted\n"
        "    state:\n"
        "      column: state\n"
        "      ready: [created, retry]\n"
        "      running: [active]\n"
        "      completed: []\n"
        "      failed: [failed]\n"
        "    timestamps:\n"
        "      enqueued: created_on\n"
        "      run_at: start_after\n" +
        started;
    const auto r = preflight(config(schema_ + ".job", mapping));
    EXPECT_EQ(r.first_error(), nullptr) << all(r);
    for (const char* st : {"tracked", "progress"})
      EXPECT_NE(std::find(r.explained.begin(), r.explained.end(), st), r.explained.end())
          << st << " was not explained (started mapped: " << !started.empty() << ")";
  }
}

TEST_F(PreflightTest, MissingColumnAndMissingTableAreNamed) {
  std::string typo = kPgBossMapping;
  typo.replace(typo.find("[failed, expired]"), 17, "[failed]");
  typo.replace(typo.find("finished: completed_on"), 22, "finished: completedon");
  const auto r = preflight(config(schema_ + ".job", typo));
  const auto* e = r.first_error();
  ASSERT_NE(e, nullptr) << all(r);
  EXPECT_EQ(e->reason, FailureReason::undefined_column);
  EXPECT_EQ(e->key, "timestamps.finished");
  EXPECT_NE(e->message.find("column \"completedon\" (timestamps.finished) does not exist"),
            std::string::npos)
      << e->message;
  EXPECT_NE(e->message.find("did you mean \"completed_on\"?"), std::string::npos) << e->message;

  const auto none = preflight(config(schema_ + ".jobs", typo));
  ASSERT_NE(none.first_error(), nullptr);
  EXPECT_EQ(none.first_error()->reason, FailureReason::undefined_table);
  EXPECT_NE(none.first_error()->message.find(schema_ + ".jobs does not exist"), std::string::npos)
      << none.first_error()->message;
}

TEST_F(PreflightTest, TimestampsOfTheWrongKindAndBrokenExpressionsAreErrors) {
  const auto naive = preflight(
      config(schema_ + ".job", R"(    state: {column: state, ready: [created], running: [active]}
    timestamps: {enqueued: naive_on}
    completed_rows: deleted
)"));
  ASSERT_NE(naive.first_error(), nullptr) << all(naive);
  EXPECT_EQ(naive.first_error()->key, "timestamps.enqueued");
  EXPECT_NE(naive.first_error()->message.find("timestamp_utc"), std::string::npos);

  const auto broken = preflight(config(schema_ + ".job", R"(    state:
      ready_when: "state = 'created'"
      running_when: "lockd_at IS NOT NULL"
      completed_when: "false"
      failed_when: "false"
    timestamps: {enqueued: created_on}
    completed_rows: deleted
)"));
  ASSERT_NE(broken.first_error(), nullptr) << all(broken);
  EXPECT_EQ(broken.first_error()->key, "state.running_when");
  EXPECT_NE(broken.first_error()->message.find("lockd_at"), std::string::npos);
}

TEST_F(PreflightTest, DeletedModeOnAViewIsAWarningAndItsCompletionsAreNotClaimed) {
  db_.exec(fmt::format("CREATE VIEW {0}.jobs AS SELECT * FROM {0}.job", schema_));
  const std::string mapping =
      R"(    state: {column: state, ready: [created, retry], running: [active]}
    timestamps: {enqueued: created_on, started: started_on}
    completed_rows: deleted
)";
  const auto r = preflight(config(schema_ + ".jobs", mapping));
  EXPECT_EQ(r.first_error(), nullptr) << all(r);
  EXPECT_EQ(r.relkind, "view");
  EXPECT_FALSE(r.counts_deletes);
  ASSERT_TRUE(r.has_warnings());
  EXPECT_EQ(r.findings.at(0).key, "completed_rows");
  EXPECT_NE(r.findings.at(0).message.find("cannot count completions on a view"), std::string::npos)
      << all(r);

  // The probe measures the rest, and says completions are unknown rather than 0 forever.
  ProbeRig rig(config(schema_ + ".jobs", mapping));
  const auto round = rig.run_queue("s");
  ASSERT_TRUE(round.ok) << round.detail;
  const auto q = queue_of(round, "s");
  EXPECT_EQ(q.ready, 2);
  EXPECT_FALSE(q.completions_known);
  EXPECT_FALSE(round.table_completed_delta);
}

TEST_F(PreflightTest, ASequentialScanOfABigTableIsAWarningWithTheIndexThatServesIt) {
  db_.exec(fmt::format(
      "INSERT INTO {0}.job (name, state, completed_on) SELECT 'q' || (i % 5), 'completed', now() "
      "FROM generate_series(1, 30000) i; ANALYZE {0}.job",
      schema_));
  std::string mapping = kPgBossMapping;
  mapping.replace(mapping.find("[failed, expired]"), 17, "[failed]");
  const auto r = preflight(config(schema_ + ".job", mapping));
  EXPECT_EQ(r.first_error(), nullptr) << all(r);
  std::string fixes;
  for (const auto& f : r.findings)
    if (f.severity == Severity::warning && f.message.find("sequentially") != std::string::npos)
      for (const auto& fix : f.fixes) fixes += fix + "\n";
  EXPECT_NE(fixes.find(fmt::format("CREATE INDEX CONCURRENTLY job_qw_ready_idx ON {}.job (name, "
                                   "start_after) WHERE state IN ('created', 'retry');",
                                   schema_)),
            std::string::npos)
      << all(r) << fixes;
  EXPECT_NE(fixes.find(fmt::format("CREATE INDEX CONCURRENTLY job_qw_finished_idx ON {}.job "
                                   "(completed_on) WHERE state IN ('completed', 'failed');",
                                   schema_)),
            std::string::npos)
      << all(r) << fixes;

  // With those indexes, no statement of a round reads the table sequentially.
  db_.exec(
      fmt::format("CREATE INDEX ON {0}.job (name, start_after) WHERE state IN ('created', 'retry');"
                  "CREATE INDEX ON {0}.job (name, started_on) WHERE state = 'active';"
                  "CREATE INDEX ON {0}.job (completed_on) WHERE state IN ('completed', 'failed'); "
                  "ANALYZE {0}.job",
                  schema_));
  const auto indexed = preflight(config(schema_ + ".job", mapping));
  EXPECT_FALSE(indexed.has_warnings()) << all(indexed);
}

TEST_F(PreflightTest, TheProbeReportsAWrongMappingInItsFirstRoundAsInvalidMapping) {
  ProbeRig rig(config(schema_ + ".job", kPgBossMapping));
  for (int round = 0; round < 2; ++round) {
    const auto s = rig.run_queue("s");
    EXPECT_FALSE(s.ok);
    EXPECT_EQ(s.reason, FailureReason::invalid_mapping) << s.detail;
    EXPECT_NE(s.detail.find("state value \"expired\" is not a label of enum"), std::string::npos)
        << s.detail;
    EXPECT_EQ(s.detail.find("22P02"), std::string::npos) << s.detail;
  }
}

// Round 1 runs the completions statement too (over an empty window), so what only that
// statement can hit fails in round 1 and in `once`, not one interval into `run`. The function
// raises when executed, never when planned: only running the statement finds it.
TEST_F(PreflightTest, TheFirstRoundRunsTheCompletionsStatement) {
  db_.exec(
      fmt::format("CREATE FUNCTION {0}.boom() RETURNS boolean LANGUAGE plpgsql STABLE AS "
                  "$$ BEGIN RAISE EXCEPTION 'completions statement ran'; END $$",
                  schema_));
  ProbeRig rig(config(schema_ + ".job", fmt::format(R"y(    state:
      ready_when: "state = 'created'"
      running_when: "state = 'active'"
      completed_when: "{}.boom()"
      failed_when: "false"
    timestamps: {{enqueued: created_on, finished: completed_on}}
    warm_start: false
)y",
                                                    schema_)));
  const auto first = rig.run_queue("s");
  EXPECT_FALSE(first.ok) << "round 1 did not run the completions statement";
  EXPECT_NE(first.detail.find("completions statement ran"), std::string::npos) << first.detail;
}

}  // namespace
}  // namespace qw::itest
