// Per-queue progress where finished rows are deleted and the table holds several queues: the
// probe tracks each queue's next jobs and running ones, and the next round reports what moved.
// Against a real table; then the statements' plans on a backlog-shaped table (no sequential scan).
#include <fmt/format.h>
#include <boost/json.hpp>

#include "probes/postgres_queue/queue_sql.hpp"
#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

std::string yaml(const std::string& table) {
  return fmt::format(R"(
targets:
{}
queues:
  - name: src
    target: db
    table: {}
    queue_column: queue
    queue_names: [a, b, c]
    state: {{column: state, ready: [ready], running: [running], completed: [], failed: [failed]}}
    timestamps: {{enqueued: enqueued_at, started: started_at}}
    completed_rows: deleted
)",
                     target_yaml("db", test_dsn()), table);
}

std::optional<std::uint64_t> progress(const probes::QueueProbeSample& s, const std::string& q) {
  return queue_of(s, q).progress_observed;
}

TEST(QueueProgress, DeparturesClaimsAndStateChangesAreProgressOfTheirQueueOnly) {
  Db db;
  const std::string table = unique_name("progress_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  db.exec(fmt::format(
      "CREATE TABLE {} (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL, "
      "enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz)",
      table));
  db.exec(fmt::format(
      "INSERT INTO {} (queue, state) SELECT q, 'ready' FROM unnest('{{a,b,c}}'::text[]) q, "
      "generate_series(1, 8)",
      table));
  ProbeRig rig(yaml(table));
  auto r = rig.run_queue("src");
  ASSERT_TRUE(r.ok) << r.detail;
  for (const char* q : {"a", "b", "c"}) {
    EXPECT_FALSE(queue_of(r, q).completions_known) << q;
    EXPECT_FALSE(progress(r, q)) << q << ": the first round has nothing to compare with";
  }

  // a: its two next jobs finish (deleted); b: its next job is claimed; c: nothing moves.
  db.exec(fmt::format(
      "DELETE FROM {0} WHERE id IN (SELECT id FROM {0} WHERE queue = 'a' ORDER BY id LIMIT 2)",
      table));
  db.exec(
      fmt::format("UPDATE {0} SET state = 'running', started_at = now() WHERE id = (SELECT "
                  "min(id) FROM {0} WHERE queue = 'b')",
                  table));
  r = rig.run_queue("src");
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(progress(r, "a"), 2u);
  EXPECT_EQ(progress(r, "b"), 1u) << "the claim of a tracked job counts once";
  EXPECT_EQ(progress(r, "c"), 0u);

  // Nothing moves: nothing observed (the running job is tracked, and still running).
  r = rig.run_queue("src");
  ASSERT_TRUE(r.ok) << r.detail;
  for (const char* q : {"a", "b", "c"}) EXPECT_EQ(progress(r, q), 0u) << q;

  // b's running job finishes; a job of c is enqueued and claimed between two rounds (never
  // tracked, seen by its started timestamp); a's backlog is untouched.
  db.exec(fmt::format("DELETE FROM {} WHERE queue = 'b' AND state = 'running'", table));
  db.exec(fmt::format("INSERT INTO {} (queue, state, started_at) VALUES ('c', 'running', now())",
                      table));
  r = rig.run_queue("src");
  ASSERT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(progress(r, "a"), 0u);
  EXPECT_EQ(progress(r, "b"), 1u);
  EXPECT_EQ(progress(r, "c"), 1u);
  // Never reported as completions.
  for (const char* q : {"a", "b", "c"}) EXPECT_EQ(queue_of(r, q).completed_delta, 0u) << q;
}

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

// A deleted-rows table holds only pending work: here a 200k-job backlog over 20 queues, 1%
// running, with the partial indexes docs/indexes.md recommends.
TEST(QueueProgress, StatementsUsePrimaryKeyAndPartialIndexes) {
  Db db;
  const std::string table = unique_name("progress_backlog");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  db.exec(fmt::format(R"(
CREATE TABLE {0} (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
  enqueued_at timestamptz NOT NULL, started_at timestamptz);
INSERT INTO {0} (queue, state, enqueued_at, started_at)
SELECT 'queue_' || (i % 20), CASE WHEN i % 100 = 1 THEN 'running' ELSE 'ready' END,
       now() - i * interval '1 second', CASE WHEN i % 100 = 1 THEN now() END
FROM generate_series(1, 200000) i;
CREATE INDEX ON {0} (queue, enqueued_at) WHERE state = 'ready';
CREATE INDEX ON {0} (queue, started_at) WHERE state = 'running';
ANALYZE {0};
)",
                      table));
  const auto config = load_config(yaml(table));
  const auto sql = probes::queue::build_queue_sql(config.queues.at(0), {});
  std::string queues = "{", ids = "{";
  for (int i = 0; i < 20; ++i) queues += (i ? ",queue_" : "queue_") + std::to_string(i);
  for (int i = 1; i <= 200; ++i) ids += (i > 1 ? "," : "") + std::to_string(i * 997);
  queues += "}";
  ids += "}";
  const auto now = db.scalar<std::string>("SELECT (now() - interval '15 seconds')::text");
  const std::vector<std::pair<const probes::queue::Statement*, std::vector<std::string>>>
      statements = {{&sql.tracked, {ids}}, {&sql.progress, {queues, "5", now, ids, "2500"}}};
  for (const auto& [st, runtime] : statements) {
    ASSERT_EQ(static_cast<std::size_t>(st->runtime_params), runtime.size()) << st->sql;
    std::vector<std::string> params = runtime;
    params.insert(params.end(), st->fixed_params.begin(), st->fixed_params.end());
    pqxx::work tx(db.connection());
    tx.exec("SET LOCAL plan_cache_mode = force_custom_plan");
    const auto plan = tx.exec_params1("EXPLAIN (FORMAT JSON) " + st->sql,
                                      pqxx::prepare::make_dynamic_params(params))[0]
                          .as<std::string>();
    tx.commit();
    std::vector<std::string> seq_scans;
    find_seq_scans(boost::json::parse(plan), table, seq_scans);
    EXPECT_TRUE(seq_scans.empty()) << st->sql << "\nplan:\n" << plan;
  }
}

}  // namespace
}  // namespace qw::itest
