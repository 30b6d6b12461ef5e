// no_throughput for queues whose finished rows are deleted in a multi-queue table: judged by the
// progress the probe observed, on an injected clock. Holds when jobs pile up after the queue was
// seen keeping up, or after a run of silent rounds its own record makes implausible; clear on
// progress or with nothing waiting; unknown on too little observation.
#include <cmath>

#include "rules/progress_state.hpp"
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

const Time kStart = at_utc(2024, 5, 6, 10);

// One queue of a deleted-rows table fed rounds every `step`: ready work and observed progress.
class ProgressDriver {
 public:
  explicit ProgressDriver(std::chrono::seconds step)
      : engine({}, Timezone()), now(kStart), step_(step) {}

  Engine engine;
  QueueKey key{"primary", "graphile_tasks", "3"};
  Time now;

  // One round; `progress` none: the probe had nothing to compare with yet.
  Verdict round(std::int64_t ready, std::optional<double> oldest_age,
                std::optional<double> progress) {
    now += step_;
    QueueTick t;
    t.key = key;
    t.at = now;
    t.completions_known = false;
    t.ready = ready;
    t.oldest_ready_age_seconds = oldest_age;
    t.progress = progress;
    engine.ingest(t);
    engine.evaluate(now);
    return eval_no_throughput(*engine.queue(key), RuleContext{engine.timezone(), now, 5s});
  }
  // Rounds of a stall from `since`: `arrivals` more jobs ready every round, nothing progresses.
  // The time it first held.
  std::optional<Time> stall(Time since, int rounds, std::int64_t ready, std::int64_t arrivals) {
    for (int i = 1; i <= rounds; ++i) {
      const double age = seconds_between(since, now + step_);
      if (round(ready + arrivals * i, age, 0).holds()) return now;
    }
    return std::nullopt;
  }

 private:
  std::chrono::seconds step_;
};

// The acceptance scenario: a fast queue whose jobs live milliseconds. Rounds mostly find nothing
// ready and observe nothing (the jobs came and went between them); then its workers stop.
TEST(NoThroughputByProgress, FastQueueThatStopsHoldsOnPiledUpWorkWithinTwoMinutes) {
  ProgressDriver d(15s);
  for (int i = 0; i < 12; ++i) d.round(i % 4 == 0 ? 1 : 0, 0.01, 0);
  const Time stall = d.now;
  const auto fired = d.stall(stall, 20, 0, 50);  // 3.3 jobs/s pile up
  ASSERT_TRUE(fired);
  const double after = seconds_between(stall, *fired);
  EXPECT_GE(after, 60);  // min_silence and grace
  EXPECT_LE(after, 90);
  const Verdict v = d.round(400, after + 15, 0);
  ASSERT_TRUE(v.holds());
  EXPECT_EQ(v.condition().alertname, "no_throughput");
  EXPECT_EQ(v.condition().labels.at("queue"), "3");
  EXPECT_EQ(v.condition().annotations.at("progress_signal"), "observed");
  EXPECT_NE(v.condition().annotations.at("description").find("keeping up"), std::string::npos)
      << v.condition().annotations.at("description");
}

// A queue with a steady backlog whose head moves every round: its record judges the silence.
TEST(NoThroughputByProgress, BacklogQueueThatStopsHoldsOnItsRecord) {
  ProgressDriver d(15s);
  d.round(200, 300, std::nullopt);
  for (int i = 0; i < 20; ++i) d.round(200, 300, 5);  // old backlog: the demand test cannot say
  const Time stall = d.now;
  const auto fired = d.stall(stall, 20, 200, 0);
  ASSERT_TRUE(fired);
  // Wilson's bound on 20 of 20 is 0.88: 9.2 / -ln(0.12) = 4.3, so five silent rounds.
  EXPECT_EQ(seconds_between(stall, *fired), 75);
  const Verdict v = d.round(200, 500, 0);
  ASSERT_TRUE(v.holds());
  EXPECT_NE(v.condition().annotations.at("description").find("20 of 20"), std::string::npos)
      << v.condition().annotations.at("description");
}

// A queue whose jobs never stay long enough to be discovered is first reported when its workers
// stop and work piles up. The probe says it had nothing ready or running at the previous
// discovery: the silence is judged from there, not left unknown.
TEST(NoThroughputByProgress, QueueFirstDiscoveredInAStallIsJudgedFromTheDiscoveryBefore) {
  for (const bool drained_known : {true, false}) {
    ProgressDriver d(15s);
    d.key.queue = drained_known ? "new" : "unexplained";
    std::optional<Time> fired;
    bool ever_unknown = false;
    for (int i = 1; i <= 12 && !fired; ++i) {
      d.now += 15s;
      QueueTick t;
      t.key = d.key;
      t.at = d.now;
      t.completions_known = false;
      t.ready = 50 * (i + 2);
      t.oldest_ready_age_seconds = 15.0 * (i + 2);
      t.progress = i == 1 ? std::nullopt : std::optional(0.0);
      if (i == 1 && drained_known) t.drained_age_seconds = 30.0;  // the oldest waited 45 s
      d.engine.ingest(t);
      d.engine.evaluate(d.now);
      const Verdict v =
          eval_no_throughput(*d.engine.queue(d.key), RuleContext{d.engine.timezone(), d.now, 5s});
      ever_unknown = ever_unknown || !v.known();
      if (v.holds()) fired = d.now;
    }
    if (drained_known) {
      ASSERT_TRUE(fired);
      // Drained 30 s before the first report: min_silence (60 s) is reached two rounds later.
      EXPECT_EQ(seconds_between(kStart, *fired), 45);
    } else {
      EXPECT_FALSE(fired);
      EXPECT_TRUE(ever_unknown);
    }
  }
}

