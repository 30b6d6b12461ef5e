// probe_round_bench: what one queuewatch probe round costs the database, side by side with the
// query a postgres_exporter / sql_exporter user would write for the same dashboard.
//
// It runs the real QueueProbe through a PoolSet, exactly as the daemon does, and times each round
// from the client. It also runs the round's statements (built by the same build_queue_sql) under
// EXPLAIN (ANALYZE, BUFFERS) to read the server's own planning and execution time, heap fetches
// and buffers, so a slow round can be told apart from a slow network or client. The naive
// GROUP BY queries are timed the same two ways, interleaved with the probe in every round so
// both see the same cache state. Results are medians over --rounds after --warmup rounds.
//
// The table must have the shape bench/run-probe-bench creates (deploy/sql/demo_schema.sql's
// demo_jobs: queue, state ready/running/done/failed, enqueued_at, run_at, started_at,
// finished_at, heartbeat_at). See bench/README.md.
#include <boost/json.hpp>
#include <pqxx/pqxx>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/duration.hpp"
#include "probes/pg/pool_set.hpp"
#include "probes/pg/sql_text.hpp"
#include "probes/postgres_queue/queue_probe.hpp"
#include "probes/postgres_queue/queue_sql.hpp"

namespace {

namespace cfg = qw::config;
namespace pq = qw::probes::queue;
using Clock = std::chrono::steady_clock;
using ReadOnlyTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

constexpr const char* kNaiveCount = "SELECT queue, state, count(*) FROM public.jobs GROUP BY 1, 2";
constexpr const char* kNaiveOldest =
    "SELECT queue, min(run_at) FROM public.jobs WHERE state = 'ready' GROUP BY 1";

struct Options {
  std::string dsn;
  std::string schema = "public";
  std::string table = "jobs";
  int rounds = 21;
  int warmup = 3;
  std::int64_t count_cap = 50000;
  bool naive = true;
  double target_ms = 0;  // 0 = 20 ms, or 100 ms when the cap is reached (the backlog case)
  std::string label = "probe round";
  std::string markdown;  // append a results section here
};

[[noreturn]] void usage(const std::string& error) {
  if (!error.empty()) std::cerr << "probe_round_bench: " << error << "\n\n";
  std::cerr << R"(Usage: probe_round_bench --dsn DSN [options]

  --table NAME        the job table, [schema.]table (default public.jobs)
  --rounds N          measured rounds (default 21)
  --warmup N          rounds run first and not measured (default 3)
  --count-cap N       the source's count_cap (default 50000, as in the daemon)
  --no-naive          skip the naive GROUP BY queries
  --target-ms MS      the probe round's target, for the verdict (default 20, or 100 when a
                      count reaches the cap)
  --label TEXT        the heading of this run in the output
  --markdown FILE     append the results as a Markdown section to FILE

Run by bench/run-probe-bench, which creates the table; see bench/README.md.
)";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--dsn")
        o.dsn = value();
      else if (a == "--table") {
        const std::string t = value();
        const auto dot = t.find('.');
        if (dot == std::string::npos)
          o.table = t;
        else
          o.schema = t.substr(0, dot), o.table = t.substr(dot + 1);
      } else if (a == "--rounds")
        o.rounds = std::stoi(value());
      else if (a == "--warmup")
        o.warmup = std::stoi(value());
      else if (a == "--count-cap")
        o.count_cap = std::stoll(value());
      else if (a == "--no-naive")
        o.naive = false;
      else if (a == "--target-ms")
        o.target_ms = std::stod(value());
      else if (a == "--label")
        o.label = value();
      else if (a == "--markdown")
        o.markdown = value();
      else if (a == "-h" || a == "--help")
        usage("");
      else
        usage("unknown argument " + a);
    } catch (const std::logic_error&) {
      usage("bad number for " + a);
    }
  }
  if (o.dsn.empty()) usage("--dsn is required");
  if (o.rounds < 1 || o.warmup < 0 || o.count_cap < 1) usage("rounds and count cap must be >= 1");
  return o;
}

// The source as an operator would configure it for this table, with the daemon's defaults
// except the query timeout: a benchmark must measure a slow round, not cancel it.
cfg::Config make_config(const Options& o) {
  cfg::Config c;
  cfg::TargetConfig t;
  t.name = "bench";
  t.dsn = o.dsn;
  t.region = "bench";
  c.targets.push_back(t);

  cfg::QueueConfig q;
  q.name = o.table;
  q.target = t.name;
  q.schema = o.schema;
  q.table = o.table;
  q.queue_column = "queue";
  q.state.column = "state";
  q.state.ready = {"ready"};
  q.state.running = {"running"};
  q.state.completed = {"done"};
  q.state.failed = {"failed"};
  q.timestamps.enqueued = "enqueued_at";
  q.timestamps.run_at = "run_at";
  q.timestamps.started = "started_at";
  q.timestamps.finished = "finished_at";
  q.timestamps.heartbeat = "heartbeat_at";
  q.count_cap = o.count_cap;
  q.query_timeout = std::chrono::minutes(5);
  c.queues.push_back(q);
  return c;
}

