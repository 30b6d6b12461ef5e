#include "rules/shortfall.hpp"

#include <algorithm>
#include <cmath>

namespace qw::rules {
namespace {

// A trend down that the seasonal median has not caught up with lowers the expectation; a
// trend up never raises it (a drop from a new high is judged against the old normal).
double level_factor(const QueueState& q) {
  return std::clamp(q.level.level, 0.25, 1.0);
}

// Observed against expected, and their ratio; the surprises are add_surprise's.
Shortfall counts(std::int64_t window_s, double observed, double expected) {
  Shortfall s;
  s.window_s = window_s;
  s.observed = observed;
  s.expected = expected;
  if (expected > 0) s.ratio = observed / expected;
  return s;
}

// The measures of surprise (see Shortfall); `noise` is the level noise judged against.
void add_surprise(const QueueState& q, Shortfall& s, double noise, bool deep_lulls = false) {
  if (s.expected <= 0) return;
  s.noise = noise;
  const double dispersion = q.history.lull_dispersion();
  s.count_surprise = count_surprise(s.observed, s.expected, dispersion);
  // Ten minutes at least: single deep blocks come and go on a bursty queue more often than a
  // week of them shows (load-balancer traffic: nine in two weeks), two in a row did not once.
  if (deep_lulls && s.ratio <= kDeepLull && s.window_s >= 600)
    s.lull_surprise = q.deep_lulls.surprise(static_cast<int>(s.window_s / 300));
  // On the log scale a count's variance is about dispersion / expected (the dispersion of
  // the window's own scale, so sub-hour lulls are counted); the level noise adds the queue's
  // hour-to-hour spread. 0.5 keeps ln finite at zero completions.
  const double sd = std::sqrt(noise * noise + dispersion / s.expected);
  s.level_sigmas = -std::log((s.observed + 0.5) / (s.expected + 0.5)) / sd;
}

// A window against its baseline expectation `base`, without the surprises.
WindowVerdict against_baseline(const QueueState& q, std::int64_t window_s, const Expected& base,
                               const WindowSums& seen) {
  WindowVerdict out;
  // No baseline for these hours, or less than half the window measured (a probe outage, or a
  // restart: minutes are not kept): too little to compare either way.
  if (!base.complete || seen.measured_s < 0.5 * static_cast<double>(window_s)) {
    out.undecided = true;
    return out;
  }
  out.shortfall =
      counts(window_s, seen.completed,
             base.count * level_factor(q) * seen.measured_s / static_cast<double>(window_s));
  return out;
}

// The window against the rate of the hour before it, without the surprises.
WindowVerdict against_recent_rate(const QueueState& q, const RuleContext& ctx,
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
      counts(window_s, seen.completed, before.completed / before.measured_s * seen.measured_s);
  return out;
}

WindowVerdict with_surprise(const QueueState& q, WindowVerdict v) {
  if (v.shortfall) add_surprise(q, *v.shortfall, q.level.noise);
  return v;
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

std::optional<double> expected_rate_in_hour(const QueueState& q, std::int64_t local_hour) {
  // Through the cache the evaluation just filled: a lookup per queue, not a baseline computed
  // again for each of 10,000 queues every evaluation.
  const auto rate = cached_rate(q.history.hours(), local_hour, 0, q.baseline_cache);
  if (!rate) return std::nullopt;
  return rate->per_second * level_factor(q);
}

WindowVerdict judge_window(const QueueState& q, const RuleContext& ctx, std::int64_t window_s,
                           double warmup_floor_per_hour) {
  const std::int64_t now_s = epoch_seconds(ctx.now);
  const Expected base = expected_between(q.history.hours(), ctx.tz, now_s - window_s, now_s,
                                         warmup_floor_per_hour, q.baseline_cache);
  return with_surprise(q, against_baseline(q, window_s, base, q.history.window(now_s, window_s)));
}

WindowVerdict judge_window_by_recent_rate(const QueueState& q, const RuleContext& ctx,
                                          std::int64_t window_s) {
  return with_surprise(q, against_recent_rate(q, ctx, window_s));
}

LadderVerdict judge_ladder(const QueueState& q, const RuleContext& ctx, const ShortfallTest& test) {
  LadderVerdict out;
  bool judged = false, unmeasured = false, flowing = false;
  const std::int64_t now_s = epoch_seconds(ctx.now);
  auto judge = [&](std::int64_t window_s) {
    // The baseline's hour pieces are walked once for the longest window (expected_until) and
    // shared by every shorter one, and by the other rule's ladder on the same tick.
    WindowVerdict v =
        test.reference == Reference::recent
            ? against_recent_rate(q, ctx, window_s)
            : against_baseline(
                  q, window_s,
                  expected_until(q.history.hours(), ctx.tz, now_s, window_s, test.max_window_s,
                                 test.warmup_floor_per_hour, q.baseline_cache),
                  q.history.window(now_s, window_s));
    if (!v.shortfall) {
      unmeasured = unmeasured || v.undecided;
      return false;
    }
    judged = true;
    Shortfall& s = *v.shortfall;
    if (window_s == test.max_window_s) out.longest = s;
    // Early out: holds() needs expected > 0, expected >= min_expected and ratio <= the test's
    // ratio. A window failing any of these cannot hold whatever its surprise, so its two
    // logarithms are not computed; the verdict (which window holds, clear or not) is the same
    // (ShortfallLadder.EqualsJudgingEveryWindowInFull). Most windows of a flowing queue stop here.
    if (s.expected > 0 && s.expected >= test.min_expected && s.ratio <= test.ratio) {
      const double noise = test.against_lower_tail ? q.level.tail_noise
                           : test.noise_by_window  ? q.level.noise_for(window_s)
                                                   : q.level.noise;
      add_surprise(q, s, noise, test.deep_lulls);
      if (test.holds(s)) {
        out.holding = v.shortfall;
        return true;
      }
    }
    flowing = flowing || s.ratio > test.ratio;
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
