// Warm start against a real table: the queue probe reads completions per hour from the kept rows
// once, after its first good round, and only when the sink asks for them. Hours come from the
// database clock, for timestamptz and naive UTC columns alike.
#include <fmt/format.h>

#include <map>

#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

// A sink that answers wants_history as told, in turn (the last answer repeats), and counts the
// questions.
class HistorySink : public CollectingSink {
 public:
  explicit HistorySink(std::vector<probes::HistoryAnswer> answers) : answers_(std::move(answers)) {}
  probes::HistoryAnswer wants_history(const std::string&, const std::string&) override {
    const std::size_t i =
        std::min<std::size_t>(static_cast<std::size_t>(asked), answers_.size() - 1);
    ++asked;
    return answers_[i];
  }
  int asked = 0;

 private:
  std::vector<probes::HistoryAnswer> answers_;
};

using probes::HistoryAnswer;

struct Rig {
  config::Config config;
  probes::pg::PoolSet pools;
  probes::ProbeList probes;
  explicit Rig(const std::string& yaml)
      : config(load_config(yaml)),
        pools(config),
        probes(probes::queue::make_queue_probes(config)) {}
  std::vector<probes::Sample> run(HistorySink& sink) {
    probes::ProbeContext ctx{pools.get("db")};
    probes.at(0)->run(ctx, sink);
    return sink.samples();
  }
};

std::string yaml_for(const std::string& table, const std::string& ts_kind,
                     const std::string& warm_start, const std::string& extra = "") {
  return fmt::format(R"(
targets:
{}
queues:
  - name: src
    target: db
    table: {}
    queue_column: queue
    state: {{column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}}
    timestamps: {{type: {}, enqueued: enqueued_at, finished: finished_at}}
    completed_rows: kept
    warm_start: {}
{})",
                     target_yaml("db", test_dsn()), table, ts_kind, warm_start, extra);
}

// A job table whose timestamps are of SQL type `ts_type`.
void create_table(Db& db, const std::string& table, const std::string& ts_type = "timestamptz") {
  db.exec(fmt::format(
      "CREATE TABLE {0} (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL, "
      "enqueued_at {1} NOT NULL, finished_at {1})",
      table, ts_type));
}

// hour offset (relative to the current hour's start) -> queue -> completed jobs, as inserted.
using Scenario = std::map<int, std::map<std::string, int>>;

void insert_rows(Db& db, const std::string& table, const std::string& hour_now_sql, int offset,
                 const std::string& queue, const std::string& state, int n) {
  // Ten minutes into the hour: well inside it whatever the rounding.
  db.exec(fmt::format(
      "INSERT INTO {0} (queue, state, enqueued_at, finished_at) SELECT '{1}', '{2}', t, t "
      "FROM generate_series(1, {3}), LATERAL (SELECT {4} + make_interval(hours => {5}, mins "
      "=> 10)) AS x(t)",
      table, queue, state, n, hour_now_sql, offset));
}