class LastSample : public qw::probes::SampleSink {
 public:
  void publish(const qw::probes::Sample& s) override {
    if (const auto* q = std::get_if<qw::probes::QueueProbeSample>(&s)) last = *q;
  }
  qw::probes::QueueProbeSample last;
};

// What EXPLAIN (ANALYZE, BUFFERS) says about one execution.
struct ServerCost {
  double planning_ms = 0;
  double execution_ms = 0;
  double heap_fetches = 0;  // index-only scans that had to visit the heap: visibility map gaps
  double buffers = 0;       // shared blocks hit + read, the whole plan
  std::set<std::string> scans;
  double total_ms() const { return planning_ms + execution_ms; }
  ServerCost& operator+=(const ServerCost& o) {
    planning_ms += o.planning_ms;
    execution_ms += o.execution_ms;
    heap_fetches += o.heap_fetches;
    buffers += o.buffers;
    scans.insert(o.scans.begin(), o.scans.end());
    return *this;
  }
};

double number(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v ? v->to_number<double>() : 0.0;
}

void walk_plan(const boost::json::object& node, ServerCost& cost) {
  cost.heap_fetches += number(node, "Heap Fetches");
  const auto type = std::string(node.at("Node Type").as_string());
  if (type.find("Scan") != std::string::npos && type != "Function Scan" &&
      type != "Subquery Scan" && type != "CTE Scan" && type != "WorkTable Scan") {
    std::string scan = type;
    if (const auto* idx = node.if_contains("Index Name"))
      scan += " using " + std::string(idx->as_string());
    else if (const auto* rel = node.if_contains("Relation Name"))
      scan += " on " + std::string(rel->as_string());
    cost.scans.insert(scan);
  }
  if (const auto* plans = node.if_contains("Plans"))
    for (const auto& child : plans->as_array()) walk_plan(child.as_object(), cost);
}

ServerCost explain(pqxx::transaction_base& tx, const std::string& sql,
                   const std::vector<std::string>& params) {
  const auto r = tx.exec_params("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) " + sql,
                                pqxx::prepare::make_dynamic_params(params));
  const auto doc = boost::json::parse(r[0][0].c_str()).as_array().at(0).as_object();
  ServerCost cost;
  cost.planning_ms = number(doc, "Planning Time");
  cost.execution_ms = number(doc, "Execution Time");
  const auto& plan = doc.at("Plan").as_object();
  cost.buffers = number(plan, "Shared Hit Blocks") + number(plan, "Shared Read Blocks");
  walk_plan(plan, cost);
  return cost;
}

std::vector<std::string> with_fixed(std::vector<std::string> runtime, const pq::Statement& st) {
  runtime.insert(runtime.end(), st.fixed_params.begin(), st.fixed_params.end());
  return runtime;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Per-measure series over the measured rounds.
struct Series {
  std::vector<double> wall_ms, server_ms, heap_fetches, buffers;
  std::set<std::string> scans;
  void add(std::optional<double> wall, const ServerCost& c) {
    if (wall) wall_ms.push_back(*wall);
    server_ms.push_back(c.total_ms());
    heap_fetches.push_back(c.heap_fetches);
    buffers.push_back(c.buffers);
    scans = c.scans;
  }
};

std::string fmt_ms(double ms) {
  return ms >= 100 ? fmt::format("{:.0f}", ms) : fmt::format("{:.2f}", ms);
}

}  // namespace

int run(const Options& opt);

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::cerr << "probe_round_bench: " << e.what() << "\n";
    return 1;
  }
}

