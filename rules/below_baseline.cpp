// below_baseline: over the window, completions fall below `ratio` of what the seasonal baseline
// expects. Judged only on a window expected to see at least `min_expected` jobs (a ratio of
// tiny numbers is noise), and only over its measured part: a probe outage is cannot_measure's
// business, so the expectation is scaled to the seconds actually measured.
#include <fmt/format.h>

#include <cmath>

#include "rules/condition.hpp"
#include "rules/queue_rules.hpp"

namespace qw::rules {

Verdict eval_below_baseline(const QueueState& q, const RuleContext& ctx) {
  const config::BelowBaselineRule& rule = q.rules.below_baseline;
  if (!rule.common.enabled) return std::nullopt;
  if (!q.last_measured) return Verdict::unknown();               // nothing measured since the start
  if (!q.last_measured->completions_known) return std::nullopt;  // never judgeable here
  const std::int64_t now_s = epoch_seconds(ctx.now);
  const std::int64_t window_s =
      std::chrono::duration_cast<std::chrono::seconds>(rule.window).count();
  const Expected base = expected_between(q.history.hours(), ctx.tz, now_s - window_s, now_s,
                                         rule.warmup_floor_per_hour, q.baseline_cache);
  // No baseline for these hours yet: nothing to compare with.
  if (!base.complete) return Verdict::unknown();
  // A quiet hour needs no counting: the expectation is too small to judge even fully measured.
  if (base.count < rule.min_expected) return std::nullopt;
  const WindowSums seen = q.history.window(now_s, window_s);
  // Less than half the window measured (a probe outage, or a restart: minutes are not kept):
  // too little to compare either way.
  if (seen.measured_s < 0.5 * static_cast<double>(window_s)) return Verdict::unknown();
  const double expected = base.count * seen.measured_s / static_cast<double>(window_s);
  if (expected < rule.min_expected || expected <= 0) return std::nullopt;
  const double ratio = seen.completed / expected;
  if (ratio >= rule.ratio) return std::nullopt;
  // The shortfall must also be significant: `sigmas` standard deviations of a Poisson count
  // widened by the queue's burstiness (variance = dispersion * expected). A noisy low-volume
  // queue (tweets, webhooks) routinely sees 40% hours; a steady one never does.
  const double sigma = std::sqrt(q.history.dispersion() * expected);
  if (seen.completed >= expected - rule.sigmas * sigma) return std::nullopt;

  ConditionText text;
  text.summary = fmt::format("{}/{}: {} jobs completed in the last {}, {}% of the usual {}",
                             q.key.source, q.key.queue, format_number(seen.completed),
                             format_seconds(static_cast<double>(window_s)),
                             format_number(std::round(ratio * 100)), format_number(expected));
  text.description = fmt::format(
      "Queue {} (source {}, target {}) completed {} jobs in the {} to {}; its seasonal baseline "
      "for these hours expects {}. The alert holds below {}% of the baseline and {} standard "
      "deviations under it (with at least {} expected).",
      q.key.queue, q.key.source, q.key.target, format_number(seen.completed),
      format_seconds(static_cast<double>(window_s)), format_time(ctx.now), format_number(expected),
      format_number(rule.ratio * 100), format_number(rule.sigmas),
      format_number(rule.min_expected));
  text.extra["observed"] = format_number(seen.completed);
  text.extra["expected"] = format_number(expected);
  return make_condition("below_baseline", rule.common, queue_labels(q), ratio, std::move(text));
}

}  // namespace qw::rules
