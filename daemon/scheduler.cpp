#include "daemon/scheduler.hpp"

#include <algorithm>
#include <random>
#include <string>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace qw::daemon {

using Clock = std::chrono::steady_clock;

struct Scheduler::Slot {
  std::unique_ptr<probes::Probe> probe;
  std::shared_ptr<probes::pg::TargetPool> pool;  // null for a cluster, or a target the config lacks
  // The probe's target is a cluster: each run takes its primary's pool now (PoolSet::for_probe).
  bool follows_primary = false;
  boost::asio::steady_timer timer;
  // The generation this slot reports to; null once retired or stopped. Only touched on the
  // event loop, so a handler there never reaches a generation being destroyed elsewhere.
  Scheduler* owner = nullptr;
  bool running = false;       // touched only on the event loop
  int overload_failures = 0;  // consecutive query_timeout / too_many_connections
  Clock::time_point backoff_until{};
  std::atomic<bool> ran_once_flag{false};
  // Set on the event loop when a reload retires the probe; read by its worker, whose samples
  // are dropped from then on: a retired probe's late failure (a connect to a target the new
  // configuration changed, a query its closed pool cancelled) is not news about anything.
  std::atomic<bool> retired{false};

  Slot(boost::asio::io_context& io, std::unique_ptr<probes::Probe> p,
       std::shared_ptr<probes::pg::TargetPool> target_pool)
      : probe(std::move(p)), pool(std::move(target_pool)), timer(io) {}
};

namespace {

// What a run publishes through: the daemon's sink, until the probe is retired. The warm start's
// history still goes through: the pipeline waits for it to let the target's next reader in.
class SlotSink : public probes::SampleSink {
 public:
  SlotSink(const std::atomic<bool>& retired, probes::SampleSink& sink)
      : retired_(retired), sink_(sink) {}
  void publish(const probes::Sample& sample) override {
    if (retired_ && !std::holds_alternative<probes::QueueHistorySample>(sample)) return;
    sink_.publish(sample);
  }
  probes::HistoryAnswer wants_history(const std::string& target,
                                      const std::string& source) override {
    if (retired_) return probes::HistoryAnswer::no;
    return sink_.wants_history(target, source);
  }

 private:
  const std::atomic<bool>& retired_;
  probes::SampleSink& sink_;
};

}  // namespace

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
                     SchedulerObserver& observer, std::size_t workers, Scheduler* previous)
    : io_(io), pools_(pools), sink_(sink), observer_(observer), workers_(workers) {
  std::unordered_map<std::string, std::shared_ptr<Slot>> running;
  if (previous)
    for (const auto& slot : previous->slots_)
      if (slot->owner == previous) running.emplace(slot->probe->id(), slot);
  for (auto& p : probes) {
    auto pool = pools.share(p->target());
    const auto it = running.find(p->id());
    // Same pool object: the target's settings did not change either (PoolSet carried it). A
    // cluster's probe has none of its own: it takes its primary's at each run.
    if (it != running.end() && (pool || pools.is_cluster(p->target())) &&
        it->second->pool == pool && p->same_observation(*it->second->probe)) {
      auto slot = std::move(it->second);
      running.erase(it);
      slot->probe->take_settings(*p);
      slot->owner = this;
      slots_.push_back(std::move(slot));
      ++carried_over_;
      continue;
    }
    const bool follows_primary = pools.is_cluster(p->target());
    auto slot = std::make_shared<Slot>(io_, std::move(p), std::move(pool));
    slot->follows_primary = follows_primary;
    slot->owner = this;
    slots_.push_back(slot);
    fresh_.push_back(std::move(slot));
  }
}

Scheduler::~Scheduler() {
  // Unit tests and `once` destroy a scheduler they never stopped; the daemon always stops or
  // retires it first, and joins a retired one on the reaper thread.
  if (!retired_ && !stopping_) stop(std::chrono::milliseconds(1500));
  join();
}

