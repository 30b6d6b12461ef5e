// The scheduler's contract, with probes that do no I/O (the pools are real but never used):
// a slow probe's ticks are skipped and counted rather than piled up, an overloaded one backs
// off, and a scheduler destroyed while its handlers are still queued on the event loop (a
// reload) leaves nothing behind that touches freed memory (ASan would report it).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "daemon/scheduler.hpp"

namespace qw::daemon {
namespace {

using namespace std::chrono_literals;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class TestProbe : public probes::Probe {
 public:
  explicit TestProbe(probes::FailureReason result = probes::FailureReason::none)
      : result_(result) {}
  std::string_view kind() const override { return "test"; }
  const std::string& id() const override { return id_; }
  const std::string& target() const override { return target_; }
  config::Duration interval() const override { return config::Duration{20}; }
  config::Duration max_backoff() const override { return config::Duration{2000}; }
  probes::FailureReason run(probes::ProbeContext&, probes::SampleSink&) override {
    ++entered;
    std::unique_lock lock(mutex_);
    released_.wait(lock, [this] { return !hold_; });
    ++runs;
    return result_;
  }
  void hold(bool on) {
    {
      std::lock_guard lock(mutex_);
      hold_ = on;
    }
    released_.notify_all();
  }
  std::atomic<int> entered{0}, runs{0};

 private:
  const probes::FailureReason result_;
  const std::string id_ = "test/db";
  const std::string target_ = "db";
  std::mutex mutex_;
  std::condition_variable released_;
  bool hold_ = false;
};

struct CountingObserver : SchedulerObserver {
  std::atomic<int> runs{0}, overruns{0}, backoff_skips{0};
  void on_run(const probes::Probe&, double, probes::FailureReason) override { ++runs; }
  void on_overrun(const probes::Probe&) override { ++overruns; }
  void on_backoff_skip(const probes::Probe&) override { ++backoff_skips; }
};

struct NullSink : probes::SampleSink {
  void publish(const probes::Sample&) override {}
};

config::Config one_target() {
  config::Config c;
  config::TargetConfig t;
  t.name = "db";
  t.dsn = "host=127.0.0.1 port=1 dbname=never_used";
  c.targets.push_back(t);
  return c;
}

struct Rig {
  boost::asio::io_context io;
  config::Config config = one_target();
  probes::pg::PoolSet pools{config};
  NullSink sink;
  CountingObserver observer;
  TestProbe* probe = nullptr;
  std::unique_ptr<Scheduler> scheduler;

  explicit Rig(probes::FailureReason result = probes::FailureReason::none) {
    auto p = std::make_unique<TestProbe>(result);
    probe = p.get();
    probes::ProbeList list;
    list.push_back(std::move(p));
    scheduler = std::make_unique<Scheduler>(io, std::move(list), pools, sink, observer, 2);
  }
  // Runs the event loop on this thread until `done` holds.
  bool run_until(const std::function<bool()>& done) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      io.run_for(5ms);
      io.restart();
    }
    return true;
  }
};

TEST(Scheduler, ASlowRunIsNeverOverlappedItsTicksAreCountedAsOverruns) {
  Rig rig;
  rig.probe->hold(true);
  rig.scheduler->start();
  ASSERT_TRUE(rig.run_until([&] { return rig.observer.overruns >= 3; }));
  EXPECT_EQ(rig.probe->runs, 0);  // still the first run, held
  rig.probe->hold(false);
  ASSERT_TRUE(rig.run_until([&] { return rig.observer.runs >= 3; }));
  rig.scheduler->stop(1s);
}

TEST(Scheduler, AnOverloadedProbeBacksOff) {
  Rig rig(probes::FailureReason::query_timeout);
  rig.scheduler->start();
  ASSERT_TRUE(rig.run_until([&] { return rig.observer.backoff_skips >= 10; }));
  // The delay doubles per failure: most ticks are skipped, not run.
  EXPECT_LT(rig.observer.runs.load(), rig.observer.backoff_skips.load());
  rig.scheduler->stop(1s);
}

TEST(Scheduler, DestroyedWithItsHandlersStillQueuedOnTheEventLoop) {
  Rig rig;
  rig.scheduler->start();
  // A run is handed to a worker; then the event loop stops running, so the worker's "finished"
  // stays queued there, as during a reload (which runs on the event loop itself).
  rig.probe->hold(true);
  ASSERT_TRUE(rig.run_until([&] { return rig.probe->entered >= 1; }));
  rig.probe->hold(false);
  ASSERT_TRUE(wait_until([&] { return rig.probe->runs >= 1; }));
  rig.scheduler.reset();  // stop() waits for the worker, which has posted its "finished"
  rig.io.restart();
  rig.io.run_for(50ms);  // those handlers now run against a destroyed scheduler: must be no-ops
  EXPECT_EQ(rig.observer.runs, 0) << "a destroyed scheduler's run was reported";
}

}  // namespace
}  // namespace qw::daemon
