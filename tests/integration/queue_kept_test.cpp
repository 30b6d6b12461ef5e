// postgres_queue against a real table whose finished rows are kept (River, Oban, GoodJob shape):
// exact counts per queue, ages from the database clock, and completions counted exactly once
// across rounds, including a row whose transaction commits after the round that could see it.
#include <fmt/format.h>

#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

using namespace std::chrono_literals;

// A multi-queue table with a text state column. `ts_type` is the SQL type of every timestamp.
void create_jobs_table(Db& db, const std::string& table, const std::string& ts_type) {
  db.exec(fmt::format(
      "CREATE TABLE {0} (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL, "
      "enqueued_at {1} NOT NULL, run_at {1} NOT NULL, started_at {1}, finished_at {1}, "
      "heartbeat_at {1}, note text)",
      table, ts_type));
}

std::string kept_yaml(const std::string& table, const std::string& ts_type,
                      const std::string& settle, const std::string& dsn) {
  return fmt::format(R"(
targets:
{}
queues:
  - name: src
    target: db
    table: {}
    queue_column: queue
    state: {{column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}}
    timestamps:
      type: {}
      enqueued: enqueued_at
      run_at: run_at
      started: started_at
      finished: finished_at
      heartbeat: heartbeat_at
    completed_rows: kept
    settle_delay: {}
)",
                     target_yaml("db", dsn), table, ts_type, settle);
}

// Rows finished now are counted once the probe's watermark (now - settle_delay) passes them;
// wait for that on the database clock rather than sleeping a guessed time.
void wait_settled(Db& db, const std::string& table, const std::string& now_expr,
                  const std::string& settle) {
  const auto sql =
      fmt::format("SELECT coalesce(max(finished_at) <= {} - interval '{}', true) FROM {}", now_expr,
                  settle, table);
  ASSERT_TRUE(wait_until([&] { return db.scalar<bool>(sql); }, 30s))
      << "finished rows never became older than the settle delay";
}

// Inserts the scenario both timestamp kinds share. `now` is the SQL for "now" in the columns'
// kind; every timestamp is relative to it, so expected ages are known exactly.
void insert_scenario(Db& db, const std::string& table, const std::string& now) {
  db.exec(fmt::format(R"(
INSERT INTO {0} (queue, state, enqueued_at, run_at, started_at, finished_at, heartbeat_at) VALUES
  -- emails: 3 waiting (oldest 120 s), 2 scheduled for later (not waiting), 2 running
  ('emails', 'ready',   {1} - interval '200 seconds', {1} - interval '120 seconds', NULL, NULL, NULL),
  ('emails', 'ready',   {1} - interval '60 seconds',  {1} - interval '60 seconds',  NULL, NULL, NULL),
  ('emails', 'ready',   {1} - interval '10 seconds',  {1} - interval '10 seconds',  NULL, NULL, NULL),
  ('emails', 'ready',   {1} - interval '900 seconds', {1} + interval '1 hour',      NULL, NULL, NULL),
  ('emails', 'ready',   {1},                          {1} + interval '10 minutes',  NULL, NULL, NULL),
  ('emails', 'running', {1} - interval '400 seconds', {1} - interval '400 seconds',
                        {1} - interval '300 seconds', NULL, {1} - interval '45 seconds'),
  ('emails', 'running', {1} - interval '40 seconds',  {1} - interval '40 seconds',
                        {1} - interval '30 seconds',  NULL, {1} - interval '5 seconds'),
  -- billing: 1 waiting (30 s), 1 scheduled, nothing running
  ('billing', 'ready',  {1} - interval '30 seconds',  {1} - interval '30 seconds',  NULL, NULL, NULL),
  ('billing', 'ready',  {1},                          {1} + interval '1 day',       NULL, NULL, NULL)
)",
                      table, now));
  // History finished long before the first round: never counted as a completion.
  db.exec(fmt::format(
      "INSERT INTO {0} (queue, state, enqueued_at, run_at, started_at, finished_at) "
      "SELECT q, s, {1} - interval '2 hours', {1} - interval '2 hours', {1} - interval '2 hours', "
      "{1} - interval '1 hour' FROM unnest(ARRAY['emails','billing']) q, "
      "unnest(ARRAY['done','done','done','failed']) s",
      table, now));
}

