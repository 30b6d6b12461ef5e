// throughput_collapse on a fake clock: a trickle pages critical within minutes on a fast queue
// and within its Poisson bound on a slow one; normal traffic, a mild drop and a bursty queue's
// quiet hours do not; and its shortfall test (rules/shortfall.*) in isolation.
#include <cmath>
#include <functional>
#include <stdexcept>

#include "rules/level.hpp"
#include "rules/shortfall.hpp"
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

const Time kStart = at_utc(2024, 5, 6);  // Monday

TEST(ThroughputCollapse, NormalTrafficDoesNotPage) {
  Driver d({}, Timezone(), kStart, 60s, 3);
  d.feed(std::chrono::hours{24 * 21}, daily_wave);
  EXPECT_FALSE(d.run_until("throughput_collapse", std::chrono::hours{48}, daily_wave));
}

// The seed's "complete halt" that is not quite zero: workers wedged but for one, 2% of the rate.
// no_throughput never sees it (there is no silence); the collapse pages critical in minutes.
TEST(ThroughputCollapse, TrickleOnAFastQueuePagesCriticalWithinMinutes) {
  Driver d({}, Timezone(), kStart, 15s, 5);
  d.feed(std::chrono::hours{24 * 21 + 10}, daily_wave);
  const Time stall = d.now;
  const auto trickle = [](Time t) { return daily_wave(t) * 0.02; };
  const auto fired = d.run_until("throughput_collapse", 1h, trickle);
  ASSERT_TRUE(fired);
  EXPECT_LE(seconds_between(stall, *fired), 6 * 60);
  const auto c = d.engine.evaluate(d.now);
  EXPECT_EQ(get(c, "throughput_collapse").labels.at("severity"), "critical");
  EXPECT_FALSE(find(c, "no_throughput"));  // a trickle is no silence
}

// A queue at one job a minute: nothing is implausible until about ten jobs were expected.
TEST(ThroughputCollapse, SlowQueueWaitsForItsPoissonBound) {
  Driver d({}, Timezone(), kStart, 60s, 7);
  const auto slow = [](Time) { return 1.0 / 60; };
  d.feed(std::chrono::hours{24 * 21}, slow);
  const Time stall = d.now;
  const auto fired = d.run_until("throughput_collapse", 3h, [](Time) { return 0.0; });
  ASSERT_TRUE(fired);
  const double waited = seconds_between(stall, *fired);
  EXPECT_GE(waited, 9 * 60);   // e^-9.2: about 9 expected completions
  EXPECT_LE(waited, 35 * 60);  // ... and judged on the 15- or 30-minute window
}

// A queue at three jobs an hour: three hours expect nine, and even their silence is e^-9, just
// under the bound (and the stall itself lowers the recent level, so the expectation shrinks as
// it goes on). Its halt is judged on windows up to twice max_window, six hours: it pages on one
// of those, where three-hour windows alone never would.
TEST(ThroughputCollapse, AVerySlowQueuesStallPagesOnWindowsBeyondMaxWindow) {
  Driver d({}, Timezone(), kStart, 60s, 11);
  const auto slow = [](Time) { return 3.0 / 3600; };
  d.feed(std::chrono::hours{24 * 21}, slow);
  const Time stall = d.now;
  const auto fired = d.run_until("throughput_collapse", 7h, [](Time) { return 0.0; });
  ASSERT_TRUE(fired) << "a seven-hour stall of a three-jobs-an-hour queue was never paged";
  EXPECT_GT(seconds_between(stall, *fired), 3 * 3600) << "three hours cannot show it";
  const auto c = d.engine.evaluate(d.now);
  EXPECT_EQ(get(c, "throughput_collapse").labels.at("severity"), "critical");
  EXPECT_GT(std::stoi(get(c, "throughput_collapse").annotations.at("window_seconds")), 3 * 3600);
}

