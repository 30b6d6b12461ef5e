#include "rules/shortfall.hpp"

#include <algorithm>
#include <cmath>

namespace qw::rules {
namespace {

// Observed against expected, with both measures of surprise (see Shortfall).
Shortfall measure(const QueueState& q, std::int64_t window_s, double observed, double expected) {
  Shortfall s;
  s.window_s = window_s;
  s.observed = observed;
  s.expected = expected;
  if (expected > 0) {
    const double dispersion = q.history.lull_dispersion();
    s.ratio = observed / expected;
    s.count_surprise = count_surprise(observed, expected, dispersion);
    // On the log scale a count's variance is about dispersion / expected (the dispersion of
    // the window's own scale, so sub-hour lulls are counted); the level noise adds the queue's
    // hour-to-hour spread. 0.5 keeps ln finite at zero completions.
    const double sd = std::sqrt(q.level.noise * q.level.noise + dispersion / expected);
    s.level_sigmas = -std::log((observed + 0.5) / (expected + 0.5)) / sd;
  }
  return s;
}

}  // namespace

std::span<const std::int64_t> window_ladder() {
  return kWindowLadder;
}

double count_surprise(double observed, double expected, double dispersion) {
  if (expected <= 0 || observed >= expected) return 0;
  const double d = std::max(1.0, dispersion);
  const double lambda = expected / d;
  const double k = std::max(0.0, observed) / d;
  if (k <= 0) return lambda;
  return lambda - k + k * std::log(k / lambda);
}

WindowVerdict judge_window(const QueueState& q, const RuleContext& ctx, std::int64_t window_s,
                           double warmup_floor_per_hour) {
  WindowVerdict out;
  const std::int64_t now_s = epoch_seconds(ctx.now);
  const Expected base = expected_between(q.history.hours(), ctx.tz, now_s - window_s, now_s,
                                         warmup_floor_per_hour, q.baseline_cache);
  const WindowSums seen = q.history.window(now_s, window_s);
  // No baseline for these hours, or less than half the window measured (a probe outage, or a
  // restart: minutes are not kept): too little to compare either way.
  if (!base.complete || seen.measured_s < 0.5 * static_cast<double>(window_s)) {
    out.undecided = true;
    return out;
  }
  // A trend down that the seasonal median has not caught up with lowers the expectation; a
  // trend up never raises it (a drop from a new high is judged against the old normal).
  const double level = std::clamp(q.level.level, 0.25, 1.0);
  out.shortfall = measure(q, window_s, seen.completed,
                          base.count * level * seen.measured_s / static_cast<double>(window_s));
  return out;
}

WindowVerdict judge_window_by_recent_rate(const QueueState& q, const RuleContext& ctx,
                                          std::int64_t window_s) {
  WindowVerdict out;
  const std::int64_t now_s = epoch_seconds(ctx.now);
  const WindowSums seen = q.history.window(now_s, window_s);
  // The hour before the window, as far as the minute ring reaches.
  const std::int64_t reach = recent_reach(window_s);
  const WindowSums before =
      reach > 0 ? q.history.window_before(now_s, window_s, reach) : WindowSums{};
  if (!rate_is_known(before) || seen.measured_s < 0.5 * static_cast<double>(window_s)) {
    out.undecided = true;
    return out;
  }
  out.shortfall =
      measure(q, window_s, seen.completed, before.completed / before.measured_s * seen.measured_s);
  return out;
}

LadderVerdict judge_ladder(const QueueState& q, const RuleContext& ctx, const ShortfallTest& test) {
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

}  // namespace qw::rules
