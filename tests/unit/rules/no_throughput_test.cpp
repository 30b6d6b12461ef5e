// no_throughput on a fake clock: the silence needed scales with the queue's rate, idle and
// bursty queues stay quiet, unmeasured time is not silence.
#include <map>

#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

const Time kStart = at_utc(2024, 5, 6);  // a Monday, 00:00 UTC

TEST(NoThroughput, TenJobsPerSecondStallFiresAfterAboutAMinute) {
  Driver d({}, Timezone(), kStart, 15s);
  d.feed(1h, [](Time) { return 10.0; });
  const Time stall = d.now;
  std::optional<Time> fired;
  for (int i = 0; i < 40 && !fired; ++i) {
    const double age = seconds_between(stall, d.now + 15s) + 5;  // work waits since the stall
    if (find(d.step(0, 500, age), "no_throughput")) fired = d.now;
  }
  ASSERT_TRUE(fired);
  const double after = seconds_between(stall, *fired);
  EXPECT_GE(after, 60);  // the 1 minute floor
  EXPECT_LE(after, 90);
}

TEST(NoThroughput, OneJobPerMinuteStallFiresAfterNineToTenMinutes) {
  Driver d({}, Timezone(), kStart, 15s);
  for (int i = 1; i <= 4 * 120; ++i) d.step(i % 4 == 0 ? 1 : 0, 0, std::nullopt, false);
  const Time stall = d.now;
  std::optional<Time> fired;
  for (int i = 0; i < 80 && !fired; ++i) {
    const double age = seconds_between(stall, d.now + 15s) + 30;
    if (find(d.step(0, 3, age), "no_throughput")) fired = d.now;
  }
  ASSERT_TRUE(fired);
  const double minutes = seconds_between(stall, *fired) / 60;
  EXPECT_GE(minutes, 9.0);  // 9.2 expected completions at 1/min
  EXPECT_LE(minutes, 10.0);
}

// A fresh daemon: 5 jobs/s for two minutes is evidence enough (hundreds of completions), so a
// stall right after a start is caught as fast as one later on.
TEST(NoThroughput, BusyQueueIsJudgedSoonAfterAStart) {
  Driver d({}, Timezone(), kStart, 5s);
  d.feed(2min, [](Time) { return 5.0; });
  const Time stall = d.now;
  std::optional<Time> fired;
  for (int i = 0; i < 40 && !fired; ++i) {
    const double age = seconds_between(stall, d.now + 5s);  // work waits since the stall
    if (find(d.step(0, 50, age), "no_throughput")) fired = d.now;
  }
  ASSERT_TRUE(fired);
  EXPECT_LE(seconds_between(stall, *fired), 90);
}

// A few completions over two minutes are not a rate: silence after them is not judged yet.
TEST(NoThroughput, SlowQueueRateIsNotTrustedOnTwoMinutesOfEvidence) {
  Driver d({}, Timezone(), kStart, 15s);
  for (int i = 0; i < 8; ++i) d.step(1, 0, std::nullopt, false);  // 4/min for 2 min: 8 jobs
  const Time stall = d.now;
  for (int i = 0; i < 40; ++i) {
    const double age = seconds_between(stall, d.now + 15s);
    ASSERT_FALSE(find(d.step(0, 3, age), "no_throughput")) << format_time(d.now);
  }
}

// The probe sees a completion a settle delay and up to an interval after it happened, and says
// how long ago it finished: the silence starts then, so a stall pages a round sooner.
TEST(NoThroughput, SilenceStartsWhenTheLastJobFinishedNotWhenARoundSawIt) {
  std::map<double, double> fired_after;  // the last completion's reported age -> seconds to page
  for (const double age : {0.0, 20.0}) {
    Driver d({}, Timezone(), kStart, 15s);
    d.feed(10min, [](Time) { return 10.0; });
    d.now += 15s;
    QueueTick last;
    last.key = d.key;
    last.at = d.now;
    last.completed = 150;
    last.last_completion_age_seconds = age;
    d.engine.ingest(last);
    std::optional<Time> fired;
    for (int i = 0; i < 20 && !fired; ++i) {
      if (find(d.step(0, 50, 300.0), "no_throughput")) fired = d.now;
    }
    ASSERT_TRUE(fired) << age;
    fired_after[age] = seconds_between(last.at, *fired);
  }
  EXPECT_EQ(fired_after[0.0], 60);   // four rounds of measured silence: min_silence
  EXPECT_EQ(fired_after[20.0], 45);  // 20 s before the round + three rounds = 65 s of silence
}

TEST(NoThroughput, ReadyWorkYoungerThanGraceIsNotAStall) {
  Driver d({}, Timezone(), kStart, 15s);
  d.feed(1h, [](Time) { return 10.0; });
  // An idle stretch, then one job arrives: its age, not the idle time, is how long work waited.
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(find(d.step(0, 0), "no_throughput"));
  EXPECT_FALSE(find(d.step(0, 1, 10.0), "no_throughput"));
}

// Traffic 08:00-20:00 UTC only; a night with nothing ready must stay quiet for weeks of history.
double office_hours(Time t) {
  const double h = hour_utc(t);
  return h >= 8 && h < 20 ? 1.0 : 0.0;
}

