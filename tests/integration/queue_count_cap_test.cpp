// count_cap: a backlog larger than the cap costs the database no more than the cap, and the
// probe says the count is a floor. Each count is capped on its own: a mutation that left one of
// them uncapped must fail here, so every capped count gets more rows than the cap.
#include <fmt/format.h>

#include "probes/postgres_queue/queue_sql.hpp"
#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

TEST(QueueCountCap, ReadyAndRunningStopAtTheCapAndSaySo) {
  Db db;
  const std::string table = unique_name("capped_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  db.exec(fmt::format(
      "CREATE TABLE {} (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL, "
      "enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz, "
      "finished_at timestamptz)",
      table));
  // One queue: its limit is the whole cap (the floor per queue is kMinPerQueueCount).
  constexpr std::int64_t kCap = probes::queue::kMinPerQueueCount;
  db.exec(
      fmt::format("INSERT INTO {} (queue, state) SELECT 'big', 'ready' FROM "
                  "generate_series(1, {})",
                  table, kCap * 3));
  db.exec(
      fmt::format("INSERT INTO {} (queue, state, started_at) SELECT 'big', 'running', now() "
                  "FROM generate_series(1, {})",
                  table, kCap * 2));

  ProbeRig rig(fmt::format(R"(
targets:
{}
queues:
  - name: src
    target: db
    table: {}
    queue_column: queue
    queue_names: [big]
    count_cap: {}
    state: {{column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}}
    timestamps: {{enqueued: enqueued_at, started: started_at, finished: finished_at}}
    completed_rows: kept
)",
                           target_yaml("db", test_dsn()), table, kCap));
  const auto r = rig.run_queue("src");
  ASSERT_TRUE(r.ok) << to_string(r.reason) << ": " << r.detail;
  const auto big = queue_of(r, "big");
  EXPECT_EQ(big.ready, kCap) << "the ready count must stop at the cap";
  EXPECT_TRUE(big.ready_capped);
  EXPECT_EQ(big.running, kCap) << "the running count must stop at the cap";
  EXPECT_TRUE(big.running_capped);
  // The ages are not capped: the oldest row is found through the index, not the count.
  EXPECT_TRUE(big.oldest_ready_age_seconds.has_value());
}

}  // namespace
}  // namespace qw::itest