int run(const Options& opt) {
  spdlog::set_level(spdlog::level::warn);
  const cfg::Config config = make_config(opt);
  const cfg::QueueConfig& source = config.queues.front();
  const auto interval = config.probes.queue.interval;

  qw::probes::pg::PoolSet pools(config);
  auto probes = pq::make_queue_probes(config);
  auto& probe = *probes.front();
  qw::probes::ProbeContext ctx{pools.get(source.target)};
  LastSample sink;

  // The server-side measurements use their own connection, set up as the pool sets up its own
  // (target_pool.cpp kSessionSetup): custom plans, so bound state values match partial indexes;
  // no JIT. The naive queries get the same settings, which only flatters them (no JIT compile).
  pqxx::connection conn(opt.dsn);
  {
    pqxx::nontransaction tx(conn);
    tx.exec("SET plan_cache_mode = force_custom_plan; SET jit = off");
  }
  pq::ColumnTypes types;  // text queue, timestamptz stamps: the benchmark table's types
  const pq::QueueSql sql = pq::build_queue_sql(source, types);
  const std::string settle_ms = std::to_string(source.settle_delay.count());
  const std::string window_start_ms = std::to_string((source.settle_delay + interval).count());

  Series round, watermark, completions, snapshot, discovery, naive_count, naive_oldest;
  std::int64_t ready_seen = 0, running_seen = 0;
  std::size_t queues_seen = 0;
  bool capped = false;

  std::cout << "== " << opt.label << ": " << opt.warmup << " warm-up + " << opt.rounds << " rounds"
            << std::endl;
  for (int r = 0; r < opt.warmup + opt.rounds; ++r) {
    const bool measured = r >= opt.warmup;

    // 1. The probe round, as the daemon runs it. The first one inspects the schema and
    // discovers the queues; warm-up rounds absorb that.
    const auto start = Clock::now();
    probe.run(ctx, sink);
    const double wall = ms_since(start);
    if (!sink.last.ok) {
      std::cerr << "probe_round_bench: the probe failed: " << sink.last.detail << "\n";
      return 1;
    }
    std::vector<std::string> names;
    ready_seen = running_seen = 0;
    capped = false;
    for (const auto& q : sink.last.queues) {
      names.push_back(q.queue);
      ready_seen += q.ready;
      running_seen += q.running;
      capped = capped || q.ready_capped || q.running_capped;
    }
    queues_seen = names.size();

    // 2. The same statements under EXPLAIN ANALYZE, in the same kind of transaction. The
    // completions window is one probe interval long, as in the daemon between two rounds.
    ServerCost w, c, s, d;
    {
      ReadOnlyTx tx(conn);
      w = explain(tx, sql.watermark.sql, with_fixed({settle_ms}, sql.watermark));
      const auto upper = tx.exec_params1(sql.watermark.sql, settle_ms)[0].as<std::string>();
      const auto lower = tx.exec_params1(sql.watermark.sql, window_start_ms)[0].as<std::string>();
      c = explain(tx, sql.completions.sql, with_fixed({lower, upper}, sql.completions));
      // The probe binds per-queue stuck thresholds (the defaults: 30 min, 5 min) and each
      // queue's share of the count budget, exactly as QueueProbe::observe does.
      const std::vector<std::string> stuck_after(names.size(), "1800"),
          heartbeat_timeout(names.size(), "300");
      s = explain(
          tx, sql.snapshot.sql,
          with_fixed(
              {qw::probes::pg::array_literal(names), qw::probes::pg::array_literal(stuck_after),
               qw::probes::pg::array_literal(heartbeat_timeout),
               std::to_string(pq::per_queue_count_limit(source.count_cap, names.size()))},
              sql.snapshot));
      d = explain(tx, sql.discovery.sql, with_fixed({}, sql.discovery));
      tx.commit();
    }
    ServerCost whole = w;
    whole += c;
    whole += s;

    // 3. The naive queries: wall time, then EXPLAIN ANALYZE.
    std::optional<double> naive_wall, oldest_wall;
    ServerCost nc, no;
    if (opt.naive) {
      ReadOnlyTx tx(conn);
      auto t0 = Clock::now();
      tx.exec(kNaiveCount);
      naive_wall = ms_since(t0);
      t0 = Clock::now();
      tx.exec(kNaiveOldest);
      oldest_wall = ms_since(t0);
      nc = explain(tx, kNaiveCount, {});
      no = explain(tx, kNaiveOldest, {});
      tx.commit();
    }

    if (measured) {
      round.add(wall, whole);
      watermark.add(std::nullopt, w);
      completions.add(std::nullopt, c);
      snapshot.add(std::nullopt, s);
      discovery.add(std::nullopt, d);
      if (opt.naive) {
        naive_count.add(naive_wall, nc);
        naive_oldest.add(oldest_wall, no);
      }
    }
    std::cout << fmt::format("  round {:2}{} probe {:>8} ms (server {:>8} ms){}", r + 1,
                             measured ? " " : "*", fmt_ms(wall), fmt_ms(whole.total_ms()),
                             opt.naive ? fmt::format("   naive count {:>6} ms, oldest {:>6} ms",
                                                     fmt_ms(*naive_wall), fmt_ms(*oldest_wall))
                                       : "")
              << std::endl;
  }

  // 4. The warm start's history read, which a daemon runs once per start (and not at all with
  // restored baselines): the one statement whose cost grows with the finished rows kept. Three
  // runs, with the default lookback.
  Series history;
  std::size_t history_rows = 0;
  for (int r = 0; r < 3; ++r) {
    ReadOnlyTx tx(conn);
    const auto until = tx.exec(sql.hour_now.sql)[0][0].as<std::int64_t>();
    const auto lookback =
        std::chrono::duration_cast<std::chrono::seconds>(source.warm_start.lookback).count();
    const auto params =
        with_fixed({std::to_string(until - lookback), std::to_string(until)}, sql.history);
    const auto t0 = Clock::now();
    history_rows =
        tx.exec_params(sql.history.sql, pqxx::prepare::make_dynamic_params(params)).size();
    const double wall = ms_since(t0);
    history.add(wall, explain(tx, sql.history.sql, params));
    tx.commit();
  }
  std::cout << fmt::format("  warm start: {} ms, {} queue-hours", fmt_ms(median(history.wall_ms)),
                           history_rows)
            << std::endl;

  // --- report --------------------------------------------------------------------------------
  struct Row {
    std::string what;
    const Series* s;
  };
  const std::vector<Row> rows_out = [&] {
    std::vector<Row> v{
        {"**queuewatch probe round** (watermark + completions + snapshot)", &round},
        {"  · watermark", &watermark},
        {fmt::format("  · completions ({} s window)", interval.count() / 1000), &completions},
        {fmt::format("  · snapshot ({} queues)", queues_seen), &snapshot},
        {"queuewatch discovery (once a minute, not in the round)", &discovery},
        {fmt::format("queuewatch warm start (once per start; {} lookback, {} queue-hours)",
                     cfg::format_duration(source.warm_start.lookback), history_rows),
         &history},
    };
    if (opt.naive) {
      v.push_back(
          {"naive: `SELECT queue, state, count(*) ... GROUP BY queue, state`", &naive_count});
      v.push_back({"naive: `SELECT queue, min(run_at) ... WHERE state='ready' GROUP BY queue`",
                   &naive_oldest});
    }
    return v;
  }();

  const double round_wall = median(round.wall_ms);
  const double round_server = median(round.server_ms);
  const double target = opt.target_ms > 0 ? opt.target_ms : (capped ? 100.0 : 20.0);
  std::string md = fmt::format(
      "\n### {}\n\nMedians of {} rounds after {} warm-up. The probe saw {} queues, {} ready{} and "
      "{} running jobs (count_cap {}).\n\n"
      "| query | client wall ms | server ms (plan + exec) | heap fetches | shared buffers |\n"
      "|---|--:|--:|--:|--:|\n",
      opt.label, opt.rounds, opt.warmup, queues_seen, ready_seen, capped ? " (capped)" : "",
      running_seen, opt.count_cap);
  for (const auto& row : rows_out)
    md += fmt::format("| {} | {} | {} | {:.0f} | {:.0f} |\n", row.what,
                      row.s->wall_ms.empty() ? "" : fmt_ms(median(row.s->wall_ms)),
                      fmt_ms(median(row.s->server_ms)), median(row.s->heap_fetches),
                      median(row.s->buffers));
  md += "\n";
  md += fmt::format(
      "- probe round: **{} ms** client wall, {} ms on the server; target < {:.0f} ms: "
      "**{}**\n",
      fmt_ms(round_wall), fmt_ms(round_server), target, round_wall < target ? "met" : "MISSED");
  if (opt.naive) {
    const double ratio_wall = median(naive_count.wall_ms) / round_wall;
    const double ratio_server = median(naive_count.server_ms) / round_server;
    const double ratio_both =
        (median(naive_count.wall_ms) + median(naive_oldest.wall_ms)) / round_wall;
    md += fmt::format(
        "- naive count / probe round: **{:.0f}x** client wall, {:.0f}x server; with the naive "
        "oldest-age query too: {:.0f}x; target >= 50x: **{}**\n",
        ratio_wall, ratio_server, ratio_both, ratio_wall >= 50 ? "met" : "MISSED");
  }
  md += "- plans: ";
  std::string sep;
  for (const auto& [name, s] :
       std::vector<std::pair<std::string, const Series*>>{{"completions", &completions},
                                                          {"snapshot", &snapshot},
                                                          {"discovery", &discovery},
                                                          {"warm start", &history}}) {
    std::string scans;
    for (const auto& x : s->scans) scans += (scans.empty() ? "" : ", ") + x;
    md += sep + name + ": " + scans;
    sep = "; ";
  }
  if (opt.naive) {
    std::string scans;
    for (const auto& x : naive_count.scans) scans += (scans.empty() ? "" : ", ") + x;
    md += "; naive count: " + scans;
  }
  md += "\n";

  std::cout << md << std::flush;
  if (!opt.markdown.empty()) {
    std::ofstream out(opt.markdown, std::ios::app);
    out << md;
    if (!out) {
      std::cerr << "probe_round_bench: cannot write " << opt.markdown << "\n";
      return 1;
    }
  }
  return 0;
}
