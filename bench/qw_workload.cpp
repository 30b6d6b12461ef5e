// qw_workload: a demo job-queue workload on PostgreSQL, for scripts/demo, benchmarks and tests.
//
// It enqueues jobs into the tables of deploy/sql/demo_schema.sql at rates that drift over time,
// and runs simulated workers that claim, heartbeat and finish them the way real queue libraries
// do (UPDATE ... FOR UPDATE SKIP LOCKED). With --chaos on it also misbehaves on purpose: a
// queue's workers stall for a while, and now and then a job is claimed and abandoned. Every chaos
// event is logged so the person watching queuewatch knows what it should be showing.
//
// Connections are bounded (one per worker pool plus one producer), every statement has a
// statement_timeout, and every thread reconnects with backoff: tests stop PostgreSQL under it.
//
// The generator re-reads public.demo_control every second, so a test can steer it with SQL:
//   UPDATE demo_control SET workers_paused = true WHERE queue = 'billing';
//   UPDATE demo_control SET produce_per_second = 0;  -- NULL restores the built-in rate
//   UPDATE demo_control SET claims_per_second = 0.1 WHERE queue = 'emails';  -- a trickle
#include <pqxx/pqxx>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "demo_schema_sql.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;
using namespace std::chrono_literals;

constexpr double kPi = 3.14159265358979323846;

// ---------------------------------------------------------------------------------------------
// The demo queues. Rates and durations are chosen so each queue is comfortably served on
// average (slots * 1/mean_seconds > peak rate), so backlogs appear only when chaos strikes.

enum class Table { jobs, deleted_jobs };

struct QueueSpec {
  std::string_view name;
  Table table;
  double jobs_per_second;   // average enqueue rate; the actual rate drifts around it
  double mean_job_seconds;  // simulated work time
  int slots;                // concurrent jobs one worker pool runs
  double scheduled_share;   // share of jobs enqueued with run_at in the future
};

constexpr std::array kQueues{
    QueueSpec{"emails", Table::jobs, 5.0, 0.3, 6, 0.10},
    QueueSpec{"billing", Table::jobs, 1.0, 1.5, 4, 0.0},
    QueueSpec{"reports", Table::jobs, 0.2, 30.0, 12, 0.0},
    QueueSpec{"webhooks", Table::jobs, 3.0, 0.8, 8, 0.05},
    QueueSpec{"demo_deleted", Table::deleted_jobs, 2.0, 0.5, 4, 0.0},
};
constexpr std::size_t kQueueCount = kQueues.size();

constexpr double kFailureShare = 0.03;
constexpr auto kHeartbeatEvery = 5s;
// Like River's rescuer or Oban's Lifeline: a running job whose worker is gone (no heartbeat, or
// on the heartbeat-less table running this long) is handed back to ready, so the stuck jobs that
// chaos makes fire their alert (heartbeat 45 s, running 2 min in the demo config) and then
// resolve.
constexpr auto kRescueAfter = 180s;
constexpr auto kRescueEvery = 10s;
constexpr auto kIdlePoll = 100ms;   // how soon an idle worker pool looks for new jobs again
constexpr auto kRatePeriod = 300s;  // the slow sine the enqueue rate follows
constexpr double kRateSwing = 0.6;  // rate varies between (1 - swing) and (1 + swing) x average
constexpr auto kMinBackoff = 100ms;
constexpr auto kMaxBackoff = 5s;
constexpr auto kRetention = 1h;  // finished demo_jobs rows older than this are pruned

// ---------------------------------------------------------------------------------------------
// State shared between threads. Everything is an atomic: readers tolerate a value that is one
// tick old, and no invariant spans two fields.

