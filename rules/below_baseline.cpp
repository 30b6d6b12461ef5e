// below_baseline: completions fall below `ratio` of what the seasonal baseline (and the queue's
// recent level, where that is lower) expects, judged on several windows at once, from 15
// minutes up to `window`: a deep drop is significant on a short window and pages in minutes, a
// mild one needs a long window (the multi-window shape of SRE burn-rate alerts). A window must
// expect at least `min_expected` jobs (a ratio of tiny numbers is noise) and is judged only
// over its measured part: a probe outage is cannot_measure's business.
//
// Significance is judged twice, as in throughput_collapse: by the count's own noise (Chernoff,
// -ln P >= sigmas^2 / 2, the normal tail at `sigmas`) and by the queue's learnt level noise
// (`sigmas` standard deviations on the log scale). A noisy low-volume queue (tweets, webhooks)
// routinely sees 40% hours; a steady one never does, and each learns which it is.
#include <fmt/format.h>

#include <cmath>

#include "rules/condition.hpp"
#include "rules/queue_rules.hpp"
#include "rules/shortfall.hpp"

namespace qw::rules {

Verdict eval_below_baseline(const QueueState& q, const RuleContext& ctx) {
  const config::BelowBaselineRule& rule = q.rules.below_baseline;
  if (!rule.common.enabled) return std::nullopt;
  if (!q.last_measured) return Verdict::unknown();               // nothing measured since the start
  if (!q.last_measured->completions_known) return std::nullopt;  // never judgeable here
  ShortfallTest test;
  test.ratio = rule.ratio;
  test.sigmas = rule.sigmas;
  test.min_surprise = rule.sigmas * rule.sigmas / 2;
  test.min_expected = rule.min_expected;
  test.max_window_s = std::chrono::duration_cast<std::chrono::seconds>(rule.window).count();
  test.min_window_s = std::min<std::int64_t>(900, test.max_window_s);
  test.warmup_floor_per_hour = rule.warmup_floor_per_hour;
  // A drop is judged against how low this queue's slow hours go (LevelStats::tail_noise): on
  // held-out bursty series the symmetric noise paged on every weekend evening (docs/rules.md).
  test.against_lower_tail = true;
  const LadderVerdict v = judge_ladder(q, ctx, test);
  if (!v.holding) return v.clear ? Verdict{} : Verdict::unknown();
  const Shortfall& s = *v.holding;

  ConditionText text;
  text.summary = fmt::format(
      "{}/{}: {} jobs completed in the last {}, {}% of the usual {}", q.key.source, q.key.queue,
      format_number(std::round(s.observed)), format_seconds(static_cast<double>(s.window_s)),
      format_number(std::round(s.ratio * 100)), format_number(std::round(s.expected)));
  text.description = fmt::format(
      "Queue {} (source {}, target {}) completed {} jobs in the {} to {}; its seasonal baseline "
      "for these hours expects {}. The alert holds below {}% of the baseline and {} standard "
      "deviations under it (with at least {} expected), on any window from {} to {}.",
      q.key.queue, q.key.source, q.key.target, format_number(s.observed),
      format_seconds(static_cast<double>(s.window_s)), format_time(ctx.now),
      format_number(s.expected), format_number(rule.ratio * 100), format_number(rule.sigmas),
      format_number(rule.min_expected), format_seconds(static_cast<double>(test.min_window_s)),
      format_seconds(static_cast<double>(test.max_window_s)));
  text.extra["observed"] = format_number(s.observed);
  text.extra["expected"] = format_number(s.expected);
  text.extra["window_seconds"] = format_number(static_cast<double>(s.window_s));
  return make_condition("below_baseline", rule.common, queue_labels(q), s.ratio, std::move(text));
}

}  // namespace qw::rules
