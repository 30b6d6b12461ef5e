// postgres_queue on tables whose finished rows are deleted (graphile-worker, Delayed::Job shape):
// completions come from the table's cumulative delete counter, exactly, across rounds.
#include <fmt/format.h>

#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

using namespace std::chrono_literals;

std::string deleted_yaml(const std::string& table, bool multi_queue) {
  return fmt::format(R"(
targets:
{}
queues:
  - name: src
    target: db
    table: {}
{}    state: {{column: state, ready: [ready], running: [running], completed: [], failed: [failed]}}
    timestamps: {{enqueued: enqueued_at, started: started_at}}
    completed_rows: deleted
    settle_delay: 1s
)",
                     target_yaml("db", test_dsn()), table,
                     multi_queue ? "    queue_column: queue\n" : "");
}

class QueueDeleted : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.exec(fmt::format(
        "CREATE TABLE {} (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL, "
        "enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz)",
        table_));
  }

  // Deletes `n` ready rows of `queue` the way a worker does on success, then makes the server
  // publish the count (PostgreSQL 15 flushes a backend's statistics up to a second later) and
  // waits until another session sees it.
  void delete_jobs(const std::string& queue, int n) {
    deleted_ += n;
    db_.exec(fmt::format(
        "DELETE FROM {0} WHERE id IN (SELECT id FROM {0} WHERE queue = '{1}' AND state = "
        "'ready' ORDER BY id LIMIT {2})",
        table_, queue, n));
    db_.exec("SELECT pg_stat_force_next_flush()");
    Db observer;
    const auto sql = fmt::format("SELECT pg_stat_get_tuples_deleted('{}'::regclass)", table_);
    ASSERT_TRUE(wait_until([&] { return observer.scalar<std::int64_t>(sql) == deleted_; }, 30s))
        << "the delete counter never reached " << deleted_;
  }

  void insert_ready(const std::string& queue, int n) {
    db_.exec(fmt::format(
        "INSERT INTO {} (queue, state) SELECT '{}', 'ready' FROM generate_series(1, {})", table_,
        queue, n));
  }

  Db db_;
  const std::string table_ = unique_name("deleted_jobs");
  Cleanup drop_{"DROP TABLE IF EXISTS " + table_};
  std::int64_t deleted_ = 0;
};

TEST_F(QueueDeleted, SingleQueueCountsEveryDeleteExactly) {
  insert_ready("src", 10);
  db_.exec("UPDATE " + table_ +
           " SET state = 'running', started_at = now() - interval '20 seconds' WHERE id IN "
           "(SELECT id FROM " +
           table_ + " ORDER BY id DESC LIMIT 2)");
  ProbeRig rig(deleted_yaml(table_, false));

  const auto r1 = rig.run_queue("src");
  ASSERT_TRUE(r1.ok) << r1.detail;
  ASSERT_EQ(r1.queues.size(), 1u);
  EXPECT_EQ(r1.queues[0].queue, "src") << "a table without queue_column is one queue";
  EXPECT_EQ(r1.queues[0].ready, 8);
  EXPECT_EQ(r1.queues[0].running, 2);
  ASSERT_TRUE(r1.queues[0].oldest_running_age_seconds);
  EXPECT_NEAR(*r1.queues[0].oldest_running_age_seconds, 20.0, 2.0);
  EXPECT_EQ(r1.table_completed_delta, 0u) << "the first round only sets the baseline";
  EXPECT_EQ(r1.queues[0].completed_delta, 0u);

  delete_jobs("src", 4);
  const auto r2 = rig.run_queue("src");
  ASSERT_TRUE(r2.ok) << r2.detail;
  EXPECT_EQ(r2.table_completed_delta, 4u);
  EXPECT_TRUE(r2.queues[0].completions_known);
  EXPECT_EQ(r2.queues[0].completed_delta, 4u);
  EXPECT_EQ(r2.queues[0].ready, 4);

  const auto r3 = rig.run_queue("src");
  ASSERT_TRUE(r3.ok) << r3.detail;
  EXPECT_EQ(r3.queues[0].completed_delta, 0u) << "nothing deleted since: nothing counted";

  delete_jobs("src", 3);
  const auto r4 = rig.run_queue("src");
  ASSERT_TRUE(r4.ok) << r4.detail;
  EXPECT_EQ(r4.queues[0].completed_delta, 3u);
  EXPECT_EQ(r4.table_completed_delta, 3u);
}

TEST_F(QueueDeleted, MultiQueueReportsTableTotalAndUnknownPerQueue) {
  insert_ready("a", 5);
  insert_ready("b", 5);
  ProbeRig rig(deleted_yaml(table_, true));

  const auto r1 = rig.run_queue("src");
  ASSERT_TRUE(r1.ok) << r1.detail;
  EXPECT_EQ(queue_of(r1, "a").ready, 5);
  EXPECT_EQ(queue_of(r1, "b").ready, 5);

  delete_jobs("a", 2);
  delete_jobs("b", 3);
  const auto r2 = rig.run_queue("src");
  ASSERT_TRUE(r2.ok) << r2.detail;
  EXPECT_EQ(r2.table_completed_delta, 5u) << "deletes of the whole table";
  for (const char* q : {"a", "b"}) {
    EXPECT_FALSE(queue_of(r2, q).completions_known)
        << q << ": deletes cannot be attributed to a queue";
    EXPECT_EQ(queue_of(r2, q).completed_delta, 0u) << q;
  }
  EXPECT_EQ(queue_of(r2, "a").ready, 3);
  EXPECT_EQ(queue_of(r2, "b").ready, 2);
}

}  // namespace
}  // namespace qw::itest
