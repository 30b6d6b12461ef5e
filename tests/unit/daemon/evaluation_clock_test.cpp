#include "daemon/evaluation_clock.hpp"

#include <gtest/gtest.h>

namespace qw::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
const std::chrono::steady_clock::time_point t0{seconds(1000)};

TEST(NextEvaluation, OnTimeKeepsTheGrid) {
  // The evaluation of tick t0 ended 200 ms later: the next tick is t0 + 1 s, not 1.2 s.
  const auto next = next_evaluation(t0, t0 + milliseconds(200), seconds(1));
  EXPECT_EQ(next.at, t0 + seconds(1));
  EXPECT_EQ(next.missed, 0u);
}

TEST(NextEvaluation, LateSkipsAndCountsThePassedTicks) {
  // Ticks at +1, +2 and +3 s passed while the loop was held until +3.5 s.
  auto next = next_evaluation(t0, t0 + milliseconds(3500), seconds(1));
  EXPECT_EQ(next.at, t0 + seconds(4));
  EXPECT_EQ(next.missed, 3u);
  // A tick exactly at now is due, not missed.
  next = next_evaluation(t0, t0 + seconds(3), seconds(1));
  EXPECT_EQ(next.at, t0 + seconds(3));
  EXPECT_EQ(next.missed, 2u);
  // Just past one tick.
  next = next_evaluation(t0, t0 + milliseconds(1001), seconds(1));
  EXPECT_EQ(next.at, t0 + seconds(2));
  EXPECT_EQ(next.missed, 1u);
}

}  // namespace
}  // namespace qw::daemon