TEST(ThroughputCollapse, HalfTheUsualIsNotACollapse) {
  Driver d({}, Timezone(), kStart, 60s, 3);
  d.feed(std::chrono::hours{24 * 21 + 10}, daily_wave);
  EXPECT_FALSE(d.run_until("throughput_collapse", 3h, [](Time t) { return daily_wave(t) * 0.4; }));
}

// A bursty queue whose hours routinely stray far from the baseline learns a wide level noise:
// an hour at 12% of the usual is within what it does, and is not paged.
TEST(ThroughputCollapse, ABurstyQueueLearnsItsOwnLevelNoise) {
  Driver d({}, Timezone(), kStart, 60s, 11);
  std::mt19937 rng(4);
  std::lognormal_distribution<double> level(0, 1.1);
  double hour_level = 1;
  std::int64_t hour = -1;
  const auto bursty = [&](Time t) {
    const auto h = static_cast<std::int64_t>(epoch_seconds(t) / 3600);
    if (h != hour) {
      hour = h;
      hour_level = level(rng);
    }
    return 0.5 * hour_level;
  };
  d.feed(std::chrono::hours{24 * 21}, bursty);
  const QueueState* q = d.engine.queue(d.key);
  ASSERT_NE(q, nullptr);
  EXPECT_GT(q->level.noise, 0.8);
  EXPECT_FALSE(d.run_until("throughput_collapse", 1h, [](Time) { return 0.5 * 0.12; }));
}

// A queue whose hours jump independently (25, 4, 17, 3, 30 a minute) has an hourly level noise
// over 1, so an hour at 2% is within what it does; over three hours it is steady, and a stall to
// 2% pages on the three-hour window (judged against LevelStats::noise_3h).
TEST(ThroughputCollapse, AStallOfAQueueWhoseHoursJumpPagesOnItsThreeHourNoise) {
  Driver d({}, Timezone(), kStart, 60s, 17);
  const auto jumpy = [](Time t) {
    static constexpr double kPerSecond[] = {0.42, 0.07, 0.28, 0.05, 0.5};
    return kPerSecond[static_cast<std::size_t>((epoch_seconds(t) / 3600) % 5)];
  };
  d.feed(std::chrono::hours{24 * 21}, jumpy);
  const QueueState* q = d.engine.queue(d.key);
  ASSERT_NE(q, nullptr);
  EXPECT_GT(q->level.noise, 1.0);
  EXPECT_TRUE(d.run_until("throughput_collapse", 4h, [&](Time t) { return jumpy(t) * 0.02; }));
}

// A daemon started ten minutes ago has no baseline. A queue at 5 jobs/s whose workers wedge
// but for one (2%) while its backlog grows is still paged critical within minutes, on its own
// recent rate; when the workers recover, the alert clears rather than waiting for a baseline.
TEST(ThroughputCollapse, FreshDaemonPagesATrickleWithWorkWaitingOnTheRecentRate) {
  Driver d({}, Timezone(), kStart, 15s, 13);
  for (int i = 0; i < 40; ++i) d.step(d.draw(5.0), 2, 1.0);  // 10 minutes, keeping up
  const Time wedged = d.now;
  std::int64_t backlog = 0;
  std::optional<Time> fired;
  std::vector<ActiveCondition> c;
  while (!fired && d.now < wedged + 10min) {
    backlog += 75;  // 5 jobs/s keep arriving
    c = d.step(d.draw(0.1), backlog, seconds_between(wedged, d.now));
    if (find(c, "throughput_collapse")) fired = d.now;
  }
  ASSERT_TRUE(fired);
  EXPECT_LE(seconds_between(wedged, *fired), 3 * 60);
  const ActiveCondition alert = get(c, "throughput_collapse");
  EXPECT_EQ(alert.labels.at("severity"), "critical");
  EXPECT_EQ(alert.annotations.at("expected_from"), "recent_rate");
  EXPECT_NE(alert.annotations.at("summary").find("rate of the hour before"), std::string::npos)
      << alert.annotations.at("summary");
  // Recovered: the backlog drains at twice the rate; the verdict is "clear", not "unknown".
  for (int i = 0; i < 8; ++i) c = d.step(d.draw(10.0), 100, 30.0);
  EXPECT_FALSE(find(c, "throughput_collapse"));
  EXPECT_FALSE(d.engine.undecided(alert.labels));
}

