// no_throughput: nothing completes while work is waiting.
//
// Silence is measured time since the last round that saw a completion. Whether it is a stall
// depends on the rate: a silence is implausible once the completions expected in it reach
// `implausible_expected` (9.2: Poisson P(0) = e^-9.2 < 1e-4). Two independent reasons to expect
// completions, either one suffices:
//  A. work is waiting (ready jobs older than `grace`) and the queue's own recent rate, over the
//     hour before the silence began, predicts that many in the time the work has waited;
//  B. the seasonal baseline predicts that many over the silence, even with nothing visible
//     waiting, and so does the rate before the silence (the smaller of the two counts). Baselines
//     come from traffic that may arrive in bursts; a Poisson threshold would call every gap between
//     bursts a stall, so B's threshold is multiplied by the queue's index of dispersion (about the
//     burst size).
// An idle queue at night has neither: nothing waits, and its baseline is near zero.
//
// Not holding is a verdict too, and it needs evidence. After a start (or a restart in the middle
// of a stall) the silence is counted from the first round, because no completion has been seen
// yet: that undercounts a silence which began earlier, so while work waits and the undercount is
// not yet enough to fire, the answer is `unknown` and an alert already firing stays firing. Only a
// completion seen, or nothing waiting, clears it.
#include <fmt/format.h>

#include <algorithm>

#include "rules/condition.hpp"
#include "rules/queue_rules.hpp"

namespace qw::rules {

Verdict eval_no_throughput(const QueueState& q, const RuleContext& ctx) {
  const config::NoThroughputRule& rule = q.rules.no_throughput;
  if (!rule.common.enabled) return std::nullopt;
  if (!q.last_measured || !q.last_completion_at) return Verdict::unknown();
  const QueueTick& t = *q.last_measured;
  // Deleted-mode tables with several queues report no per-queue completions: judged by the
  // progress the probe observed instead (no_throughput_progress.cpp).
  if (!t.completions_known) return eval_no_throughput_by_progress(q, ctx);

  const double silence = seconds_between(*q.last_completion_at, t.at);
  const double min_silence = std::chrono::duration<double>(rule.min_silence).count();
  const double grace = std::chrono::duration<double>(rule.grace).count();
  const bool waiting =
      t.ready > 0 && (!t.oldest_ready_age_seconds || *t.oldest_ready_age_seconds > grace);
  // Work waits, yet this silence is too short or its rate unknown to tell: no verdict (see top).
  const Verdict undecided =
      waiting && (!q.completion_seen || !q.rate_known) ? Verdict::unknown() : Verdict{};
  if (silence < min_silence) return undecided;
  const double waited =
      t.oldest_ready_age_seconds ? std::min(silence, *t.oldest_ready_age_seconds) : silence;
  const double expected_recent = waiting ? q.rate_before_silence * waited : 0;

  const double dispersion = q.history.lull_dispersion();
  const double seasonal_needed = rule.implausible_expected * dispersion;
  const bool by_recent = expected_recent >= rule.implausible_expected;
  // The baseline must be corroborated by the queue's own recent rate: a baseline learnt on
  // busier days (a holiday, a slow evening) alone does not make silence implausible. The
  // recent rate bounds it, so the baseline is only summed when that bound could suffice.
  Expected seasonal;
  double seasonal_expected = 0;
  if (q.rate_before_silence * silence >= seasonal_needed) {
    // The warm-up floor is a guess for below_baseline's sake; a stall needs learned evidence.
    seasonal = expected_between(q.history.hours(), ctx.tz, epoch_seconds(*q.last_completion_at),
                                epoch_seconds(t.at), 0, q.baseline_cache);
    seasonal_expected = std::min(seasonal.count, q.rate_before_silence * silence);
  }
  const bool by_seasonal = seasonal_expected >= seasonal_needed;
  if (!by_recent && !by_seasonal) return undecided;

  ConditionText text;
  text.summary = fmt::format("{}/{}: no job completed for {} ({} ready)", q.key.source, q.key.queue,
                             format_seconds(silence), t.ready);
  std::string why;
  if (by_recent) {
    why = fmt::format(
        "{} jobs are ready, the oldest waiting {} (grace {}). Before the silence the queue "
        "completed {}/min, so {} completions were expected while the work waited; {} make "
        "zero implausible.",
        t.ready, format_seconds(t.oldest_ready_age_seconds.value_or(silence)),
        format_seconds(grace), format_number(q.rate_before_silence * 60),
        format_number(expected_recent), format_number(rule.implausible_expected));
  } else {
    why = fmt::format(
        "The seasonal baseline expects {} completions in that time ({} at the rate before the "
        "silence); with this queue's burstiness (dispersion {}) {} make zero implausible.",
        format_number(seasonal.count), format_number(q.rate_before_silence * silence),
        format_number(dispersion), format_number(seasonal_needed));
  }
  const std::string since = q.completion_seen ? format_time(*q.last_completion_at)
                                              : fmt::format("queuewatch started watching it at {}",
                                                            format_time(*q.last_completion_at));
  text.description = fmt::format(
      "Queue {} (source {}, target {}) completed nothing since {} ({} of measured silence, "
      "minimum {}). {}",
      q.key.queue, q.key.source, q.key.target, since, format_seconds(silence),
      format_seconds(min_silence), why);
  text.extra["silence_seconds"] = format_number(silence);
  return make_condition("no_throughput", rule.common, queue_labels(q), silence, std::move(text));
}

}  // namespace qw::rules
