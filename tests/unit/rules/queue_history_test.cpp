// QueueHistory's window sums are memoised for the ticks between rounds; a new round must show at
// once, and two different windows must not answer for each other.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "rules/queue_history.hpp"

namespace qw::rules {
namespace {

TEST(QueueHistory, WindowSumsFollowEveryNewRound) {
  QueueHistory h;
  const Timezone utc;
  const std::int64_t t0 = 1716800400;  // on a minute boundary
  h.record(utc, t0, t0 + 60, 10, 1);
  EXPECT_EQ(h.window(t0 + 60, 3600).completed, 10);
  EXPECT_EQ(h.window(t0 + 60, 900).failed, 1);
  h.record(utc, t0 + 60, t0 + 120, 5, 0);
  EXPECT_EQ(h.window(t0 + 120, 3600).completed, 15) << "a memo outlived the data";
  EXPECT_EQ(h.window(t0 + 120, 60).completed, 5) << "windows of other lengths differ";
  EXPECT_EQ(h.window(t0 + 120, 3600).completed, 15);
  EXPECT_EQ(h.window(t0 + 120, 3600).measured_s, 120);
}

// The sweep's lookups and differences answer exactly what summing the minutes does, for every
// window and offset the shortfall rules ask (checkpoints) and others (no checkpoint), with gaps
// in the measured minutes, before the ring is full and after it wrapped, and between rounds.
TEST(QueueHistory, SweptWindowsEqualSummedMinutes) {
  QueueHistory h;
  const Timezone utc;
  std::mt19937 rng(5);
  std::int64_t t = 1716800400;
  const std::int64_t windows[] = {60,   120,  300,   600,   900,   1800,  3600,
                                  5400, 7200, 10800, 14400, 18000, 21600, 420};
  for (int round = 0; round < 500; ++round) {
    const std::int64_t step = 15 + static_cast<std::int64_t>(rng() % 200);
    if (rng() % 7 != 0) {  // some rounds are missing: unmeasured minutes
      h.record(utc, t, t + step, static_cast<double>(rng() % 50), static_cast<double>(rng() % 3));
    }
    t += step;
    if (round % 25 != 0) continue;
    for (const std::int64_t now : {t, t + 1, t + 59, t + 200}) {
      const std::int64_t to = (now - 1) / 60;  // now > 0
      for (const std::int64_t w : windows) {
        SCOPED_TRACE(testing::Message() << "round " << round << " now " << now << " window " << w);
        const WindowSums want = sum_minutes(h.minutes(), to - w / 60, to);
        const WindowSums got = h.window(now, w);
        EXPECT_DOUBLE_EQ(got.completed, want.completed);
        EXPECT_DOUBLE_EQ(got.failed, want.failed);
        EXPECT_DOUBLE_EQ(got.measured_s, want.measured_s);
        for (const std::int64_t offset : {std::int64_t{0}, w, std::int64_t{90}}) {
          if (offset + 3600 > 21600) continue;
          const std::int64_t end = (now - offset - 1) / 60;  // the window ending offset before now
          const WindowSums before = sum_minutes(h.minutes(), end - 60, end);
          const WindowSums got_before = h.window_before(now, offset, 3600);
          EXPECT_NEAR(got_before.completed, before.completed, 1e-6 * (1 + before.completed));
          EXPECT_DOUBLE_EQ(got_before.measured_s, before.measured_s);
        }
      }
    }
  }
}

// The sweep's checkpoints are derived from the ladder: every window the shortfall rules judge,
// and for the recent rate each window plus the hour before it (window_before's whole span), is
// a checkpoint, so none of them falls back to summing minutes. With today's ladder that is the
// list that was written by hand before.
TEST(QueueHistory, SweepCheckpointsCoverEveryLadderWindowAndItsRecentHour) {
  auto checkpoint = [](std::int64_t seconds) {
    return seconds % 60 == 0 && seconds / 60 <= kMinuteSlots && kSweepSlot[seconds / 60] >= 0;
  };
  for (const std::int64_t w : kWindowLadder) {
    EXPECT_TRUE(checkpoint(w)) << w;
    if (recent_reach(w) > 0) {
      EXPECT_TRUE(checkpoint(w + recent_reach(w))) << w;
    }
  }
  EXPECT_TRUE(std::is_sorted(kSweepMinutes.begin(), kSweepMinutes.end()));
  const std::vector<std::int64_t> by_hand = {2,  5,  10, 15,  30,  60,  62,  65,
                                             70, 75, 90, 120, 180, 240, 300, 360};
  EXPECT_EQ(std::vector<std::int64_t>(kSweepMinutes.begin(), kSweepMinutes.end()), by_hand);
  for (std::size_t i = 0; i < kSweepCount; ++i)
    EXPECT_EQ(kSweepSlot[static_cast<std::size_t>(kSweepMinutes[i])], static_cast<int>(i));
}

// The index of dispersion is about the burst size, however large: a source that moves in
// bursts of ten million (bytes, rows, events) must not be judged as if its bursts were a
// million, or every hour without its burst reads as a collapse (NAB's ec2_network_in_5abac7).
TEST(QueueHistory, DispersionFollowsBurstsOfTenMillion) {
  QueueHistory h;
  const Timezone utc;
  const std::int64_t t0 = 1716800400;
  for (std::int64_t m = 0; m < 6 * 60; ++m) {
    const double completed = m % 30 == 0 ? 1e7 : 50;  // a burst every half hour
    h.record(utc, t0 + m * 60, t0 + (m + 1) * 60, completed, 0);
  }
  h.refresh_dispersion(t0 + 6 * 3600);
  EXPECT_GT(h.dispersion(), 1e6);
  EXPECT_GT(h.lull_dispersion(), 1e6);
}

}  // namespace
}  // namespace qw::rules