struct QueueState {
  // From demo_control (refreshed by the producer every second).
  std::atomic<bool> paused_by_sql{false};
  std::atomic<double> rate_override{std::numeric_limits<double>::quiet_NaN()};
  // Workers claim at most this many jobs per second (NaN: no limit): wedged workers but for
  // one, a trickle rather than a stall. next_claim is the earliest Clock tick of the next claim.
  std::atomic<double> claims_per_second{std::numeric_limits<double>::quiet_NaN()};
  std::atomic<Clock::rep> next_claim{0};
  // From the chaos controller.
  std::atomic<Clock::rep> stalled_until{0};  // Clock ticks; 0 = not stalled
  std::atomic<bool> abandon_next{false};
  // Counters for the periodic summary.
  std::atomic<std::uint64_t> enqueued{0}, done{0}, failed{0}, abandoned{0};

  bool paused(Clock::time_point now) const {
    return paused_by_sql.load() || now.time_since_epoch().count() < stalled_until.load();
  }
};

std::array<QueueState, kQueueCount> g_state;

// Stop flag with an interruptible sleep, so shutdown does not wait for a backoff to expire.
class Stopper {
 public:
  void stop() {
    {
      std::lock_guard lock{mutex_};
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() {
    std::lock_guard lock{mutex_};
    return stopped_;
  }
  // Returns false when stopped.
  template <typename Duration>
  bool sleep_for(Duration d) {
    std::unique_lock lock{mutex_};
    return !cv_.wait_for(lock, d, [this] { return stopped_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

Stopper g_stopper;

// ---------------------------------------------------------------------------------------------
// A connection that reconnects on demand. Any failure drops it; the next use reconnects after
// an exponential backoff, so a PostgreSQL restart costs a few log lines and no crash.

class Db {
 public:
  Db(std::string dsn, std::string who) : dsn_{std::move(dsn)}, who_{std::move(who)} {}

  // Returns the connection, or nullptr after a failed attempt (the backoff has been slept).
  pqxx::connection* get() {
    if (conn_) return conn_.get();
    try {
      auto conn = std::make_unique<pqxx::connection>(dsn_);
      pqxx::nontransaction tx{*conn};
      // Bounded statements: a stuck lock or a hung server never hangs the generator.
      tx.exec("SET statement_timeout = '5s'; SET lock_timeout = '2s'");
      conn_ = std::move(conn);
      if (failing_) spdlog::info("{}: reconnected to PostgreSQL", who_);
      failing_ = false;
      backoff_ = kMinBackoff;
      return conn_.get();
    } catch (const std::exception& e) {
      note_failure(e);
      return nullptr;
    }
  }

  // Drops the connection after an error; sleeps the backoff.
  void fail(const std::exception& e) {
    conn_.reset();
    note_failure(e);
  }

 private:
  void note_failure(const std::exception& e) {
    // One warning per outage, not one per retry.
    if (!failing_)
      spdlog::warn("{}: database error, retrying with backoff: {}", who_, trim(e.what()));
    failing_ = true;
    g_stopper.sleep_for(backoff_);
    backoff_ = std::min<std::chrono::milliseconds>(kMaxBackoff, backoff_ * 2);
  }

  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  std::string dsn_;
  std::string who_;
  std::unique_ptr<pqxx::connection> conn_;
  std::chrono::milliseconds backoff_ = kMinBackoff;
  bool failing_ = false;
};

// ---------------------------------------------------------------------------------------------
// Producer: enqueues every queue's jobs, reads demo_control, prunes old rows.

double drifting_rate(std::size_t q, Clock::time_point start, Clock::time_point now) {
  const double override_rate = g_state[q].rate_override.load();
  if (!std::isnan(override_rate)) return override_rate;
  const double t = Seconds{now - start}.count() / Seconds{kRatePeriod}.count();
  const double phase = 2 * kPi * static_cast<double>(q) / static_cast<double>(kQueueCount);
  return kQueues[q].jobs_per_second * (1.0 + kRateSwing * std::sin(2 * kPi * t + phase));
}

void enqueue(pqxx::connection& conn, const QueueSpec& spec, int count) {
  pqxx::nontransaction tx{conn};
  if (spec.table == Table::jobs) {
    tx.exec_params(
        "INSERT INTO public.demo_jobs (queue, state, run_at, payload) "
        "SELECT $1, 'ready', "
        "       CASE WHEN random() < $3::float8 "
        "            THEN now() + (5 + random() * 55) * interval '1 second' ELSE now() END, "
        "       jsonb_build_object('attempt', 1, 'n', g) "
        "FROM generate_series(1, $2::int) AS g",
        std::string{spec.name}, count, spec.scheduled_share);
  } else {
    tx.exec_params(
        "INSERT INTO public.demo_deleted_jobs (queue, state) "
        "SELECT $1, 'ready' FROM generate_series(1, $2::int)",
        std::string{spec.name}, count);
  }
}

void read_control(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  const auto rows = tx.exec(
      "SELECT queue, workers_paused, produce_per_second, claims_per_second "
      "FROM public.demo_control");
  for (std::size_t q = 0; q < kQueueCount; ++q) {
    bool paused = false;
    double rate = std::numeric_limits<double>::quiet_NaN();
    double claims = std::numeric_limits<double>::quiet_NaN();
    for (const auto& row : rows) {
      if (row[0].as<std::string>() != kQueues[q].name) continue;
      paused = row[1].as<bool>();
      if (!row[2].is_null()) rate = row[2].as<double>();
      if (!row[3].is_null()) claims = row[3].as<double>();
    }
    if (std::isnan(g_state[q].claims_per_second.exchange(claims)) != std::isnan(claims))
      spdlog::info("control: workers of '{}' {} by demo_control", kQueues[q].name,
                   std::isnan(claims) ? "unthrottled" : fmt::format("throttled to {}/s", claims));
    if (g_state[q].paused_by_sql.exchange(paused) != paused)
      spdlog::info("control: workers of '{}' {} by demo_control", kQueues[q].name,
                   paused ? "paused" : "resumed");
    g_state[q].rate_override.store(rate);
  }
}

void prune(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  const auto keep = std::to_string(std::chrono::seconds{kRetention}.count());
  tx.exec(
      "DELETE FROM public.demo_jobs WHERE state IN ('done', 'failed') AND finished_at < now() - "
      "interval '" +
      keep + " seconds'");
  tx.exec(
      "DELETE FROM public.demo_deleted_jobs WHERE state = 'failed' AND enqueued_at < now() - "
      "interval '" +
      keep + " seconds'");
}

void run_producer(const std::string& dsn, std::uint64_t seed) {
  Db db{dsn, "producer"};
  std::mt19937_64 rng{seed};
  const auto start = Clock::now();
  auto last_tick = start;
  auto next_control = start;
  auto next_prune = start + 60s;
  while (!g_stopper.stopped()) {
    pqxx::connection* conn = db.get();
    if (!conn) continue;
    try {
      const auto now = Clock::now();
      if (now >= next_control) {
        read_control(*conn);
        next_control = now + 1s;
      }
      if (now >= next_prune) {
        prune(*conn);
        next_prune = now + 60s;
      }
      // Poisson arrivals over the elapsed tick. If the database was down, the missed jobs are
      // not made up for: a real producer would have failed those requests.
      const double dt = std::min(1.0, Seconds{now - last_tick}.count());
      last_tick = now;
      for (std::size_t q = 0; q < kQueueCount; ++q) {
        const double lambda = drifting_rate(q, start, now) * dt;
        if (lambda <= 0) continue;
        const int count = std::poisson_distribution<int>{lambda}(rng);
        if (count == 0) continue;
        enqueue(*conn, kQueues[q], count);
        g_state[q].enqueued += static_cast<std::uint64_t>(count);
      }
    } catch (const std::exception& e) {
      db.fail(e);
      continue;
    }
    g_stopper.sleep_for(100ms);
  }
}

// ---------------------------------------------------------------------------------------------
// Worker pool: one connection and one thread per queue, running up to `slots` simulated jobs
// at once. Work is simulated by a due time, so the pool never blocks on a job.

struct Job {
  std::int64_t id;
  Clock::time_point due;
  Clock::time_point next_heartbeat;
  bool fails;
};

class WorkerPool {
 public:
  WorkerPool(const std::string& dsn, std::size_t q, std::uint64_t seed)
      : q_{q}, spec_{kQueues[q]}, db_{dsn, fmt::format("workers[{}]", spec_.name)}, rng_{seed} {}

  void run() {
    while (!g_stopper.stopped()) {
      pqxx::connection* conn = db_.get();
      if (!conn) continue;
      try {
        const auto wake = step(*conn);
        g_stopper.sleep_for(std::max<Clock::duration>(wake - Clock::now(), 1ms));
      } catch (const std::exception& e) {
        db_.fail(e);
      }
    }
    release_all();
  }

 private:
  // Finishes due jobs, heartbeats long ones, claims new ones; returns when to run again.
  Clock::time_point step(pqxx::connection& conn) {
    auto now = Clock::now();
    // Erase only after the statement succeeded: if the connection drops, the job is retried.
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (it->due > now) {
        ++it;
        continue;
      }
      finish(conn, *it);
      (it->fails ? g_state[q_].failed : g_state[q_].done) += 1;
      it = jobs_.erase(it);
    }
    if (now >= next_rescue_) {
      rescue(conn);
      next_rescue_ = now + kRescueEvery;
    }
    for (auto& job : jobs_) {
      if (job.next_heartbeat > now) continue;
      heartbeat(conn, job.id);
      job.next_heartbeat = now + kHeartbeatEvery;
    }
    bool queue_empty = false;
    bool throttled = false;
    while (!g_state[q_].paused(now) && jobs_.size() < static_cast<std::size_t>(spec_.slots)) {
      if (!claim_allowed(now)) {
        throttled = true;
        break;
      }
      const auto id = claim(conn);
      if (!id) {
        queue_empty = true;
        break;
      }
      now = Clock::now();
      if (g_state[q_].abandon_next.exchange(false)) {
        // Chaos: the worker "dies" holding the job; nobody finishes or heartbeats it again.
        g_state[q_].abandoned += 1;
        spdlog::warn(
            "chaos: job {} of queue '{}' was claimed and abandoned: it stays running with no "
            "heartbeat (a stuck job)",
            *id, spec_.name);
        continue;
      }
      jobs_.push_back(Job{*id, now + job_duration(), now + kHeartbeatEvery,
                          std::bernoulli_distribution{kFailureShare}(rng_)});
    }
    auto wake = now + (queue_empty || jobs_.size() >= static_cast<std::size_t>(spec_.slots)
                           ? kIdlePoll
                           : Clock::duration::zero());
    if (g_state[q_].paused(now) || throttled) wake = now + kIdlePoll;
    for (const auto& job : jobs_) wake = std::min({wake, job.due, job.next_heartbeat});
    return wake;
  }

  // The throttle: one claim per 1/claims_per_second, shared by the queue's pool.
  bool claim_allowed(Clock::time_point now) {
    const double per_second = g_state[q_].claims_per_second.load();
    if (std::isnan(per_second)) return true;
    if (now.time_since_epoch().count() < g_state[q_].next_claim.load()) return false;
    const auto gap = std::chrono::duration_cast<Clock::duration>(Seconds{1 / per_second});
    g_state[q_].next_claim.store((now + gap).time_since_epoch().count());
    return true;
  }

  Clock::duration job_duration() {
    // Log-normal: most jobs near the mean, a long tail of slow ones, as in real queues.
    constexpr double sigma = 0.6;
    const double mu = std::log(spec_.mean_job_seconds) - sigma * sigma / 2;
    const double seconds = std::lognormal_distribution<double>{mu, sigma}(rng_);
    return std::chrono::duration_cast<Clock::duration>(Seconds{seconds});
  }

  std::optional<std::int64_t> claim(pqxx::connection& conn) {
    pqxx::nontransaction tx{conn};
    const pqxx::result r =
        spec_.table == Table::jobs
            ? tx.exec_params(
                  "UPDATE public.demo_jobs SET state = 'running', started_at = now(), "
                  "heartbeat_at = now() "
                  "WHERE id = (SELECT id FROM public.demo_jobs "
                  "            WHERE queue = $1 AND state = 'ready' AND run_at <= now() "
                  "            ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                  "RETURNING id",
                  std::string{spec_.name})
            : tx.exec(
                  "UPDATE public.demo_deleted_jobs SET state = 'running', started_at = now() "
                  "WHERE id = (SELECT id FROM public.demo_deleted_jobs WHERE state = 'ready' "
                  "            ORDER BY enqueued_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                  "RETURNING id");
    if (r.empty()) return std::nullopt;
    return r[0][0].as<std::int64_t>();
  }

  void rescue(pqxx::connection& conn) {
    const auto after = std::chrono::duration_cast<std::chrono::seconds>(kRescueAfter).count();
    pqxx::nontransaction tx{conn};
    const pqxx::result r =
        spec_.table == Table::jobs
            ? tx.exec_params(
                  "UPDATE public.demo_jobs SET state = 'ready', started_at = NULL, "
                  "heartbeat_at = NULL WHERE queue = $1 AND state = 'running' "
                  "AND heartbeat_at < now() - make_interval(secs => $2) RETURNING id",
                  std::string{spec_.name}, after)
            : tx.exec_params(
                  "UPDATE public.demo_deleted_jobs SET state = 'ready', started_at = NULL "
                  "WHERE state = 'running' AND started_at < now() - make_interval(secs => $1) "
                  "RETURNING id",
                  after);
    for (const auto& row : r) {
      spdlog::info(
          "rescuer: job {} of queue '{}' lost its worker over {} s ago: back to ready, as "
          "River's rescuer or Oban's Lifeline would (its stuck_in_progress alert resolves)",
          row[0].as<std::int64_t>(), spec_.name, after);
    }
  }

  void heartbeat(pqxx::connection& conn, std::int64_t id) {
    if (spec_.table != Table::jobs) return;  // demo_deleted_jobs has no heartbeat column
    pqxx::nontransaction tx{conn};
    tx.exec_params(
        "UPDATE public.demo_jobs SET heartbeat_at = now() WHERE id = $1 AND state = 'running'", id);
  }

  void finish(pqxx::connection& conn, const Job& job) {
    pqxx::nontransaction tx{conn};
    if (spec_.table == Table::jobs) {
      tx.exec_params(
          "UPDATE public.demo_jobs SET state = $2, finished_at = now() "
          "WHERE id = $1 AND state = 'running'",
          job.id, job.fails ? "failed" : "done");
    } else if (job.fails) {
      tx.exec_params("UPDATE public.demo_deleted_jobs SET state = 'failed' WHERE id = $1", job.id);
    } else {
      // This table's completed jobs are deleted, as many queue libraries do.
      tx.exec_params("DELETE FROM public.demo_deleted_jobs WHERE id = $1", job.id);
    }
  }

  // On shutdown, hand unfinished jobs back as a well-behaved worker would, so a stopped
  // generator leaves no "stuck" jobs that it did not announce. Best effort: no retry.
  void release_all() {
    if (jobs_.empty()) return;
    pqxx::connection* conn = db_.get();
    if (!conn) return;
    try {
      for (const auto& job : jobs_) {
        pqxx::nontransaction tx{*conn};
        if (spec_.table == Table::jobs) {
          tx.exec_params(
              "UPDATE public.demo_jobs SET state = 'ready', started_at = NULL, "
              "heartbeat_at = NULL WHERE id = $1 AND state = 'running'",
              job.id);
        } else {
          tx.exec_params(
              "UPDATE public.demo_deleted_jobs SET state = 'ready', started_at = NULL "
              "WHERE id = $1 AND state = 'running'",
              job.id);
        }
      }
    } catch (const std::exception& e) {
      spdlog::warn("workers[{}]: could not release running jobs: {}", spec_.name, e.what());
    }
  }

  std::size_t q_;
  const QueueSpec& spec_;
  Db db_;
  std::mt19937_64 rng_;
  std::vector<Job> jobs_;
  Clock::time_point next_rescue_{};
};

// ---------------------------------------------------------------------------------------------
// Chaos: scheduled from the main thread, carried out by the worker pools.

class Chaos {
 public:
  Chaos(Clock::time_point start, std::uint64_t seed) : rng_{seed} {
    next_stall_ = start + seconds_between(90, 150);
    next_stuck_ = start + seconds_between(30, 60);
  }

  void announce() {
    spdlog::info(
        "chaos: on. Every ~3 min one queue's workers stall for ~2 min, and every ~1-2 min "
        "a job is claimed and abandoned (a rescuer hands it back after 3 min). Each event is "
        "logged here. (--chaos off to disable)");
    spdlog::info("chaos: first stall in ~{} s", seconds_until(next_stall_));
  }

  void tick(Clock::time_point now) {
    if (now >= next_stall_) {
      // The first stall hits the busiest queue, whose rate queuewatch knows within a minute of
      // starting, so the demo shows no_throughput early; later ones go anywhere. A stall outlasts
      // the ~80 s a busy queue needs to page (min_silence 1m, plus settle and probe interval).
      const std::size_t q = stalls_++ == 0 ? 0 : pick_queue();
      const auto length = seconds_between(100, 130);
      g_state[q].stalled_until.store((now + length).time_since_epoch().count());
      stalled_queue_ = q;
      stall_ends_ = now + length;
      spdlog::warn(
          "chaos: workers of queue '{}' stall for {} s: its ready jobs pile up and their wait "
          "grows, while enqueueing continues",
          kQueues[q].name, std::chrono::duration_cast<std::chrono::seconds>(length).count());
      next_stall_ = now + seconds_between(150, 210);
    }
    if (stalled_queue_ && now >= stall_ends_) {
      spdlog::info("chaos: workers of queue '{}' resume; the backlog drains. Next stall in ~{} s",
                   kQueues[*stalled_queue_].name, seconds_until(next_stall_));
      stalled_queue_.reset();
    }
    if (now >= next_stuck_) {
      const std::size_t q = pick_queue();
      g_state[q].abandon_next.store(true);  // the pool logs the job id when it happens
      next_stuck_ = now + seconds_between(60, 150);
    }
  }

 private:
  std::size_t pick_queue() {
    return std::uniform_int_distribution<std::size_t>{0, kQueueCount - 1}(rng_);
  }
  Clock::duration seconds_between(int lo, int hi) {
    return std::chrono::seconds{std::uniform_int_distribution<int>{lo, hi}(rng_)};
  }
  static long seconds_until(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t - Clock::now()).count();
  }

  std::mt19937_64 rng_;
  Clock::time_point next_stall_, next_stuck_, stall_ends_;
  std::optional<std::size_t> stalled_queue_;
  int stalls_ = 0;
};

void log_summary() {
  std::string line;
  for (std::size_t q = 0; q < kQueueCount; ++q) {
    const auto& s = g_state[q];
    line += fmt::format("{}{}: +{} done {} failed {}{}", q ? " | " : "", kQueues[q].name,
                        s.enqueued.load(), s.done.load(), s.failed.load(),
                        s.abandoned.load() ? fmt::format(" abandoned {}", s.abandoned.load()) : "");
  }
  spdlog::info("totals: {}", line);
}

// ---------------------------------------------------------------------------------------------
// Command line.

struct Options {
  std::string dsn;
  bool setup = false;
  double duration_seconds = 0;  // 0 = until SIGINT/SIGTERM
  std::uint64_t seed = std::random_device{}();
  bool chaos = true;
};

constexpr std::string_view kUsage = R"(usage: qw_workload --dsn DSN [options]

Runs a demo job-queue workload against PostgreSQL (tables from deploy/sql/demo_schema.sql).

  --dsn DSN             libpq connection string or URI (required)
  --setup               create the demo schema (idempotent) and exit
  --duration SECONDS    run this long, then exit; 0 (default) = until SIGINT/SIGTERM
  --seed N              random seed, for repeatable rates and chaos (default: random)
  --chaos on|off        stalls and abandoned jobs on purpose (default: on)
  --help                this text

Steer a running generator with SQL on public.demo_control (re-read every second):
  UPDATE demo_control SET workers_paused = true WHERE queue = 'billing';
  UPDATE demo_control SET produce_per_second = 0;   -- NULL = built-in drifting rate
  UPDATE demo_control SET claims_per_second = 0.1 WHERE queue = 'emails';  -- NULL = no limit
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "qw_workload: " << message << "\n\n" << kUsage;
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_error(a + " needs a value");
      return args[++i];
    };
    try {
      if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        std::exit(0);
      } else if (a == "--dsn") {
        o.dsn = value();
      } else if (a == "--setup") {
        o.setup = true;
      } else if (a == "--duration") {
        o.duration_seconds = std::stod(value());
        if (o.duration_seconds < 0) usage_error("--duration must be >= 0");
      } else if (a == "--seed") {
        o.seed = std::stoull(value());
      } else if (a == "--chaos") {
        const std::string& v = value();
        if (v != "on" && v != "off") usage_error("--chaos takes on or off");
        o.chaos = v == "on";
      } else {
        usage_error("unknown argument " + a);
      }
    } catch (const std::logic_error&) {  // stod/stoull: invalid_argument, out_of_range
      usage_error("bad number for " + a);
    }
  }
  if (o.dsn.empty()) usage_error("--dsn is required");
  return o;
}

int setup(const std::string& dsn) {
  try {
    pqxx::connection conn{dsn};
    pqxx::nontransaction tx{conn};
    tx.exec(kDemoSchemaSql);
    spdlog::info("setup: demo schema is in place (demo_jobs, demo_deleted_jobs, demo_control)");
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("setup failed: {}", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S %^%-5l%$ %v");
  const Options options = parse(argc, argv);
  // libpq reads these as defaults, so they apply whether the DSN is a URI or key=value.
  setenv("PGCONNECT_TIMEOUT", "5", 0);
  setenv("PGAPPNAME", "qw_workload", 0);

  if (options.setup) return setup(options.dsn);

  // Signals are taken synchronously by the main thread: worker threads never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  spdlog::info("qw_workload: seed {}, {}", options.seed,
               options.duration_seconds > 0
                   ? fmt::format("running for {} s", options.duration_seconds)
                   : std::string{"running until interrupted"});
  std::vector<std::thread> threads;
  threads.emplace_back(run_producer, options.dsn, options.seed);
  std::vector<std::unique_ptr<WorkerPool>> pools;
  for (std::size_t q = 0; q < kQueueCount; ++q) {
    pools.push_back(std::make_unique<WorkerPool>(options.dsn, q, options.seed + 1 + q));
    threads.emplace_back(&WorkerPool::run, pools.back().get());
  }

  const auto start = Clock::now();
  Chaos chaos{start, options.seed + 100};
  if (options.chaos) chaos.announce();
  auto next_summary = start + 30s;
  const timespec one_second{1, 0};
  while (true) {
    const int sig = sigtimedwait(&signals, nullptr, &one_second);
    if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("qw_workload: signal {}, stopping", sig);
      break;
    }
    const auto now = Clock::now();
    if (options.duration_seconds > 0 && Seconds{now - start}.count() >= options.duration_seconds)
      break;
    if (options.chaos) chaos.tick(now);
    if (now >= next_summary) {
      log_summary();
      next_summary = now + 30s;
    }
  }
  g_stopper.stop();
  for (auto& t : threads) t.join();
  log_summary();
  return 0;
}