// Finishes jobs between rounds: emails 4 completed + 1 failed, billing 1 completed.
void finish_some(Db& db, const std::string& table, const std::string& now) {
  db.exec(fmt::format(
      "UPDATE {0} SET state = CASE WHEN started_at < {1} - interval '100 seconds' THEN 'done' "
      "ELSE 'failed' END, finished_at = {1} WHERE queue = 'emails' AND state = 'running'",
      table, now));
  db.exec(
      fmt::format("UPDATE {0} SET state = 'done', started_at = {1}, finished_at = {1} "
                  "WHERE queue = 'billing' AND state = 'ready' AND run_at <= {1}",
                  table, now));
  // Jobs enqueued, run and finished entirely between two rounds.
  db.exec(
      fmt::format("INSERT INTO {0} (queue, state, enqueued_at, run_at, started_at, finished_at) "
                  "SELECT 'emails', 'done', {1}, {1}, {1}, {1} FROM generate_series(1, 3)",
                  table, now));
}

void expect_no_completions(const probes::QueueProbeSample& s) {
  for (const auto& q : s.queues) {
    EXPECT_EQ(q.completed_delta, 0u) << q.queue;
    EXPECT_EQ(q.failed_delta, 0u) << q.queue;
    EXPECT_TRUE(q.completions_known) << q.queue;
  }
}

