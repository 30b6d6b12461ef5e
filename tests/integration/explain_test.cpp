// Index-friendliness: on a table shaped like production (mostly finished history, a thin slice
// of ready and running jobs) with the recommended partial indexes, none of the probe's own
// statements, planned with the values the probe binds, reads the job table sequentially.
#include <fmt/format.h>
#include <boost/json.hpp>

#include "probes/postgres_queue/queue_sql.hpp"
#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

// Every plan node that scans `table` sequentially, as "Node Type on Relation".
void find_seq_scans(const boost::json::value& node, const std::string& table,
                    std::vector<std::string>& out) {
  if (node.is_array()) {
    for (const auto& v : node.as_array()) find_seq_scans(v, table, out);
    return;
  }
  if (!node.is_object()) return;
  const auto& obj = node.as_object();
  if (const auto* type = obj.if_contains("Node Type"); type && type->is_string()) {
    const auto* rel = obj.if_contains("Relation Name");
    if (type->as_string() == "Seq Scan" && rel && rel->is_string() && rel->as_string() == table)
      out.push_back("Seq Scan on " + table);
  }
  for (const auto& [key, value] : obj) find_seq_scans(value, table, out);
}

TEST(Explain, ProbeStatementsUseTheRecommendedIndexes) {
  Db db;
  const std::string table = unique_name("big_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  db.exec(fmt::format(R"(
CREATE TABLE {0} (
  id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
  enqueued_at timestamptz NOT NULL, run_at timestamptz NOT NULL,
  started_at timestamptz, finished_at timestamptz, heartbeat_at timestamptz);
-- 300k rows over 20 queues: about 1% waiting or running, the rest a week of history.
INSERT INTO {0} (queue, state, enqueued_at, run_at, started_at, finished_at, heartbeat_at)
SELECT 'queue_' || (i % 20),
       CASE WHEN i % 100 = 0 THEN 'ready' WHEN i % 100 = 1 THEN 'running'
            WHEN i % 100 = 2 THEN 'failed' ELSE 'done' END,
       t, t, CASE WHEN i % 100 <> 0 THEN t + interval '1 second' END,
       CASE WHEN i % 100 > 1 THEN t + interval '2 seconds' END,
       CASE WHEN i % 100 = 1 THEN t + interval '1 second' END
FROM generate_series(1, 300000) i,
     LATERAL (SELECT now() - (i * interval '2 seconds')) AS ts(t);
CREATE INDEX ON {0} (queue, run_at) WHERE state = 'ready';
CREATE INDEX ON {0} (queue, started_at) WHERE state = 'running';
CREATE INDEX ON {0} (finished_at) WHERE state IN ('done', 'failed');
ANALYZE {0};
)",
                      table));

  const auto config = load_config(fmt::format(R"(
targets:
{}
queues:
  - name: big
    target: db
    table: {}
    queue_column: queue
    state: {{column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}}
    timestamps:
      enqueued: enqueued_at
      run_at: run_at
      started: started_at
      finished: finished_at
      heartbeat: heartbeat_at
)",
                                              target_yaml("db", test_dsn()), table));
  const auto sql = probes::queue::build_queue_sql(config.queues.at(0), {});

  std::vector<std::string> queues;
  for (int i = 0; i < 20; ++i) queues.push_back("queue_" + std::to_string(i));
  auto array_of = [&](const std::function<std::string(std::size_t)>& value) {
    std::string out = "{";
    for (std::size_t i = 0; i < queues.size(); ++i) out += (i ? "," : "") + value(i);
    return out + "}";
  };
  // What QueueProbe::observe binds to the snapshot: the queue names and, where the statement
  // takes them, per-queue stuck thresholds (seconds) and the per-queue count limit.
  std::vector<std::string> snapshot_params = {array_of([&](std::size_t i) { return queues[i]; })};
  if (sql.snapshot.runtime_params >= 3) {
    snapshot_params.push_back(array_of([](std::size_t) { return std::string("300"); }));
    snapshot_params.push_back(array_of([](std::size_t) { return std::string("60"); }));
  }
  if (sql.snapshot.runtime_params >= 4) snapshot_params.push_back("5000");
  // A completions window like a real round's: the last 15 seconds up to the settle delay.
  const auto lower = db.scalar<std::string>("SELECT (now() - interval '25 seconds')::text");
  const auto upper = db.scalar<std::string>("SELECT (now() - interval '10 seconds')::text");
  const auto until = db.scalar<std::int64_t>(sql.hour_now.sql);

  const std::vector<
      std::pair<std::string, std::pair<const probes::queue::Statement*, std::vector<std::string>>>>
      statements = {
          {"snapshot", {&sql.snapshot, snapshot_params}},
          {"completions", {&sql.completions, {lower, upper}}},
          {"discovery", {&sql.discovery, {}}},
          // Warm start over the last day of this week-long table: a range of the finished
          // index. (When the lookback spans the whole table a sequential scan is the right plan
          // for this once-per-start read.)
          {"history", {&sql.history, {std::to_string(until - 86400), std::to_string(until)}}},
      };
  for (const auto& [name, st_runtime] : statements) {
    const auto& [st, runtime] = st_runtime;
    ASSERT_EQ(static_cast<std::size_t>(st->runtime_params), runtime.size()) << name;
    std::vector<std::string> params = runtime;
    params.insert(params.end(), st->fixed_params.begin(), st->fixed_params.end());
    // The probe's session settings that change plans: custom plans for bound values.
    pqxx::work tx(db.connection());
    tx.exec("SET LOCAL plan_cache_mode = force_custom_plan");
    const auto plan_text = tx.exec_params1("EXPLAIN (FORMAT JSON) " + st->sql,
                                           pqxx::prepare::make_dynamic_params(params))[0]
                               .as<std::string>();
    tx.commit();
    std::vector<std::string> seq_scans;
    find_seq_scans(boost::json::parse(plan_text), table, seq_scans);
    EXPECT_TRUE(seq_scans.empty()) << name << " reads the whole job table:\n"
                                   << st->sql << "\nplan:\n"
                                   << plan_text;
  }
}

}  // namespace
}  // namespace qw::itest