// The same trickle with nothing waiting is demand falling, not workers failing: a fresh daemon
// has no baseline to call it a drop, and the recent rate is not used without a backlog.
TEST(ThroughputCollapse, FreshDaemonDoesNotPageAFallInDemand) {
  Driver d({}, Timezone(), kStart, 15s, 17);
  for (int i = 0; i < 40; ++i) d.step(d.draw(5.0), 2, 1.0);
  for (int i = 0; i < 40; ++i) {
    const auto c = d.step(d.draw(0.1), 0, std::nullopt);
    ASSERT_FALSE(find(c, "throughput_collapse")) << "step " << i;
  }
}

TEST(Shortfall, CountSurpriseIsPoissonZeroAtZeroAndShrinksWithBursts) {
  EXPECT_DOUBLE_EQ(count_surprise(0, 9.2, 1), 9.2);  // P(0) = e^-9.2
  EXPECT_DOUBLE_EQ(count_surprise(0, 9.2, 4), 2.3);  // bursts of 4: a quarter the evidence
  EXPECT_EQ(count_surprise(10, 10, 1), 0);
  EXPECT_EQ(count_surprise(12, 10, 1), 0);
  // Chernoff: k = 2 of 20 expected, 20 - 2 + 2 ln(2/20).
  EXPECT_NEAR(count_surprise(2, 20, 1), 18 + 2 * std::log(0.1), 1e-12);
}

const std::int64_t kNowHour = 24 * 7 * 10;

// Three whole weeks of measured hours before kNowHour, `count(hour)` completions each.
HourRing three_weeks(const std::function<float(std::int64_t)>& count) {
  HourRing ring;
  for (std::int64_t h = kNowHour - 24 * 21; h < kNowHour; ++h) {
    HourSlot* s = ring.write(h);
    if (s == nullptr) throw std::out_of_range("hour outside the ring");
    s->measured_s = 3600;
    s->count = count(h);
  }
  return ring;
}

// A stall's own hours are normal until an alert holds: read into the level, five hours of
// nothing would lower the expectation they are judged against. The level is the day before the
// last six hours; a day at 60% before them is a trend, and is followed.
TEST(LevelStats, TheLastSixHoursDoNotLowerTheLevel) {
  const HourRing stalled =
      three_weeks([](std::int64_t h) { return h >= kNowHour - 5 ? 0.0F : 1000.0F; });
  EXPECT_NEAR(level_stats(stalled, kNowHour, 1).level, 1.0, 0.01);
  const HourRing lower_day = three_weeks(
      [](std::int64_t h) { return h >= kNowHour - 30 && h < kNowHour - 6 ? 600.0F : 1000.0F; });
  EXPECT_NEAR(level_stats(lower_day, kNowHour, 1).level, 0.6, 0.01);
}

// Hours an alert held teach no level while a day of normal hours is in the last two: a stall
// held for twenty hours leaves the level at 1. Held through two days and more, they are the
// level (a step down for good), which lowers an expectation to a quarter at most (the caller).
TEST(LevelStats, HeldHoursAreTheLevelOnlyWhenAlertsHeldThroughTwoDays) {
  const auto held_since = [](std::int64_t hours_ago, float count_then) {
    HourRing ring = three_weeks(
        [&](std::int64_t h) { return h >= kNowHour - hours_ago ? count_then : 1000.0F; });
    for (std::int64_t h = kNowHour - hours_ago; h < kNowHour; ++h) {
      HourSlot* s = ring.write(h);
      if (s == nullptr) throw std::out_of_range("hour outside the ring");
      s->excluded = true;
    }
    return ring;
  };
  EXPECT_NEAR(level_stats(held_since(20, 0.0F), kNowHour, 1).level, 1.0, 0.01);
  EXPECT_NEAR(level_stats(held_since(60, 300.0F), kNowHour, 1).level, 0.3, 0.01);
  EXPECT_NEAR(level_stats(held_since(60, 0.0F), kNowHour, 1).level, 0.0, 0.01);
}