void Scheduler::start() {
  // Spread the first runs over up to a second: a quick first picture, without a burst.
  std::mt19937 rng{std::random_device{}()};
  for (auto& slot : fresh_) {
    const auto max_offset = std::min<long long>(1000, slot->probe->interval().count());
    std::uniform_int_distribution<long long> offset(0, std::max<long long>(0, max_offset));
    schedule(slot, std::chrono::milliseconds(offset(rng)));
  }
  fresh_.clear();
}

void Scheduler::schedule(const std::shared_ptr<Slot>& slot, Clock::duration delay) {
  slot->timer.expires_after(delay);
  // A weak reference: a retired slot must not be kept alive by its cancelled timer's handler.
  slot->timer.async_wait([weak = std::weak_ptr<Slot>(slot)](const boost::system::error_code& ec) {
    const auto s = weak.lock();
    if (ec || !s || s->owner == nullptr || s->owner->stopping_) return;
    Scheduler& owner = *s->owner;  // a carried-over slot ticks for its new generation
    owner.tick(s);
    owner.schedule(s, s->probe->interval());
  });
}

void Scheduler::tick(const std::shared_ptr<Slot>& slot) {
  if (slot->running) {
    observer_.on_overrun(*slot->probe);
    return;
  }
  if (Clock::now() < slot->backoff_until) {
    observer_.on_backoff_skip(*slot->probe);
    return;
  }
  slot->running = true;
  run_on_worker(slot);
}

void Scheduler::run_on_worker(const std::shared_ptr<Slot>& slot) {
  {
    std::lock_guard lock(in_flight_mutex_);
    ++in_flight_;
  }
  // The worker uses this generation (its counters) until it returns: join() waits for that
  // before the generation is destroyed. It reaches the slot and its pool through shared_ptrs.
  boost::asio::post(workers_, [this, slot] {
    const auto start = Clock::now();
    auto reason = probes::FailureReason::other;
    // Queued before a stop or its retirement: running it now would only report a failure.
    if (!stopping_ && !slot->retired) {
      try {
        // A carried-over slot asks this generation's pools: its cluster's members may differ.
        const auto pool =
            slot->follows_primary ? pools_.for_probe(slot->probe->target()) : slot->pool;
        if (!pool) throw std::out_of_range("unknown target " + slot->probe->target());
        probes::ProbeContext ctx{*pool};
        SlotSink sink(slot->retired, sink_);
        reason = slot->probe->run(ctx, sink);
      } catch (const std::exception& e) {
        // Probes report failures as samples; anything escaping is a bug, but not a crash.
        spdlog::error("probe {} failed unexpectedly: {}", slot->probe->id(), e.what());
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      boost::asio::post(io_, [slot, reason, seconds] {
        if (slot->owner) slot->owner->finished(*slot, reason, seconds);
      });
    }
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

void Scheduler::retire() {
  retired_ = true;
  for (auto& slot : slots_) {
    if (slot->owner != this) continue;  // carried over: the successor runs it now
    slot->owner = nullptr;
    slot->retired = true;
    slot->timer.cancel();
  }
}

void Scheduler::join() {
  if (joined_) return;
  workers_.join();
  joined_ = true;
}

bool Scheduler::join_until(Clock::time_point deadline) {
  std::unique_lock lock(in_flight_mutex_);
  if (!in_flight_cv_.wait_until(lock, deadline, [this] { return in_flight_ == 0; })) return false;
  lock.unlock();
  join();  // nothing left but the threads' exit
  return true;
}

bool Scheduler::stop(std::chrono::milliseconds grace) {
  if (stopping_.exchange(true)) return joined_;
  for (auto& slot : slots_) {
    if (slot->owner != this) continue;
    slot->owner = nullptr;
    slot->timer.cancel();
  }
  pools_.close_all();  // cancels queries in flight and shuts their sockets
  if (join_until(Clock::now() + grace)) return true;
  spdlog::warn("some probe workers are still blocked after {} ms (a connect in progress)",
               grace.count());
  return false;
}

}  // namespace qw::daemon
