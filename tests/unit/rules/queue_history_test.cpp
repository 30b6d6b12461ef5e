// QueueHistory's window sums are memoised for the ticks between rounds; a new round must show at
// once, and two different windows must not answer for each other.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace qw::rules
