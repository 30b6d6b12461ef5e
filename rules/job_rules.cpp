// The rules over a single probe round or a short window: stuck_in_progress, queue_latency,
// failure_ratio.
#include <fmt/format.h>

#include <algorithm>

#include "rules/condition.hpp"
#include "rules/queue_rules.hpp"

namespace qw::rules {
namespace {
double secs(std::chrono::milliseconds d) {
  return std::chrono::duration<double>(d).count();
}
}  // namespace

// The probe counts stuck jobs with this rule's thresholds (rules::resolve). Should it not have
// (an older probe, a mapping without ids), the oldest ages still show at least one.
Verdict eval_stuck_in_progress(const QueueState& q, const RuleContext&) {
  const config::StuckInProgressRule& rule = q.rules.stuck_in_progress;
  if (!rule.common.enabled) return std::nullopt;
  if (!q.last_measured) return Verdict::unknown();
  const QueueTick& t = *q.last_measured;
  const double running_for = secs(rule.running_for);
  const double heartbeat = secs(rule.heartbeat_timeout);
  const bool too_long = t.oldest_running_age_seconds && *t.oldest_running_age_seconds > running_for;
  const bool too_quiet =
      t.oldest_heartbeat_age_seconds && *t.oldest_heartbeat_age_seconds > heartbeat;
  std::int64_t count = t.stuck;
  if (count == 0 && (too_long || too_quiet)) count = 1;
  if (count <= 0) return std::nullopt;

  const double oldest = t.oldest_running_age_seconds.value_or(0);
  std::vector<std::string> ids(
      t.stuck_job_ids.begin(),
      t.stuck_job_ids.begin() +
          static_cast<std::ptrdiff_t>(std::min<std::size_t>(10, t.stuck_job_ids.size())));
  ConditionText text;
  text.summary =
      fmt::format("{}/{}: {} job{} stuck in progress, the oldest running for {}", q.key.source,
                  q.key.queue, count, count == 1 ? "" : "s", format_seconds(oldest));
  std::string heartbeat_part;
  if (t.oldest_heartbeat_age_seconds) {
    heartbeat_part =
        fmt::format("; the stalest heartbeat is {} old (timeout {})",
                    format_seconds(*t.oldest_heartbeat_age_seconds), format_seconds(heartbeat));
  }
  text.description = fmt::format(
      "Queue {} (source {}, target {}) has {} running job{} over the limits: running longer "
      "than {} or heartbeat older than {}. The oldest has run for {}{}.{}",
      q.key.queue, q.key.source, q.key.target, count, count == 1 ? "" : "s",
      format_seconds(running_for), format_seconds(heartbeat), format_seconds(oldest),
      heartbeat_part,
      ids.empty() ? std::string() : fmt::format(" Job ids: {}.", fmt::join(ids, ", ")));
  // Ids go in an annotation, never a label: a label per job id would be a new series per job.
  if (!ids.empty()) text.extra["job_ids"] = fmt::format("{}", fmt::join(ids, ","));
  text.extra["oldest_age_seconds"] = format_number(oldest);
  return make_condition("stuck_in_progress", rule.common, queue_labels(q),
                        static_cast<double>(count), std::move(text));
}

Verdict eval_queue_latency(const QueueState& q, const RuleContext&) {
  const config::QueueLatencyRule& rule = q.rules.queue_latency;
  if (!rule.common.enabled) return std::nullopt;
  if (!q.last_measured) return Verdict::unknown();
  const QueueTick& t = *q.last_measured;
  const double max_age = secs(rule.max_age);
  if (!t.oldest_ready_age_seconds || *t.oldest_ready_age_seconds <= max_age) return std::nullopt;
  const double age = *t.oldest_ready_age_seconds;
  ConditionText text;
  text.summary = fmt::format("{}/{}: the oldest ready job has waited {} (limit {})", q.key.source,
                             q.key.queue, format_seconds(age), format_seconds(max_age));
  text.description = fmt::format(
      "Queue {} (source {}, target {}) has {} ready job{}; the oldest has waited {}, over the "
      "{} limit.",
      q.key.queue, q.key.source, q.key.target, t.ready, t.ready == 1 ? "" : "s",
      format_seconds(age), format_seconds(max_age));
  return make_condition("queue_latency", rule.common, queue_labels(q), age, std::move(text));
}

Verdict eval_failure_ratio(const QueueState& q, const RuleContext& ctx) {
  const config::FailureRatioRule& rule = q.rules.failure_ratio;
  if (!rule.common.enabled) return std::nullopt;
  if (!q.last_measured) return Verdict::unknown();
  if (!q.last_measured->completions_known) return std::nullopt;
  const auto window_s = std::chrono::duration_cast<std::chrono::seconds>(rule.window).count();
  const WindowSums w = q.history.window(epoch_seconds(ctx.now), window_s);
  // Too little of the window measured (a restart: minutes are not kept) to say the ratio is fine.
  if (w.measured_s < 0.5 * static_cast<double>(window_s)) return Verdict::unknown();
  const double volume = w.completed + w.failed;
  if (volume < rule.min_volume || volume <= 0) return std::nullopt;
  const double ratio = w.failed / volume;
  if (ratio <= rule.max_ratio) return std::nullopt;
  ConditionText text;
  text.summary = fmt::format("{}/{}: {}% of jobs failed in the last {} ({} of {})", q.key.source,
                             q.key.queue, format_number(std::round(ratio * 1000) / 10),
                             format_seconds(static_cast<double>(window_s)), format_number(w.failed),
                             format_number(volume));
  text.description = fmt::format(
      "Queue {} (source {}, target {}): {} failed and {} completed in the last {}; the limit is "
      "{}% (judged from {} jobs).",
      q.key.queue, q.key.source, q.key.target, format_number(w.failed), format_number(w.completed),
      format_seconds(static_cast<double>(window_s)), format_number(rule.max_ratio * 100),
      format_number(rule.min_volume));
  return make_condition("failure_ratio", rule.common, queue_labels(q), ratio, std::move(text));
}

}  // namespace qw::rules
