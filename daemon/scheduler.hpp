#pragma once
// Runs every probe at its own interval on Boost.Asio timers, with the blocking libpqxx work on
// a worker pool, never on the event loop. A tick that finds the previous run still going is
// skipped and counted (no overlap, no pile-up). A probe whose database is slow or saturated
// (query_timeout, too_many_connections) backs off exponentially up to its max_backoff: a monitor
// must not make an outage worse. Connection failures need no such backoff here: the target's
// pool already fails fast between its own reconnect attempts.
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
  Scheduler(boost::asio::io_context& io, probes::ProbeList probes, probes::pg::PoolSet& pools,
            probes::SampleSink& sink, SchedulerObserver& observer, std::size_t workers);
  ~Scheduler();

  void start();
  // Stops ticking, cancels queries in flight and waits up to `grace` for workers to return.
  // Returns false when some worker is still blocked (e.g. in a connect) after the grace.
  bool stop(std::chrono::milliseconds grace);
  // True once every probe has finished at least one run: /-/ready.
  bool all_ran_once() const;

 private:
  struct Slot;
  void schedule(Slot& slot, std::chrono::steady_clock::duration delay);
  void tick(Slot& slot);
  void finished(Slot& slot, probes::FailureReason reason, double seconds);

  boost::asio::io_context& io_;
  probes::pg::PoolSet& pools_;
  probes::SampleSink& sink_;
  SchedulerObserver& observer_;
  boost::asio::thread_pool workers_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<bool> stopping_{false};
  std::mutex in_flight_mutex_;
  std::condition_variable in_flight_cv_;
  int in_flight_ = 0;  // runs posted to the workers and not yet returned
  // Handlers posted to the event loop check this first: a reload destroys the scheduler on the
  // event loop while a worker's "finished" or a fired timer may still be queued there.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

// How long the next run waits after a failure of this kind; pure, for tests.
std::chrono::milliseconds backoff_delay(std::chrono::milliseconds interval,
                                        std::chrono::milliseconds max_backoff, int failures);
bool is_overload(probes::FailureReason reason);

}  // namespace qw::daemon
