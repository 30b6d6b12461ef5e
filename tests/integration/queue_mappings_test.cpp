// postgres_queue against the column shapes real job systems use: an enum state with a varchar
// queue column (River, Oban, pg-boss), and no state column at all, only timestamps (GoodJob).
#include <fmt/format.h>

#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

using namespace std::chrono_literals;

void wait_settled(Db& db, const std::string& table, const std::string& column,
                  const std::string& now) {
  const auto sql = fmt::format("SELECT coalesce(max({}) <= {} - interval '1 second', true) FROM {}",
                               column, now, table);
  ASSERT_TRUE(wait_until([&] { return db.scalar<bool>(sql); }, 30s));
}

// The state values are bound as an array parameter that must take the enum's type, and the
// queue names must compare with a varchar column; text casts in the wrong place fail here.
TEST(QueueMappings, EnumStateAndVarcharQueue) {
  Db db;
  const std::string table = unique_name("enum_jobs");
  Cleanup drop(fmt::format("DROP TABLE IF EXISTS {0}; DROP TYPE IF EXISTS {0}_state", table));
  db.exec(fmt::format(
      "CREATE TYPE {0}_state AS ENUM ('available', 'running', 'completed', 'discarded'); "
      "CREATE TABLE {0} (id bigserial PRIMARY KEY, queue varchar(40) NOT NULL, "
      "state {0}_state NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), "
      "scheduled_at timestamptz NOT NULL DEFAULT now(), attempted_at timestamptz, "
      "finalized_at timestamptz)",
      table));
  db.exec(fmt::format(R"(
INSERT INTO {0} (queue, state, scheduled_at, attempted_at, finalized_at) VALUES
  ('alpha', 'available', now() - interval '50 seconds', NULL, NULL),
  ('alpha', 'available', now() - interval '5 seconds', NULL, NULL),
  ('alpha', 'available', now() + interval '1 hour', NULL, NULL),
  ('alpha', 'running', now() - interval '90 seconds', now() - interval '80 seconds', NULL),
  ('beta', 'running', now() - interval '20 seconds', now() - interval '15 seconds', NULL),
  ('beta', 'running', now() - interval '20 seconds', now() - interval '10 seconds', NULL),
  ('beta', 'completed', now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour'),
  ('other', 'available', now(), NULL, NULL)
)",
                      table));
  ProbeRig rig(fmt::format(R"(
targets:
{}
queues:
  - name: river
    target: db
    table: {}
    queue_column: queue
    queue_names: [alpha, beta, gamma]
    state: {{column: state, ready: [available], running: [running], completed: [completed], failed: [discarded]}}
    timestamps: {{enqueued: created_at, run_at: scheduled_at, started: attempted_at, finished: finalized_at}}
    settle_delay: 1s
)",
                           target_yaml("db", test_dsn()), table));

  const auto r1 = rig.run_queue("river");
  ASSERT_TRUE(r1.ok) << to_string(r1.reason) << ": " << r1.detail;
  ASSERT_EQ(r1.queues.size(), 3u) << "exactly the configured queue_names, not `other`";
  EXPECT_EQ(queue_of(r1, "alpha").ready, 2);
  EXPECT_EQ(queue_of(r1, "alpha").running, 1);
  ASSERT_TRUE(queue_of(r1, "alpha").oldest_ready_age_seconds);
  EXPECT_NEAR(*queue_of(r1, "alpha").oldest_ready_age_seconds, 50.0, 2.0);
  ASSERT_TRUE(queue_of(r1, "alpha").oldest_running_age_seconds);
  EXPECT_NEAR(*queue_of(r1, "alpha").oldest_running_age_seconds, 80.0, 2.0);
  EXPECT_EQ(queue_of(r1, "beta").ready, 0);
  EXPECT_EQ(queue_of(r1, "beta").running, 2);
  EXPECT_EQ(queue_of(r1, "gamma").ready, 0) << "a configured but empty queue reports 0";
  EXPECT_EQ(queue_of(r1, "gamma").running, 0);

  db.exec(fmt::format(
      "UPDATE {} SET state = CASE queue WHEN 'alpha' THEN 'discarded' ELSE 'completed' END::{}"
      "_state, finalized_at = now() WHERE state = 'running'",
      table, table));
  wait_settled(db, table, "finalized_at", "now()");
  const auto r2 = rig.run_queue("river");
  ASSERT_TRUE(r2.ok) << r2.detail;
  EXPECT_EQ(queue_of(r2, "alpha").failed_delta, 1u);
  EXPECT_EQ(queue_of(r2, "alpha").completed_delta, 0u);
  EXPECT_EQ(queue_of(r2, "beta").completed_delta, 2u);
  EXPECT_EQ(queue_of(r2, "beta").running, 0);
}

