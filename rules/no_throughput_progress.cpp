// no_throughput where finished rows are deleted and the table holds several queues: the
// table's delete counter cannot say which queue completed, so the probe observes progress per
// queue instead (tracked jobs that left the table or changed state, new claims; see
// probes/postgres_queue/README.md), a lower bound on what happened. docs/rules.md has the
// reasoning and the error bounds.
//
// A round is *ok* when it observed progress or found nothing ready; the silence is the time since
// the last ok round. With work waiting (ready jobs older than grace) and at least min_silence of
// silence, either of two reasons makes the silence implausible (e^-9.2 < 1e-4, as for counted
// completions):
//  A. demand: the queue was keeping up at the last ok round (nothing ready, or its oldest ready
//     job younger than grace), and since then at least implausible_expected more jobs are ready.
//     Workers that kept up serve jobs about as fast as they arrive: that many arrivals without a
//     single claim observed is not chance.
//  B. record: rounds are trials. Of the rounds that began with work waiting over the hour before
//     the last ok round, `successes` of `trials` observed progress; with p the lower end of their
//     one-sided 95% Wilson interval, m silent rounds in a row have probability (1 - p)^m, which
//     holds once m * -ln(1 - p) reaches implausible_expected. This covers queues that always have
//     a backlog (slow workers), where A cannot say whether they kept up.
// A queue with nothing waiting is clear. Before any ok round since the start (a stall already
// under way, or the first round) it is unknown, never clear: the silence may be older; so is a
// silence that only B could judge while its record holds fewer than kMinTrials rounds, and a
// queue whose probe observes no progress at all (a single-queue view in deleted mode).
#include <fmt/format.h>

#include <cmath>

#include "rules/condition.hpp"
#include "rules/queue_rules.hpp"

namespace qw::rules {

namespace {
// Eight rounds, two minutes at the default 15 s interval: Wilson's bound after 8 of 8 is 0.75.
constexpr std::int64_t kMinTrials = 8;
}  // namespace

Verdict eval_no_throughput_by_progress(const QueueState& q, const RuleContext& /*ctx*/) {
  const config::NoThroughputRule& rule = q.rules.no_throughput;
  const QueueTick& t = *q.last_measured;
  const double grace = std::chrono::duration<double>(rule.grace).count();
  const bool waiting =
      t.ready > 0 && (!t.oldest_ready_age_seconds || *t.oldest_ready_age_seconds > grace);
  if (!waiting) return std::nullopt;
  const ProgressState& p = q.progress;
  // Not measured (yet): without the probe's observations the silence would be every round's.
  if (!p.measured() || !p.last_ok_at()) return Verdict::unknown();

  const double silence = seconds_between(*p.last_ok_at(), t.at);
  const double min_silence = std::chrono::duration<double>(rule.min_silence).count();
  if (silence < min_silence) return std::nullopt;

  const bool kept_up =
      p.ready_at_ok() == 0 || !p.oldest_age_at_ok() || *p.oldest_age_at_ok() <= grace;
  const double piled_up = static_cast<double>(t.ready - p.ready_at_ok());
  const bool by_demand = kept_up && piled_up >= rule.implausible_expected;
  const double p_low = wilson_lower_bound(p.successes(), p.trials());
  const double expected = -std::log1p(-p_low) * static_cast<double>(p.silent_rounds());
  const bool by_record = p.trials() >= kMinTrials && expected >= rule.implausible_expected;
  // Only the record could tell, and it is too short: no evidence either way.
  if (!by_demand && !by_record)
    return !kept_up && p.trials() < kMinTrials ? Verdict::unknown() : Verdict{};

  ConditionText text;
  text.summary = fmt::format("{}/{}: no progress observed for {} ({} ready)", q.key.source,
                             q.key.queue, format_seconds(silence), t.ready);
  std::string why;
  if (by_demand) {
    why = fmt::format(
        "At {} the queue was keeping up ({} ready{}); since then {} more jobs are ready and "
        "none was seen claimed: {} arrivals without a claim are implausible for workers that "
        "keep up.",
        format_time(*p.last_ok_at()), p.ready_at_ok(),
        p.oldest_age_at_ok() ? ", the oldest " + format_seconds(*p.oldest_age_at_ok()) : "",
        format_number(piled_up), format_number(rule.implausible_expected));
  } else {
    why = fmt::format(
        "Over the hour before, {} of {} rounds with work waiting showed progress, so {} silent "
        "rounds in a row are implausible (expected {} >= {}).",
        p.successes(), p.trials(), p.silent_rounds(), format_number(expected),
        format_number(rule.implausible_expected));
  }
  text.description = fmt::format(
      "Queue {} (source {}, target {}): nothing was seen to progress since {} ({} of measured "
      "silence, minimum {}): no tracked job left the table or changed state and no job was "
      "claimed, while {} jobs are ready, the oldest waiting {} (grace {}). {} This table deletes "
      "finished rows, so completions are not counted per queue: progress is observed.",
      q.key.queue, q.key.source, q.key.target, format_time(*p.last_ok_at()),
      format_seconds(silence), format_seconds(min_silence), t.ready,
      format_seconds(t.oldest_ready_age_seconds.value_or(silence)), format_seconds(grace), why);
  text.extra["silence_seconds"] = format_number(silence);
  text.extra["progress_signal"] = "observed";
  return make_condition("no_throughput", rule.common, queue_labels(q), silence, std::move(text));
}

}  // namespace qw::rules
