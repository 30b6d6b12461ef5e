// throughput_collapse: completions over a window fell to almost nothing (at most `ratio`, 10%,
// of what the baseline and the queue's recent level expect), and the shortfall cannot be
// chance. no_throughput generalised from "zero" to "almost nothing": workers wedged but for one
// still trickle a few jobs through, which no_throughput (it needs a silence) never sees.
//
// Two independent tests, both required: the count's own noise (a Poisson count of bursts)
// makes it rarer than e^-implausible_expected, as no_throughput's silence; and the queue's
// hour-to-hour level noise, learnt from its last week (rules/level.hpp; for windows over an
// hour, the spread of its sums over as many hours), puts it `sigmas` below normal, so a bursty
// queue whose quiet hours routinely fall to 20% is not paged for one. Windows from 5 minutes to
// `max_window`: the shortest that holds is reported, so a queue at 10 jobs/s is judged within
// minutes and one at a job a minute once an hour or so expects enough.
//
// A near-halt (at most kDeepLull, 2.5%, of the expectation, for ten minutes or more) may pass
// the count test on the queue's own record instead: no run of as many 5-minute blocks fell that
// deep in about a thousand (rules/deep_lulls.hpp). A queue whose blocks swing widely has a
// burst size in the hundreds, and its count bound alone waited 50 minutes for a stall.
//
// While work waits, the queue's own rate over the hour before the window is a second
// expectation (Reference::recent), on windows from 2 minutes: a daemon started today has no
// baseline, and wedged workers with a growing backlog need none. The same two tests apply.
// It reaches back as far as the minute ring (6 h): a trickle that has lasted longer than
// max_window is judged by the baseline alone.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "rules/condition.hpp"
#include "rules/queue_rules.hpp"
#include "rules/shortfall.hpp"

namespace qw::rules {
namespace {

// Ready work older than no_throughput's grace: the queue is behind, not idle.
bool work_waits(const QueueState& q) {
  const QueueTick& t = *q.last_measured;
  const double grace = std::chrono::duration<double>(q.rules.no_throughput.grace).count();
  return t.ready > 0 && (!t.oldest_ready_age_seconds || *t.oldest_ready_age_seconds > grace);
}

// A slow queue's longest window may expect too few jobs for even a silence to be significant
// (two jobs an hour: six in three hours, P(0) = e^-6), and a bursty one's too few bursts. Their
// halt is judged on windows up to twice max_window as well (6 hours at most, the minute ring):
// a five-hour stall of a queue at two jobs an hour pages. Only a quiet longest window (at most
// `ratio` of its expectation) asks, so a flowing queue never walks the longer hours.
std::optional<LadderVerdict> judge_longer(const QueueState& q, const RuleContext& ctx,
                                          ShortfallTest test, const LadderVerdict& judged) {
  if (!judged.longest || judged.longest->ratio > test.ratio) return std::nullopt;
  const double silence = count_surprise(0, judged.longest->expected, q.history.lull_dispersion());
  if (silence >= test.min_surprise) return std::nullopt;  // long enough to see a halt already
  const std::int64_t longest = std::min<std::int64_t>(2 * test.max_window_s, kMinuteSlots * 60);
  if (longest <= test.max_window_s) return std::nullopt;
  test.min_window_s = test.max_window_s + 1;
  test.max_window_s = longest;
  LadderVerdict v = judge_ladder(q, ctx, test);
  if (!v.holding) return std::nullopt;
  return v;
}

}  // namespace

Verdict eval_throughput_collapse(const QueueState& q, const RuleContext& ctx) {
  const config::ThroughputCollapseRule& rule = q.rules.throughput_collapse;
  if (!rule.common.enabled) return std::nullopt;
  if (!q.last_measured) return Verdict::unknown();               // nothing measured since the start
  if (!q.last_measured->completions_known) return std::nullopt;  // never judgeable here
  ShortfallTest test;
  test.ratio = rule.ratio;
  test.min_surprise = rule.implausible_expected;
  test.sigmas = rule.sigmas;
  test.deep_lulls = true;
  test.noise_by_window = true;
  test.min_window_s = 300;
  test.max_window_s = std::chrono::duration_cast<std::chrono::seconds>(rule.max_window).count();
  LadderVerdict by_baseline = judge_ladder(q, ctx, test);
  if (!by_baseline.holding) {
    if (auto longer = judge_longer(q, ctx, test, by_baseline)) by_baseline = std::move(*longer);
  }
  LadderVerdict by_recent;
  if (!by_baseline.holding && !by_baseline.clear) {
    test.reference = Reference::recent;
    test.min_window_s = 120;
    by_recent = judge_ladder(q, ctx, test);
  }
  // The recent rate holds only while work waits: without a backlog a fall is demand's, and is
  // neither a collapse nor evidence that work flows.
  const bool recent = !by_baseline.holding && by_recent.holding && work_waits(q);
  if (!by_baseline.holding && !recent) {
    // Either judgement that work flows clears: a fresh daemon's alert, fired on the recent
    // rate while the baseline is still unknown, must resolve when the workers recover.
    return by_baseline.clear || by_recent.clear ? Verdict{} : Verdict::unknown();
  }
  const Shortfall& s = recent ? *by_recent.holding : *by_baseline.holding;
  const std::string_view usual = recent ? "rate of the hour before" : "usual";

  ConditionText text;
  text.summary = fmt::format(
      "{}/{}: throughput collapsed: {} jobs completed in the last {}, {}% "
      "of the {} {}{}",
      q.key.source, q.key.queue, format_number(std::round(s.observed)),
      format_seconds(static_cast<double>(s.window_s)),
      format_number(std::round(s.ratio * 1000) / 10), usual, format_number(std::round(s.expected)),
      recent ? ", with work waiting" : "");
  text.description = fmt::format(
      "Queue {} (source {}, target {}) completed {} jobs in the {} to {}; {} {}. The alert holds "
      "at or below {}% of that, when the count's own noise makes "
      "so few rarer than e^-{} (burstiness {}) and the queue's normal variation over such a window "
      "(noise {}) puts it "
      "at least {} standard deviations low (here {}).",
      q.key.queue, q.key.source, q.key.target, format_number(s.observed),
      format_seconds(static_cast<double>(s.window_s)), format_time(ctx.now),
      recent ? "work is waiting, and at its rate over the hour before, it would have completed"
             : "its baseline and recent level expect",
      format_number(s.expected), format_number(rule.ratio * 100),
      format_number(rule.implausible_expected), format_number(q.history.lull_dispersion()),
      format_number(std::round(s.noise * 100) / 100), format_number(rule.sigmas),
      format_number(std::round(s.level_sigmas * 10) / 10));
  text.extra["observed"] = format_number(s.observed);
  text.extra["expected"] = format_number(s.expected);
  text.extra["expected_from"] = recent ? "recent_rate" : "baseline";
  text.extra["window_seconds"] = format_number(static_cast<double>(s.window_s));
  return make_condition("throughput_collapse", rule.common, queue_labels(q), s.ratio,
                        std::move(text));
}

}  // namespace qw::rules
