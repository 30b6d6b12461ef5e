#pragma once
// Runs every probe at its own interval on Boost.Asio timers, with the blocking libpqxx work on
// a worker pool, never on the event loop. A tick that finds the previous run still going is
// skipped and counted (no overlap, no pile-up). A probe whose database is slow or saturated
// (query_timeout, too_many_connections) backs off exponentially up to its max_backoff: a monitor
// must not make an outage worse. Connection failures need no such backoff here: the target's
// pool already fails fast between its own reconnect attempts.
//
// One Scheduler is one configuration generation. A reload builds the next one from it: every
// probe whose observation did not change is carried over, running (its timer, a run in flight,
// its state and backoff go on as if nothing happened); the rest are retired. Nothing here ever
// blocks the event loop: a retired generation's workers, which a connect may hold for up to its
// connect_timeout, are joined on another thread (RuntimeReaper).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "probes/pg/pool_set.hpp"
#include "probes/probe.hpp"

namespace qw::daemon {

// What the scheduler reports about runs (the exporter turns it into metrics).
class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  virtual void on_run(const probes::Probe& probe, double seconds, probes::FailureReason reason) = 0;
  virtual void on_overrun(const probes::Probe& probe) = 0;
  virtual void on_backoff_skip(const probes::Probe& probe) = 0;
};

class Scheduler {
 public:
  // With `previous` (a reload, on the event loop): takes over its probes that `probes` would
  // only duplicate (same id, same observation, same pool), and their state with them.
  Scheduler(boost::asio::io_context& io, probes::ProbeList probes, probes::pg::PoolSet& pools,
            probes::SampleSink& sink, SchedulerObserver& observer, std::size_t workers,
            Scheduler* previous = nullptr);
  // Joins the workers: after stop(), or retire() and join() (then it returns at once).
  ~Scheduler();

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Schedules the probes this generation did not carry over (those keep their timers).
  void start();
  // Reload, on the event loop, after the successor was built: stops ticking the probes the
  // successor did not take; their runs in flight finish unreported and their samples are
  // dropped. Never blocks.
  void retire();
  // Waits for this generation's workers to return, however long a connect holds one. For the
  // reaper thread, never the event loop.
  void join();
  // Waits for this generation's workers until `deadline`; true when they all returned.
  bool join_until(std::chrono::steady_clock::time_point deadline);
  // Shutdown: stops ticking, cancels queries in flight and waits up to `grace` for workers to
  // return. Returns false when some worker is still blocked (e.g. in a connect) after the grace.
  bool stop(std::chrono::milliseconds grace);
  // True once every probe has finished at least one run: /-/ready.
  bool all_ran_once() const;
  std::size_t carried_over() const { return carried_over_; }

 private:
  struct Slot;
  void schedule(const std::shared_ptr<Slot>& slot, std::chrono::steady_clock::duration delay);
  void tick(const std::shared_ptr<Slot>& slot);
  void finished(Slot& slot, probes::FailureReason reason, double seconds);
  void run_on_worker(const std::shared_ptr<Slot>& slot);

  boost::asio::io_context& io_;
  probes::pg::PoolSet& pools_;
  probes::SampleSink& sink_;
  SchedulerObserver& observer_;
  boost::asio::thread_pool workers_;
  // Shared with the handlers queued on the event loop and with a successor that carries a probe
  // over; a slot's `owner` says which generation it reports to.
  std::vector<std::shared_ptr<Slot>> slots_;
  std::vector<std::shared_ptr<Slot>> fresh_;  // the slots start() schedules
  std::size_t carried_over_ = 0;
  std::atomic<bool> stopping_{false};
  bool retired_ = false;
  bool joined_ = false;
  std::mutex in_flight_mutex_;
  std::condition_variable in_flight_cv_;
  int in_flight_ = 0;  // runs posted to the workers and not yet returned
};

// How long the next run waits after a failure of this kind; pure, for tests.
std::chrono::milliseconds backoff_delay(std::chrono::milliseconds interval,
                                        std::chrono::milliseconds max_backoff, int failures);
bool is_overload(probes::FailureReason reason);

}  // namespace qw::daemon
