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
  explicit TestProbe(probes::FailureReason result = probes::FailureReason::none,
                     int observation = 0)
      : result_(result), observation_(observation) {}
  std::string_view kind() const override { return "test"; }
  const std::string& id() const override { return id_; }
  const std::string& target() const override { return target_; }
  config::Duration interval() const override { return config::Duration{20}; }
  config::Duration max_backoff() const override { return config::Duration{2000}; }
  probes::FailureReason run(probes::ProbeContext&, probes::SampleSink& sink) override {
    ++entered;
    {
      std::unique_lock lock(mutex_);
      released_.wait(lock, [this] { return !hold_; });
    }
    ++runs;
    probes::TargetHealthSample sample;
    sample.target = target_;
    sample.detail = std::to_string(observation_);  // which probe published it
    sink.publish(sample);
    return result_;
  }
  // Same observation when built with the same number: stands for "the config did not change".
  bool same_observation(const probes::Probe& running) const override {
    const auto* other = dynamic_cast<const TestProbe*>(&running);
    return other && other->observation_ == observation_;
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
  const int observation_;
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

struct CountingSink : probes::SampleSink {
  std::atomic<int> samples{0}, from_retired{0};  // from_retired: by a probe with observation 0
  void publish(const probes::Sample& s) override {
    ++samples;
    if (std::get<probes::TargetHealthSample>(s).detail == "0") ++from_retired;
  }
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
  CountingSink sink;
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

namespace qw::daemon {
namespace {

std::unique_ptr<Scheduler> successor(Rig& rig, TestProbe*& probe, int observation) {
  auto p = std::make_unique<TestProbe>(probes::FailureReason::none, observation);
  probe = p.get();
  probes::ProbeList list;
  list.push_back(std::move(p));
  return std::make_unique<Scheduler>(rig.io, std::move(list), rig.pools, rig.sink, rig.observer, 2,
                                     rig.scheduler.get());
}

// A reload that changes nothing keeps the running probe (its object, so its state) and its
// schedule, even with a run in flight; the retired generation needs no join on the event loop.
TEST(SchedulerReload, AnUnchangedProbeIsCarriedOverRunning) {
  Rig rig;
  rig.scheduler->start();
  rig.probe->hold(true);
  ASSERT_TRUE(rig.run_until([&] { return rig.probe->entered >= 1; }));

  TestProbe* duplicate = nullptr;  // freed by the successor: never dereferenced
  auto next = successor(rig, duplicate, 0);
  EXPECT_EQ(next->carried_over(), 1u);
  rig.scheduler->retire();
  next->start();
  std::thread reaper([old = std::move(rig.scheduler)]() mutable { old->join(); });

  // The held run belongs to the new generation now: released, it is reported there, and the
  // same probe object runs on (the new configuration's duplicate was dropped unused).
  const int reported = rig.observer.runs;
  rig.probe->hold(false);
  ASSERT_TRUE(rig.run_until([&] { return rig.observer.runs >= reported + 3; }));
  EXPECT_GE(rig.probe->runs, 3);
  EXPECT_TRUE(next->all_ran_once());
  reaper.join();
  next->stop(1s);
}

// A changed probe is retired: the event loop goes on at once although its run is blocked (as in
// a connect), what it publishes afterwards is dropped, and joining it happens elsewhere.
TEST(SchedulerReload, AChangedProbeIsRetiredWithoutBlockingTheEventLoop) {
  Rig rig;
  rig.scheduler->start();
  rig.probe->hold(true);
  ASSERT_TRUE(rig.run_until([&] { return rig.probe->entered >= 1; }));

  TestProbe* fresh = nullptr;
  auto next = successor(rig, fresh, 1);
  EXPECT_EQ(next->carried_over(), 0u);
  rig.scheduler->retire();
  next->start();
  TestProbe* retired = rig.probe;
  std::atomic<bool> joined{false};
  std::thread reaper([old = std::move(rig.scheduler), &joined]() mutable {
    old->join();
    old.reset();
    joined = true;
  });

  // The new probe runs while the old one is still blocked.
  ASSERT_TRUE(rig.run_until([&] { return fresh->runs >= 3; }));
  EXPECT_FALSE(joined);
  const int before = rig.sink.from_retired;
  retired->hold(false);
  reaper.join();
  EXPECT_EQ(retired->runs, 1);
  EXPECT_EQ(rig.sink.from_retired, before) << "a retired probe's late sample was published";
  rig.io.run_for(50ms);  // its "finished", queued by now, must be a no-op
  next->stop(1s);
}

}  // namespace
}  // namespace qw::daemon