// `ts_type` is the SQL column type; `kind` the mapping's timestamps.type for it.
void check_history(const std::string& ts_type, const std::string& kind,
                   const std::string& hour_now_sql) {
  Db db;
  const std::string table = unique_name("warm_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  create_table(db, table, ts_type);
  const Scenario done = {{-30, {{"a", 4}}}, {-3, {{"a", 5}}}, {-1, {{"a", 7}, {"b", 2}}}};
  for (const auto& [offset, queues] : done)
    for (const auto& [queue, n] : queues)
      insert_rows(db, table, hour_now_sql, offset, queue, "done", n);
  // Not counted: failures, work still waiting, the hour in progress, and rows older than the
  // two-day lookback.
  insert_rows(db, table, hour_now_sql, -1, "a", "failed", 3);
  insert_rows(db, table, hour_now_sql, -1, "a", "ready", 1);
  insert_rows(db, table, hour_now_sql, 0, "a", "done", 6);
  insert_rows(db, table, hour_now_sql, -60, "a", "done", 8);

  Rig rig(yaml_for(table, kind, "{lookback: 2d}"));
  HistorySink sink({HistoryAnswer::yes});
  const auto samples = rig.run(sink);
  ASSERT_EQ(samples.size(), 2u) << "a round, then the history";
  ASSERT_TRUE(std::get_if<probes::QueueProbeSample>(&samples[0]));
  const auto* h = std::get_if<probes::QueueHistorySample>(&samples[1]);
  ASSERT_TRUE(h);
  ASSERT_TRUE(h->ok) << h->detail;
  EXPECT_EQ(h->source, "src");
  const auto until =
      db.scalar<std::int64_t>("SELECT (floor(EXTRACT(EPOCH FROM now()) / 3600) * 3600)::bigint");
  // The hour may turn between the probe's read and ours; then the scenario moved with it.
  if (h->until != until) GTEST_SKIP() << "the hour turned during the test; rerun";

  std::map<std::pair<std::int64_t, std::string>, std::uint64_t> got;
  for (const auto& row : h->hours) got[{row.hour_start, row.queue}] = row.completed;
  std::map<std::pair<std::int64_t, std::string>, std::uint64_t> want;
  for (const auto& [offset, queues] : done)
    for (const auto& [queue, n] : queues)
      want[{until + offset * 3600LL, queue}] = static_cast<std::uint64_t>(n);
  EXPECT_EQ(got, want);

  // Asked once: later rounds neither ask nor read again.
  rig.run(sink);
  EXPECT_EQ(sink.asked, 1);
  EXPECT_EQ(sink.samples().size(), 3u);
}

TEST(WarmStart, ReadsCompletionsPerHourFromTimestamptzRows) {
  check_history("timestamptz", "timestamptz", "date_trunc('hour', now())");
}

TEST(WarmStart, ReadsCompletionsPerHourFromNaiveUtcRows) {
  check_history("timestamp", "timestamp_utc", "date_trunc('hour', now() AT TIME ZONE 'UTC')");
}

TEST(WarmStart, NotReadWhenTheRulesAlreadyHaveHistoryOrItIsDisabled) {
  Db db;
  const std::string table = unique_name("warm_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  create_table(db, table);
  {
    Rig rig(yaml_for(table, "timestamptz", "true"));
    HistorySink sink({HistoryAnswer::no});  // baselines restored from the state directory
    EXPECT_EQ(rig.run(sink).size(), 1u);
    EXPECT_EQ(sink.asked, 1);
  }
  {
    Rig rig(yaml_for(table, "timestamptz", "false"));
    HistorySink sink({HistoryAnswer::yes});
    EXPECT_EQ(rig.run(sink).size(), 1u);
    EXPECT_EQ(sink.asked, 0);
  }
}

// Another source of the target is reading: "later" makes the probe ask again the next round,
// and read then. A source with a fixed queue list reads only its own queues.
TEST(WarmStart, WaitsItsTurnAndReadsOnlyTheSourcesQueues) {
  Db db;
  const std::string table = unique_name("warm_jobs");
  Cleanup drop("DROP TABLE IF EXISTS " + table);
  create_table(db, table);
  const std::string hour = "date_trunc('hour', now())";
  insert_rows(db, table, hour, -2, "mine", "done", 3);
  insert_rows(db, table, hour, -2, "theirs", "done", 5);

  Rig rig(yaml_for(table, "timestamptz", "true", "    queue_names: [mine]\n"));
  HistorySink sink({HistoryAnswer::later, HistoryAnswer::yes});
  EXPECT_EQ(rig.run(sink).size(), 1u) << "told to wait: no read yet";
  const auto samples = rig.run(sink);
  ASSERT_EQ(samples.size(), 3u) << "asked again, and read";
  const auto* h = std::get_if<probes::QueueHistorySample>(&samples[2]);
  ASSERT_TRUE(h);
  ASSERT_TRUE(h->ok) << h->detail;
  ASSERT_EQ(h->hours.size(), 1u);
  EXPECT_EQ(h->hours[0].queue, "mine");
  EXPECT_EQ(h->hours[0].completed, 3u);
  EXPECT_EQ(sink.asked, 2);
}

}  // namespace
}  // namespace qw::itest
