#include "daemon/scheduler.hpp"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace qw::daemon {

using Clock = std::chrono::steady_clock;

struct Scheduler::Slot {
  std::unique_ptr<probes::Probe> probe;
  boost::asio::steady_timer timer;
  bool running = false;       // touched only on the event loop
  int overload_failures = 0;  // consecutive query_timeout / too_many_connections
  Clock::time_point backoff_until{};
  std::atomic<bool> ran_once_flag{false};

  Slot(boost::asio::io_context& io, std::unique_ptr<probes::Probe> p)
      : probe(std::move(p)), timer(io) {}
};

bool is_overload(probes::FailureReason reason) {
  return reason == probes::FailureReason::query_timeout ||
         reason == probes::FailureReason::too_many_connections;
}

std::chrono::milliseconds backoff_delay(std::chrono::milliseconds interval,
                                        std::chrono::milliseconds max_backoff, int failures) {
  if (failures <= 0) return std::chrono::milliseconds(0);
  // interval, 2x, 4x, ... up to max_backoff.
  const std::chrono::milliseconds grown(interval.count() << std::min(failures - 1, 20));
  return std::min(max_backoff, grown);
}

Scheduler::Scheduler(boost::asio::io_context& io, probes::ProbeList probes,
                     probes::pg::PoolSet& pools, probes::SampleSink& sink,
                     SchedulerObserver& observer, std::size_t workers)
    : io_(io), pools_(pools), sink_(sink), observer_(observer), workers_(workers) {
  for (auto& p : probes) slots_.push_back(std::make_unique<Slot>(io_, std::move(p)));
}

Scheduler::~Scheduler() {
  stop(std::chrono::milliseconds(1500));
  // A worker still blocked (a connect) uses its slot and the pools until it returns: wait for
  // it rather than free them under it. (Shutdown does not come here; it exits the process.)
  workers_.join();
}

void Scheduler::start() {
  // Spread the first runs over up to a second: a quick first picture, without a burst.
  std::mt19937 rng{std::random_device{}()};
  for (auto& slot : slots_) {
    const auto max_offset = std::min<long long>(1000, slot->probe->interval().count());
    std::uniform_int_distribution<long long> offset(0, std::max<long long>(0, max_offset));
    schedule(*slot, std::chrono::milliseconds(offset(rng)));
  }
}

void Scheduler::schedule(Slot& slot, Clock::duration delay) {
  slot.timer.expires_after(delay);
  slot.timer.async_wait([this, &slot, alive = std::weak_ptr<const bool>(alive_)](
                            const boost::system::error_code& ec) {
    if (ec || alive.expired() || stopping_) return;
    tick(slot);
    schedule(slot, slot.probe->interval());
  });
}

void Scheduler::tick(Slot& slot) {
  if (slot.running) {
    observer_.on_overrun(*slot.probe);
    return;
  }
  if (Clock::now() < slot.backoff_until) {
    observer_.on_backoff_skip(*slot.probe);
    return;
  }
  slot.running = true;
  {
    std::lock_guard lock(in_flight_mutex_);
    ++in_flight_;
  }
  boost::asio::post(workers_, [this, &slot] {
    const auto start = Clock::now();
    auto reason = probes::FailureReason::other;
    if (stopping_) {
      // Queued before a stop: running it now would only report "shutting down" as a failure.
      std::lock_guard lock(in_flight_mutex_);
      --in_flight_;
      in_flight_cv_.notify_all();
      return;
    }
    try {
      probes::ProbeContext ctx{pools_.get(slot.probe->target())};
      reason = slot.probe->run(ctx, sink_);
    } catch (const std::exception& e) {
      // Probes report failures as samples; anything escaping is a bug, but not a crash.
      spdlog::error("probe {} failed unexpectedly: {}", slot.probe->id(), e.what());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    boost::asio::post(io_,
                      [this, &slot, reason, seconds, alive = std::weak_ptr<const bool>(alive_)] {
                        if (!alive.expired()) finished(slot, reason, seconds);
                      });
    std::lock_guard lock(in_flight_mutex_);
    --in_flight_;
    in_flight_cv_.notify_all();
  });
}

void Scheduler::finished(Slot& slot, probes::FailureReason reason, double seconds) {
  slot.running = false;
  slot.ran_once_flag = true;
  observer_.on_run(*slot.probe, seconds, reason);
  if (is_overload(reason)) {
    ++slot.overload_failures;
    const auto delay =
        backoff_delay(std::chrono::duration_cast<std::chrono::milliseconds>(slot.probe->interval()),
                      slot.probe->max_backoff(), slot.overload_failures);
    slot.backoff_until = Clock::now() + delay;
    spdlog::warn("{}: {}; backing off, next run in {} ms", slot.probe->id(),
                 probes::describe(reason), delay.count());
  } else {
    slot.overload_failures = 0;
    slot.backoff_until = {};
  }
}

bool Scheduler::all_ran_once() const {
  return std::all_of(slots_.begin(), slots_.end(),
                     [](const auto& s) { return s->ran_once_flag.load(); });
}

bool Scheduler::stop(std::chrono::milliseconds grace) {
  if (stopping_.exchange(true)) return true;
  for (auto& slot : slots_) slot->timer.cancel();
  pools_.close_all();  // cancels queries in flight and shuts their sockets
  std::unique_lock lock(in_flight_mutex_);
  if (in_flight_cv_.wait_for(lock, grace, [this] { return in_flight_ == 0; })) {
    lock.unlock();
    workers_.join();
    return true;
  }
  spdlog::warn("some probe workers are still blocked after {} ms (a connect in progress)",
               grace.count());
  return false;
}

}  // namespace qw::daemon