TEST(NoThroughputByProgress, AnyObservedProgressClears) {
  ProgressDriver d(15s);
  d.round(0, std::nullopt, std::nullopt);
  ASSERT_TRUE(d.stall(d.now, 20, 0, 50));
  const Verdict v = d.round(1000, 200, 1);
  EXPECT_TRUE(v.known());
  EXPECT_FALSE(v.holds());
}

TEST(NoThroughputByProgress, NothingWaitingIsClear) {
  ProgressDriver d(15s);
  d.round(0, std::nullopt, std::nullopt);
  for (int i = 0; i < 40; ++i) {
    const Verdict v = d.round(0, std::nullopt, 0);
    EXPECT_TRUE(v.known());
    EXPECT_FALSE(v.holds());
  }
  // Work younger than grace is not waiting yet, however much of it.
  const Verdict young = d.round(500, 30, 0);
  EXPECT_TRUE(young.known());
  EXPECT_FALSE(young.holds());
}

// A few jobs waiting a while on a queue that kept up is not a stall: they did not pile up.
TEST(NoThroughputByProgress, AFewJobsWaitingIsNotAPileUp) {
  ProgressDriver d(15s);
  d.round(0, std::nullopt, std::nullopt);
  for (int i = 1; i <= 40; ++i) {
    const Verdict v = d.round(3, 15.0 * i, 0);
    EXPECT_TRUE(v.known()) << i;
    EXPECT_FALSE(v.holds()) << i;
  }
}

TEST(NoThroughputByProgress, TooLittleObservationIsUnknownNeverHealthy) {
  ProgressDriver d(15s);
  // Work waits from the first round and nothing progresses: the silence may have begun long
  // before the start.
  for (int i = 0; i < 30; ++i) {
    const Verdict v =
        d.round(20 + 50 * i, 120 + 15 * i, i == 0 ? std::nullopt : std::optional(0.0));
    EXPECT_FALSE(v.known()) << i;
  }
  // An old backlog that moved in three rounds, then stopped: the record is too short to judge.
  ProgressDriver e(15s);
  e.round(200, 300, std::nullopt);
  for (int i = 0; i < 3; ++i) e.round(200, 300, 5);
  for (int i = 0; i < 30; ++i) {
    const Verdict v = e.round(200, 300 + 15 * i, 0);
    EXPECT_FALSE(v.holds()) << i;
    if (i >= 4) {
      EXPECT_FALSE(v.known()) << i;  // once min_silence has passed
    }
  }
}

// A slow queue (one worker, long jobs) shows progress in one round of twenty: minutes of silence
// are normal there, and the rule waits proportionally longer.
TEST(NoThroughputByProgress, ASlowQueueNeedsAProportionallyLongerSilence) {
  ProgressDriver d(15s);
  d.round(20, 600, std::nullopt);
  for (int i = 1; i <= 240; ++i) d.round(20, 600, i % 20 == 0 ? 1 : 0);  // one hour
  const Time last = d.now;
  std::optional<Time> fired;
  for (int i = 0; i < 400 && !fired; ++i)
    if (d.round(20, 600 + seconds_between(last, d.now), 0).holds()) fired = d.now;
  ASSERT_TRUE(fired);
  // Wilson's lower bound on 12 of 240 is about 0.031: 9.2 / -ln(1 - 0.031) ~ 293 rounds.
  EXPECT_GE(seconds_between(last, *fired) / 60, 60.0);
  EXPECT_LE(seconds_between(last, *fired) / 60, 90.0);
}

TEST(NoThroughputByProgress, KeptModeQueuesAreUnaffected) {
  Driver d({}, Timezone(), kStart, 15s);
  d.feed(1h, [](Time) { return 10.0; });
  const Time stall = d.now;
  std::optional<Time> fired;
  for (int i = 0; i < 40 && !fired; ++i)
    if (find(d.step(0, 500, seconds_between(stall, d.now + 15s) + 5), "no_throughput"))
      fired = d.now;
  EXPECT_TRUE(fired);
  EXPECT_FALSE(d.engine.queue(d.key)->progress.last_ok_at());  // never consulted
}

TEST(NoThroughputByProgress, WilsonLowerBound) {
  EXPECT_EQ(wilson_lower_bound(0, 0), 0);
  EXPECT_NEAR(wilson_lower_bound(8, 8), 0.747, 0.01);
  EXPECT_NEAR(wilson_lower_bound(20, 20), 0.881, 0.01);
  EXPECT_LT(wilson_lower_bound(240, 240), 1);
  EXPECT_GT(wilson_lower_bound(240, 240), 0.98);
  EXPECT_NEAR(wilson_lower_bound(12, 240), 0.031, 0.003);
  EXPECT_EQ(wilson_lower_bound(0, 100), 0);
}

}  // namespace
}  // namespace qw::rules