TEST(NoThroughput, IdleQueueAtNightDoesNotAlert) {
  Driver d({}, Timezone(), kStart, 60s);
  d.feed(std::chrono::hours{24 * 21 + 20}, office_hours);  // three weeks, then to 20:00
  for (int i = 0; i < 11 * 60; ++i) {  // 20:00 to 07:00, nothing completes, nothing waits
    const auto conditions = d.step(0, 0);
    ASSERT_FALSE(find(conditions, "no_throughput")) << format_time(d.now);
    ASSERT_FALSE(find(conditions, "below_baseline")) << format_time(d.now);
  }
}

TEST(NoThroughput, BaselineMakesDaytimeSilenceImplausibleEvenWithNothingVisible) {
  Driver d({}, Timezone(), kStart, 60s);
  d.feed(std::chrono::hours{24 * 21 + 10}, office_hours);  // to 10:00 on a weekday
  // A deleted-rows queue whose worker died: nothing completes, nothing visible waits.
  const Time stall = d.now;
  const auto fired = d.run_until("no_throughput", 30min, [](Time) { return 0.0; });
  ASSERT_TRUE(fired);
  EXPECT_LE(seconds_between(stall, *fired), 5 * 60);
}

TEST(NoThroughput, BurstyLowVolumeQueueDoesNotAlertBetweenBursts) {
  Driver d({}, Timezone(), kStart, 60s, 7);
  std::mt19937 rng(42);
  std::bernoulli_distribution burst(1.0 / 60);  // about one burst an hour, at random
  std::uniform_int_distribution<int> size(10, 30);
  auto bursty = [&](bool evaluate) {
    const bool b = burst(rng);
    return d.step(b ? size(rng) : 0, 0, std::nullopt, evaluate);
  };
  for (int i = 0; i < 60 * 24 * 21; ++i) bursty(false);  // three weeks to learn from
  int alerts = 0;
  for (int i = 0; i < 60 * 24 * 7; ++i) alerts += find(bursty(true), "no_throughput") ? 1 : 0;
  EXPECT_EQ(alerts, 0);
}

TEST(NoThroughput, UnmeasuredRoundsNeitherExtendNorResetSilence) {
  Driver d({}, Timezone(), kStart, 15s);
  d.feed(1h, [](Time) { return 10.0; });
  d.step(0, 100, 20.0);  // silence starts; work waits
  const QueueState* q = d.engine.queue(d.key);
  ASSERT_NE(q, nullptr);
  const Time last_completion = *q->last_completion_at;
  // Ten minutes of failed probe rounds.
  for (int i = 0; i < 40; ++i) {
    d.now += 15s;
    QueueTick t;
    t.key = d.key;
    t.at = d.now;
    t.measured = false;
    t.error = "undefined_table: relation \"jobs\" does not exist";
    d.engine.ingest(t);
    const auto c = d.engine.evaluate(d.now);
    EXPECT_FALSE(find(c, "no_throughput"));
    EXPECT_TRUE(find(c, "cannot_measure"));
  }
  EXPECT_EQ(*q->last_completion_at, last_completion);
}

// Without per-queue completions and without observed progress (no_throughput_progress_test.cpp
// covers those) there is no evidence: never a stall.
TEST(NoThroughput, DeletedModeWithoutPerQueueCountsOrProgressNeverHolds) {
  Driver d({}, Timezone(), kStart, 15s);
  for (int i = 0; i < 200; ++i) {
    d.now += 15s;
    QueueTick t;
    t.key = d.key;
    t.at = d.now;
    t.completions_known = false;
    t.ready = 1000;
    t.oldest_ready_age_seconds = 30.0 + i * 15;
    d.engine.ingest(t);
    EXPECT_FALSE(find(d.engine.evaluate(d.now), "no_throughput"));
  }
}

TEST(NoThroughput, ConditionNamesTheQueueAndTheNumbers) {
  Driver d({}, Timezone(), kStart, 15s);
  d.feed(1h, [](Time) { return 10.0; });
  const Time stall = d.now;
  const ActiveCondition* c = nullptr;
  std::vector<ActiveCondition> conditions;
  for (int i = 0; i < 20 && c == nullptr; ++i) {
    conditions = d.step(0, 500, seconds_between(stall, d.now + 15s) + 5);
    c = find(conditions, "no_throughput");
  }
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->severity, "critical");
  EXPECT_EQ(c->labels.at("queue"), "default");
  EXPECT_EQ(c->labels.at("source"), "jobs");
  EXPECT_EQ(c->labels.at("target"), "primary");
  EXPECT_EQ(c->labels.at("region"), "eu");
  EXPECT_EQ(c->labels.at("alertname"), "no_throughput");
  EXPECT_NE(c->annotations.at("summary").find("500 ready"), std::string::npos)
      << c->annotations.at("summary");
  EXPECT_NE(c->annotations.at("description")
                .find("500 jobs are ready, the oldest waiting 65s (grace 60s)"),
            std::string::npos)
      << c->annotations.at("description");
}

}  // namespace
}  // namespace qw::rules