TEST(LevelStats, NoiseOfAPoissonQueueIsTheFloorAndLevelFollowsATrendDown) {
  // 1000 an hour for two weeks, then 600 an hour over the last week: a trend down.
  const HourRing ring =
      three_weeks([](std::int64_t h) { return h < kNowHour - 24 * 7 ? 1000.0F : 600.0F; });
  const LevelStats stats = level_stats(ring, kNowHour, 1);
  EXPECT_GE(stats.hours, 24);
  EXPECT_NEAR(stats.level, 1.0, 0.05);  // the daily median has followed the week already
  EXPECT_DOUBLE_EQ(stats.noise, 0.1);   // steady hours: the floor
  EXPECT_DOUBLE_EQ(stats.tail_noise, stats.noise);  // no lower tail to speak of
}

// A queue steady but for one hour in eleven at 40% (a different hour of the week each week, so
// the seasonal median never learns it): the MAD sees the steady hours, the lower tail sees the
// slow ones.
TEST(LevelStats, TailNoiseReadsTheSlowHoursTheMadLeavesOut) {
  const HourRing ring = three_weeks(
      [](std::int64_t h) { return h % 11 == 0 ? 400.0F : (h % 2 == 0 ? 1100.0F : 900.0F); });
  const LevelStats stats = level_stats(ring, kNowHour, 1);
  EXPECT_LT(stats.noise, 0.2);       // the steady hours' +-10%
  EXPECT_GT(stats.tail_noise, 0.4);  // ln(0.4) / 1.645 = 0.56, less the count's noise
}

// Hours that stray independently (900, 150, 600, 120, 1100, ...) average out over three: the
// three-hour noise is far below the hourly one, and a window between them gets a value between
// them.
TEST(LevelStats, ThreeHourNoiseIsSmallerWhereHoursStrayIndependently) {
  const HourRing ring = three_weeks([](std::int64_t h) {
    // Five hours against a week of 168 and a day of 24: no baseline can learn the pattern.
    static constexpr float kHours[] = {900, 150, 600, 120, 1100};
    return kHours[static_cast<std::size_t>(h % 5)];
  });
  const LevelStats stats = level_stats(ring, kNowHour, 1);
  EXPECT_GT(stats.noise, 0.6);
  EXPECT_LT(stats.noise_3h, 0.5 * stats.noise);
  EXPECT_DOUBLE_EQ(stats.noise_for(600), stats.noise);
  EXPECT_DOUBLE_EQ(stats.noise_for(3 * 3600), stats.noise_3h);
  EXPECT_LT(stats.noise_for(2 * 3600), stats.noise);
  EXPECT_GT(stats.noise_for(2 * 3600), stats.noise_3h);
}

// A level that shifts for whole days (a cycle of five days from 1,000 to 5,000 an hour, which
// no weekly or daily median learns) is as far off over three hours as over one: the three-hour
// noise keeps it, so the fall back from a shifted stretch is not judged against a noise that
// forgot the shift.
TEST(LevelStats, ThreeHourNoiseKeepsALevelThatShiftsForDays) {
  const HourRing ring = three_weeks([](std::int64_t h) {
    static constexpr float kDays[] = {1000, 3000, 1500, 5000, 2000};
    return kDays[static_cast<std::size_t>((h / 24) % 5)];
  });
  const LevelStats stats = level_stats(ring, kNowHour, 1);
  EXPECT_GT(stats.noise, 0.3);
  EXPECT_GT(stats.noise_3h, 0.8 * stats.noise);
}

}  // namespace
}  // namespace qw::rules
