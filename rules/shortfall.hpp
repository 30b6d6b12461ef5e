#pragma once
// A shortfall of completions over one window, judged against the seasonal baseline and the
// queue's recent level, with two independent measures of how surprising it is. Shared by
// throughput_collapse (a near-total halt) and below_baseline (a drop): the rules differ in
// the share they fire at and how much surprise they need, not in how they count.
#include <cstdint>
#include <optional>
#include <span>

#include "rules/queue_rules.hpp"

namespace qw::rules {

struct Shortfall {
  std::int64_t window_s = 0;
  double observed = 0;  // completions in the window's measured part
  double expected = 0;  // baseline x recent level (at most 1), over the same measured part
  double ratio = 1;     // observed / expected
  // -ln P(a count this low | expected), from the count's own noise alone: a Poisson count of
  // bursts (size = the queue's index of dispersion), Chernoff bound. e^-9.2 < 1e-4.
  double count_surprise = 0;
  // For a near-halt (ratio at most kDeepLull) judged with deep_lulls: -ln of how often the
  // queue's own runs of as many 5-minute blocks fell that deep (DeepLulls::surprise); 0 else.
  double lull_surprise = 0;
  // How many standard deviations below normal ln(observed / expected) lies, with the
  // variance of the count and of the queue's level (LevelStats::noise; tail_noise for a test
  // against_lower_tail; noise_for(window) for a test noise_by_window).
  double level_sigmas = 0;
  double noise = 0;  // the level noise level_sigmas was judged against
};

// What a window's completions are compared with.
enum class Reference {
  // The seasonal baseline x the queue's recent level (at most 1): needs days of history.
  baseline,
  // The queue's own rate over the hour before the window, judged only while work waits (ready
  // jobs older than no_throughput's grace): a fresh daemon has no baseline, yet a queue whose
  // workers wedge needs none to tell. Waiting work is what makes a low count a halt rather than
  // a lull in demand; a queue whose producers stopped has nothing waiting.
  recent,
};

struct WindowVerdict {
  std::optional<Shortfall> shortfall;  // the window could be judged
  bool undecided = false;              // no baseline, or too little of the window measured
};

// The window (now - window_s, now]; `warmup_floor_per_hour` as in below_baseline.
WindowVerdict judge_window(const QueueState& q, const RuleContext& ctx, std::int64_t window_s,
                           double warmup_floor_per_hour);
// The window against the rate of the hour before it (Reference::recent): undecided when that
// hour's rate is not known (rate_is_known) or less than half the window is measured.
WindowVerdict judge_window_by_recent_rate(const QueueState& q, const RuleContext& ctx,
                                          std::int64_t window_s);

// What a rule asks of a window for the shortfall to hold there.
struct ShortfallTest {
  double ratio = 0.6;         // observed <= ratio x expected
  double min_surprise = 4.5;  // count_surprise at least this
  double sigmas = 3;          // level_sigmas at least this
  double min_expected = 0;    // no judgement on a window expecting fewer
  std::int64_t min_window_s = 300;
  std::int64_t max_window_s = 3600;
  double warmup_floor_per_hour = 0;
  Reference reference = Reference::baseline;
  // Judge level_sigmas against LevelStats::tail_noise rather than noise: a drop rule, asking
  // whether an hour is lower than the queue's slow hours go, reads the lower tail; a collapse
  // (a few percent of normal) is far beyond either and keeps the symmetric noise.
  bool against_lower_tail = false;
  // Judge level_sigmas against the level noise at the window's own scale (LevelStats::noise_for):
  // a queue whose hours stray independently is steadier over three hours than over one, and a
  // three-hour stall of it is plain there (mscloud app1-06: noise 1.4 an hour, 3-hour sums far
  // steadier). Not with against_lower_tail, whose slow hours are not measured at that scale.
  bool noise_by_window = false;
  // A window at most kDeepLull of its expectation may also be judged by how rarely the queue's
  // own 5-minute blocks fell that deep (DeepLulls): a halt, which is throughput_collapse's.
  bool deep_lulls = false;
  // The lull_surprise that stands in for min_surprise: no such run in a thousand. A week of
  // blocks cannot show rarer than ~1 in 2000, so the count's 9.2 is out of reach; the level
  // test (sigmas) is still required.
  static constexpr double kRareLull = 6.9;
  bool holds(const Shortfall& s) const {
    return s.expected >= min_expected && s.expected > 0 && s.ratio <= ratio &&
           (s.count_surprise >= min_surprise || (deep_lulls && s.lull_surprise >= kRareLull)) &&
           s.level_sigmas >= sigmas;
  }
};

// Every window of the ladder between min_window_s and max_window_s (and max_window_s itself):
// the shortest that holds; whether the rule may say "clear" (every window measured and none
// holds, or a window that is not even short of the ratio: work flows).
struct LadderVerdict {
  std::optional<Shortfall> holding;
  bool clear = false;
  // The longest window's numbers (max_window_s) without its surprises, when it could be
  // judged: whether a longer one is worth judging (throughput_collapse's slow queues).
  std::optional<Shortfall> longest;
};
LadderVerdict judge_ladder(const QueueState& q, const RuleContext& ctx, const ShortfallTest& test);

// The rate (jobs/s) the shortfall rules expect of the queue in a local hour
// (local_hour_index): its seasonal baseline x the recent level, as judge_window computes it;
// none while the queue has too little history for a baseline (a rule's warm-up floor is not
// applied). Exported so that a dashboard shows each queue's completions against what its rules
// compare them with.
std::optional<double> expected_rate_in_hour(const QueueState& q, std::int64_t local_hour);

// -ln of the Chernoff bound on P(X <= observed) for X ~ dispersion x Poisson(expected /
// dispersion); 0 when observed >= expected.
double count_surprise(double observed, double expected, double dispersion);

// The windows judged, shortest first: kWindowLadder (rules/windows.hpp).
std::span<const std::int64_t> window_ladder();

}  // namespace qw::rules