// The whole kept-mode scenario for one timestamp kind. `reader_dsn` is the probe's connection;
// `now` is how the writer spells "now" in the columns' kind.
void run_kept_scenario(Db& writer, const std::string& ts_sql_type, const std::string& ts_kind,
                       const std::string& now, const std::string& reader_dsn) {
  const std::string table = unique_name("kept_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  create_jobs_table(writer, table, ts_sql_type);
  insert_scenario(writer, table, now);

  ProbeRig rig(kept_yaml(table, ts_kind, "1s", reader_dsn));

  // Round 1: the snapshot is exact; completions only set the watermark.
  const auto r1 = rig.run_queue("src");
  ASSERT_TRUE(r1.ok) << to_string(r1.reason) << ": " << r1.detail;
  ASSERT_EQ(r1.queues.size(), 2u) << "queues are discovered from ready and running rows";
  const auto emails = queue_of(r1, "emails");
  EXPECT_EQ(emails.ready, 3) << "jobs scheduled for later must not count as waiting";
  EXPECT_FALSE(emails.ready_capped);
  EXPECT_EQ(emails.running, 2);
  ASSERT_TRUE(emails.oldest_ready_age_seconds);
  EXPECT_NEAR(*emails.oldest_ready_age_seconds, 120.0, 2.0) << "waiting starts at run_at";
  ASSERT_TRUE(emails.oldest_running_age_seconds);
  EXPECT_NEAR(*emails.oldest_running_age_seconds, 300.0, 2.0);
  ASSERT_TRUE(emails.oldest_heartbeat_age_seconds);
  EXPECT_NEAR(*emails.oldest_heartbeat_age_seconds, 45.0, 2.0);
  const auto billing = queue_of(r1, "billing");
  EXPECT_EQ(billing.ready, 1);
  EXPECT_EQ(billing.running, 0);
  ASSERT_TRUE(billing.oldest_ready_age_seconds);
  EXPECT_NEAR(*billing.oldest_ready_age_seconds, 30.0, 2.0);
  EXPECT_FALSE(billing.oldest_running_age_seconds) << "nothing runs: no age";
  EXPECT_FALSE(billing.oldest_heartbeat_age_seconds);
  expect_no_completions(r1);

  // Round 2: exactly the jobs finished since round 1, per queue and outcome.
  finish_some(writer, table, now);
  wait_settled(writer, table, now, "1 second");
  const auto r2 = rig.run_queue("src");
  ASSERT_TRUE(r2.ok) << r2.detail;
  EXPECT_EQ(queue_of(r2, "emails").completed_delta, 4u);
  EXPECT_EQ(queue_of(r2, "emails").failed_delta, 1u);
  EXPECT_EQ(queue_of(r2, "emails").running, 0);
  EXPECT_EQ(queue_of(r2, "emails").ready, 3);
  EXPECT_EQ(queue_of(r2, "billing").completed_delta, 1u);
  EXPECT_EQ(queue_of(r2, "billing").failed_delta, 0u);
  EXPECT_EQ(queue_of(r2, "billing").ready, 0) << "a drained queue keeps reporting 0";
  // The newest completion finished when finish_some ran: at least the settle delay ago.
  const auto age = queue_of(r2, "emails").last_completion_age_seconds;
  ASSERT_TRUE(age) << "a round that counted completions says when the newest finished";
  EXPECT_GE(*age, 0.9);
  EXPECT_LT(*age, 30.0);

  // Round 3: nothing new finished, nothing counted twice.
  const auto r3 = rig.run_queue("src");
  ASSERT_TRUE(r3.ok) << r3.detail;
  expect_no_completions(r3);
  EXPECT_FALSE(queue_of(r3, "emails").last_completion_age_seconds) << "nothing counted: no age";

  // Round 4: two more, and only those.
  writer.exec(fmt::format(
      "UPDATE {0} SET state = 'done', started_at = {1}, finished_at = {1} WHERE id IN "
      "(SELECT id FROM {0} WHERE queue = 'emails' AND state = 'ready' AND run_at <= {1} "
      "ORDER BY id LIMIT 2)",
      table, now));
  wait_settled(writer, table, now, "1 second");
  const auto r4 = rig.run_queue("src");
  ASSERT_TRUE(r4.ok) << r4.detail;
  EXPECT_EQ(queue_of(r4, "emails").completed_delta, 2u);
  EXPECT_EQ(queue_of(r4, "emails").failed_delta, 0u);
  EXPECT_EQ(queue_of(r4, "emails").ready, 1);
  EXPECT_EQ(queue_of(r4, "billing").completed_delta, 0u);
}

TEST(QueueKept, TimestamptzCountsAgesAndCompletionsAcrossRounds) {
  Db writer;
  run_kept_scenario(writer, "timestamptz", "timestamptz", "now()", test_dsn());
}

// Naive UTC columns (Rails, Oban): the writer's session lives in Los Angeles and the probe's in
// Tokyo, so any place that mixes local time with the naive UTC values is off by hours.
TEST(QueueKept, TimestampUtcIsRightWhateverTheSessionTimeZones) {
  Db writer;
  writer.exec("SET TIME ZONE 'America/Los_Angeles'");
  run_kept_scenario(writer, "timestamp without time zone", "timestamp_utc",
                    "(now() AT TIME ZONE 'UTC')", test_dsn() + " options='-c TimeZone=Asia/Tokyo'");
}

// A job stamps finished_at, but its transaction commits only after a probe round has taken its
// snapshot. As long as it commits within settle_delay it is counted, exactly once.
TEST(QueueKept, LateCommitWithinSettleDelayIsCountedOnce) {
  Db db;
  const std::string table = unique_name("late_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  create_jobs_table(db, table, "timestamptz");
  db.exec("INSERT INTO " + table +
          " (queue, state, enqueued_at, run_at, started_at) VALUES "
          "('q', 'running', now(), now(), now()), ('q', 'running', now(), now(), now())");
  ProbeRig rig(kept_yaml(table, "timestamptz", "3s", test_dsn()));

  const auto r1 = rig.run_queue("src");
  ASSERT_TRUE(r1.ok) << r1.detail;
  EXPECT_EQ(queue_of(r1, "q").running, 2);

  // The worker's transaction: finished_at is its start time, the commit comes later.
  Db worker_conn;
  pqxx::work worker(worker_conn.connection());
  worker.exec("UPDATE " + table +
              " SET state = 'done', finished_at = now() WHERE id = (SELECT min(id) FROM " + table +
              ")");

  const auto r2 = rig.run_queue("src");
  ASSERT_TRUE(r2.ok) << r2.detail;
  EXPECT_EQ(queue_of(r2, "q").completed_delta, 0u) << "not committed: invisible to round 2";
  EXPECT_EQ(queue_of(r2, "q").running, 2);
  // The scenario needs round 2 to have run while the stamp was younger than settle_delay;
  // otherwise this test would prove nothing.
  ASSERT_TRUE(worker.exec1("SELECT clock_timestamp() - interval '3 seconds' < now()")[0].as<bool>())
      << "round 2 ended more than settle_delay after the stamp; the scenario did not happen";
  worker.commit();

  wait_settled(db, table, "now()", "3 seconds");
  const auto r3 = rig.run_queue("src");
  ASSERT_TRUE(r3.ok) << r3.detail;
  EXPECT_EQ(queue_of(r3, "q").completed_delta, 1u) << "the late commit must be counted";
  EXPECT_EQ(queue_of(r3, "q").running, 1);

  const auto r4 = rig.run_queue("src");
  ASSERT_TRUE(r4.ok) << r4.detail;
  EXPECT_EQ(queue_of(r4, "q").completed_delta, 0u) << "and counted only once";
}

}  // namespace
}  // namespace qw::itest