// GoodJob: state follows from timestamps and `error`; naive UTC timestamps.
TEST(QueueMappings, NoStateColumnWithWhenExpressions) {
  Db db;
  const std::string table = unique_name("good_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  db.exec(
      fmt::format("CREATE TABLE {} (id bigserial PRIMARY KEY, queue_name text NOT NULL, "
                  "created_at timestamp NOT NULL, scheduled_at timestamp, performed_at timestamp, "
                  "finished_at timestamp, error text)",
                  table));
  const std::string now = "(now() AT TIME ZONE 'UTC')";
  db.exec(fmt::format(R"(
INSERT INTO {0} (queue_name, created_at, scheduled_at, performed_at, finished_at, error) VALUES
  ('default', {1} - interval '70 seconds', {1} - interval '70 seconds', NULL, NULL, NULL),
  ('default', {1} - interval '3 seconds',  {1} - interval '3 seconds',  NULL, NULL, NULL),
  ('default', {1},                         {1} + interval '1 hour',     NULL, NULL, NULL),
  ('default', {1} - interval '40 seconds', {1} - interval '40 seconds', {1} - interval '35 seconds', NULL, NULL),
  ('default', {1} - interval '1 hour', {1} - interval '1 hour', {1} - interval '1 hour', {1} - interval '1 hour', NULL),
  ('default', {1} - interval '1 hour', {1} - interval '1 hour', {1} - interval '1 hour', {1} - interval '1 hour', 'boom'),
  ('mailers', {1} - interval '15 seconds', {1} - interval '15 seconds', {1} - interval '12 seconds', NULL, NULL),
  ('mailers', {1} - interval '14 seconds', {1} - interval '14 seconds', {1} - interval '11 seconds', NULL, NULL)
)",
                      table, now));
  ProbeRig rig(fmt::format(R"(
targets:
{}
queues:
  - name: good_job
    target: db
    table: {}
    queue_column: queue_name
    state:
      ready_when: "finished_at IS NULL AND performed_at IS NULL"
      running_when: "finished_at IS NULL AND performed_at IS NOT NULL"
      completed_when: "finished_at IS NOT NULL AND error IS NULL"
      failed_when: "finished_at IS NOT NULL AND error IS NOT NULL"
    timestamps:
      type: timestamp_utc
      enqueued: created_at
      run_at: scheduled_at
      started: performed_at
      finished: finished_at
    settle_delay: 1s
)",
                           target_yaml("db", test_dsn()), table));

  const auto r1 = rig.run_queue("good_job");
  ASSERT_TRUE(r1.ok) << to_string(r1.reason) << ": " << r1.detail;
  const auto def = queue_of(r1, "default");
  EXPECT_EQ(def.ready, 2);
  EXPECT_EQ(def.running, 1);
  ASSERT_TRUE(def.oldest_ready_age_seconds);
  EXPECT_NEAR(*def.oldest_ready_age_seconds, 70.0, 2.0);
  ASSERT_TRUE(def.oldest_running_age_seconds);
  EXPECT_NEAR(*def.oldest_running_age_seconds, 35.0, 2.0);
  const auto mailers = queue_of(r1, "mailers");
  EXPECT_EQ(mailers.ready, 0);
  EXPECT_EQ(mailers.running, 2);
  EXPECT_NEAR(mailers.oldest_running_age_seconds.value_or(-1), 12.0, 2.0);

  // One mailer succeeds, one raises for good; a default job is picked up.
  db.exec(fmt::format(
      "UPDATE {0} SET finished_at = {1}, error = CASE WHEN id = (SELECT min(id) FROM {0} "
      "WHERE queue_name = 'mailers') THEN NULL ELSE 'boom' END WHERE queue_name = 'mailers'",
      table, now));
  db.exec(fmt::format("UPDATE {0} SET performed_at = {1} WHERE id = (SELECT min(id) FROM {0})",
                      table, now));
  wait_settled(db, table, "finished_at", now);
  const auto r2 = rig.run_queue("good_job");
  ASSERT_TRUE(r2.ok) << r2.detail;
  EXPECT_EQ(queue_of(r2, "mailers").completed_delta, 1u);
  EXPECT_EQ(queue_of(r2, "mailers").failed_delta, 1u);
  EXPECT_EQ(queue_of(r2, "mailers").running, 0);
  EXPECT_EQ(queue_of(r2, "default").ready, 1);
  EXPECT_EQ(queue_of(r2, "default").running, 2);
  EXPECT_EQ(queue_of(r2, "default").completed_delta, 0u);
}

}  // namespace
}  // namespace qw::itest
