// throughput_collapse: completions over a window fell to almost nothing (at most `ratio`, 10%,
// of what the baseline and the queue's recent level expect), and the shortfall cannot be
// chance. no_throughput generalised from "zero" to "almost nothing": workers wedged but for one
// still trickle a few jobs through, which no_throughput (it needs a silence) never sees.
//
// Two independent tests, both required: the count's own noise (a Poisson count of bursts)
// makes it rarer than e^-implausible_expected, as no_throughput's silence; and the queue's
// hour-to-hour level noise, learnt from its last week (rules/level.hpp), puts it `sigmas`
// below normal, so a bursty queue whose quiet hours routinely fall to 20% is not paged for one.
// Windows from 5 minutes to `max_window`: the shortest that holds is reported, so a queue at 10
// jobs/s is judged within minutes and one at a job a minute once an hour or so expects enough.
#include <fmt/format.h>

#include <cmath>

#include "rules/condition.hpp"
#include "rules/queue_rules.hpp"
#include "rules/shortfall.hpp"

namespace qw::rules {

Verdict eval_throughput_collapse(const QueueState& q, const RuleContext& ctx) {
  const config::ThroughputCollapseRule& rule = q.rules.throughput_collapse;
  if (!rule.common.enabled) return std::nullopt;
  if (!q.last_measured) return Verdict::unknown();               // nothing measured since the start
  if (!q.last_measured->completions_known) return std::nullopt;  // never judgeable here
  ShortfallTest test;
  test.ratio = rule.ratio;
  test.min_surprise = rule.implausible_expected;
  test.sigmas = rule.sigmas;
  test.min_window_s = 300;
  test.max_window_s = std::chrono::duration_cast<std::chrono::seconds>(rule.max_window).count();
  const LadderVerdict v = judge_ladder(q, ctx, test);
  if (!v.holding) return v.clear ? Verdict{} : Verdict::unknown();
  const Shortfall& s = *v.holding;

  ConditionText text;
  text.summary = fmt::format(
      "{}/{}: throughput collapsed: {} jobs completed in the last {}, {}% "
      "of the usual {}",
      q.key.source, q.key.queue, format_number(std::round(s.observed)),
      format_seconds(static_cast<double>(s.window_s)),
      format_number(std::round(s.ratio * 1000) / 10), format_number(std::round(s.expected)));
  text.description = fmt::format(
      "Queue {} (source {}, target {}) completed {} jobs in the {} to {}; its baseline and recent "
      "level expect {}. The alert holds at or below {}% of that, when the count's own noise makes "
      "so few rarer than e^-{} (burstiness {}) and the queue's normal hour-to-hour variation "
      "(noise {}) puts it "
      "at least {} standard deviations low (here {}).",
      q.key.queue, q.key.source, q.key.target, format_number(s.observed),
      format_seconds(static_cast<double>(s.window_s)), format_time(ctx.now),
      format_number(s.expected), format_number(rule.ratio * 100),
      format_number(rule.implausible_expected), format_number(q.history.lull_dispersion()),
      format_number(q.level.noise), format_number(rule.sigmas),
      format_number(std::round(s.level_sigmas * 10) / 10));
  text.extra["observed"] = format_number(s.observed);
  text.extra["expected"] = format_number(s.expected);
  text.extra["window_seconds"] = format_number(static_cast<double>(s.window_s));
  return make_condition("throughput_collapse", rule.common, queue_labels(q), s.ratio,
                        std::move(text));
}

}  // namespace qw::rules
