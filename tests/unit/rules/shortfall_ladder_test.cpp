// judge_ladder's shortcuts (the baseline's hour pieces walked once per evaluation, and no
// surprise computed on a window that is above the ratio) give exactly the verdict of judging
// every window in full, one by one; and why a ladder may not stop at its longest window.
#include <gtest/gtest.h>

#include <optional>

#include "rules/shortfall.hpp"
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

// judge_ladder as it was written before the shortcuts: every window judged in full with the
// public judge_window (expected_between, both surprises).
LadderVerdict reference_ladder(const QueueState& q, const RuleContext& ctx,
                               const ShortfallTest& test) {
  LadderVerdict out;
  bool judged = false, unmeasured = false, flowing = false;
  auto judge = [&](std::int64_t window_s) {
    const WindowVerdict v = test.reference == Reference::recent
                                ? judge_window_by_recent_rate(q, ctx, window_s)
                                : judge_window(q, ctx, window_s, test.warmup_floor_per_hour);
    if (!v.shortfall) {
      unmeasured = unmeasured || v.undecided;
      return false;
    }
    judged = true;
    if (test.holds(*v.shortfall)) {
      out.holding = v.shortfall;
      return true;
    }
    flowing = flowing || v.shortfall->ratio > test.ratio;
    return false;
  };
  bool max_done = false;
  for (const std::int64_t w : window_ladder()) {
    if (w < test.min_window_s || w > test.max_window_s) continue;
    max_done = max_done || w == test.max_window_s;
    if (judge(w)) return out;
  }
  if (!max_done && judge(test.max_window_s)) return out;
  out.clear = judged && (!unmeasured || flowing);
  return out;
}

// The rules' tests (throughput_collapse's on the baseline and on the recent rate,
// below_baseline's) and odd ones: a longest window off the ladder, a warm-up floor.
std::vector<ShortfallTest> tests() {
  std::vector<ShortfallTest> out;
  ShortfallTest collapse;
  collapse.ratio = 0.1;
  collapse.min_surprise = 9.2;
  collapse.sigmas = 4;
  collapse.min_window_s = 300;
  collapse.max_window_s = 10800;
  out.push_back(collapse);
  collapse.reference = Reference::recent;
  collapse.min_window_s = 120;
  out.push_back(collapse);
  ShortfallTest below;
  below.ratio = 0.6;
  below.sigmas = 3.5;
  below.min_surprise = 3.5 * 3.5 / 2;
  below.min_expected = 10;
  below.min_window_s = 900;
  below.max_window_s = 10800;
  out.push_back(below);
  below.max_window_s = 21600;  // longer than the pieces kept: walked again
  below.ratio = 1;
  out.push_back(below);
  below.max_window_s = 2700;  // not a ladder window, and another floor
  below.ratio = 0.6;
  below.warmup_floor_per_hour = 500;
  out.push_back(below);
  return out;
}

void expect_same(const LadderVerdict& got, const LadderVerdict& want) {
  EXPECT_EQ(got.clear, want.clear);
  ASSERT_EQ(got.holding.has_value(), want.holding.has_value());
  if (!want.holding) return;
  // Bit for bit: the same products summed in the same order.
  EXPECT_EQ(got.holding->window_s, want.holding->window_s);
  EXPECT_EQ(got.holding->observed, want.holding->observed);
  EXPECT_EQ(got.holding->expected, want.holding->expected);
  EXPECT_EQ(got.holding->ratio, want.holding->ratio);
  EXPECT_EQ(got.holding->count_surprise, want.holding->count_surprise);
  EXPECT_EQ(got.holding->level_sigmas, want.holding->level_sigmas);
}

// Through a spring-forward (hour pieces split at the offset change, in a window of six hours),
// normal traffic, a trickle, a mild drop, a full stop with work waiting, and a recovery; on a
// queue with three weeks of baseline and on one with a day (no baseline: undecided windows).
TEST(ShortfallLadder, EqualsJudgingEveryWindowInFull) {
  const std::vector<ShortfallTest> all = tests();
  for (const int days : {21, 1}) {
    SCOPED_TRACE(testing::Message() << days << " days of history");
    const Time dst = at_utc(2024, 3, 31, 1);  // Europe/Berlin: 02:00 -> 03:00 local
    Driver d({}, zone("Europe/Berlin"), dst - std::chrono::hours{24 * days + 4}, 60s, 9);
    d.feed(std::chrono::hours{24 * days}, daily_wave);
    const Time start = d.now;
    int held = 0, cleared = 0, compared = 0;
    while (d.now < start + std::chrono::hours{12}) {
      const double hours = seconds_between(start, d.now) / 3600;
      const double share = hours < 3 ? 1 : hours < 4 ? 0.02 : hours < 6 ? 0.4 : hours < 8 ? 0 : 1;
      const bool waits = hours >= 3 && hours < 8;
      d.step(d.draw(daily_wave(d.now) * share), waits ? 100 : 0,
             waits ? std::optional<double>(1e6) : std::nullopt, false);
      const QueueState& q = *d.engine.queue(d.key);
      const RuleContext ctx{d.engine.timezone(), d.now, std::chrono::milliseconds{1000}};
      for (const ShortfallTest& t : all) {
        SCOPED_TRACE(testing::Message() << "at " << format_time(d.now) << ", ratio " << t.ratio
                                        << ", windows up to " << t.max_window_s);
        const LadderVerdict want = reference_ladder(q, ctx, t);
        expect_same(judge_ladder(q, ctx, t), want);
        held += want.holding ? 1 : 0;
        cleared += want.clear ? 1 : 0;
        ++compared;
      }
    }
    // Every kind of verdict was compared, not only the easy ones.
    EXPECT_GT(cleared, 50);
    if (days == 21) {
      EXPECT_GT(held, 50);
    } else {
      EXPECT_GT(compared - held - cleared, 50);  // neither: undecided (no baseline yet)
    }
  }
}

// Why a ladder may not stop at its longest window when that window flows: every shorter window
// ends now too, and a stall of five minutes after three hours of normal flow leaves the 3-hour
// window at about 97% of its baseline while the 5-minute one has collapsed. A window that is
// above the ratio is skipped on its own count (judge_ladder's early out), never on a longer one's.
TEST(ShortfallLadder, ALongWindowThatFlowsSaysNothingOfTheShortOnes) {
  Driver d({}, Timezone(), at_utc(2024, 5, 6), 15s, 5);
  d.feed(std::chrono::hours{24 * 21 + 10}, daily_wave);
  for (int i = 0; i < 6 * 4; ++i) d.step(0, 100, 1e6, false);  // six minutes of nothing
  const QueueState& q = *d.engine.queue(d.key);
  const RuleContext ctx{d.engine.timezone(), d.now, std::chrono::milliseconds{1000}};
  const WindowVerdict longest = judge_window(q, ctx, 10800, 0);
  ASSERT_TRUE(longest.shortfall);
  EXPECT_GT(longest.shortfall->ratio, 0.9);
  const LadderVerdict v = judge_ladder(q, ctx, tests()[0]);
  ASSERT_TRUE(v.holding);
  EXPECT_EQ(v.holding->window_s, 300);
}

}  // namespace
}  // namespace qw::rules
