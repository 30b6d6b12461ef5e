// cannot_measure and database_unavailable: what we could not see is never silence.
#include <fmt/format.h>
#include <string_view>

#include <algorithm>

#include "rules/condition.hpp"
#include "rules/provider_state.hpp"
#include "rules/queue_rules.hpp"

namespace qw::rules {

Verdict eval_cannot_measure(const QueueState& q, const RuleContext& ctx) {
  const config::CannotMeasureRule& rule = q.rules.cannot_measure;
  if (!rule.common.enabled) return std::nullopt;
  if (!q.last) return Verdict::unknown();
  const std::chrono::milliseconds stale_after =
      rule.stale_after.value_or(std::max(3 * q.last_gap, 3 * ctx.evaluation_interval));
  const Time since = q.last_measured ? q.last_measured->at : q.last->at;
  const double unseen = seconds_between(since, ctx.now);
  ConditionText text;
  if (!q.last->measured) {
    text.summary = fmt::format("{}/{}: cannot measure: {}", q.key.source, q.key.queue,
                               q.last->error.empty() ? "probe failed" : q.last->error);
    text.description = fmt::format(
        "The probe of source {} on target {} fails ({}); queue {} has not been measured for {}. "
        "Its throughput rules cannot judge it meanwhile.",
        q.key.source, q.key.target, q.last->error.empty() ? "no detail" : q.last->error,
        q.key.queue, format_seconds(unseen));
    text.extra["error"] = q.last->error;
  } else if (ctx.now - q.last->at > stale_after) {
    text.summary = fmt::format("{}/{}: no fresh sample for {}", q.key.source, q.key.queue,
                               format_seconds(seconds_between(q.last->at, ctx.now)));
    text.description = fmt::format(
        "Queue {} (source {}, target {}) was last measured at {}; samples are expected at least "
        "every {}.",
        q.key.queue, q.key.source, q.key.target, format_time(q.last->at),
        format_seconds(std::chrono::duration<double>(stale_after).count()));
  } else {
    return std::nullopt;
  }
  return make_condition("cannot_measure", rule.common, queue_labels(q), unseen, std::move(text));
}

namespace {
// "connection_refused" -> "connection refused": the page says what happened in words.
std::string reason_words(const std::string& reason) {
  if (reason.empty()) return "health check failed";
  // The probes' reason labels (probes/failure_reason.cpp) in the words a page should use.
  static constexpr std::pair<std::string_view, std::string_view> kWords[] = {
      {"connect_timeout", "connection timed out"},
      {"dns", "host name does not resolve"},
      {"in_recovery", "in recovery (a standby, not a primary)"},
      {"not_in_recovery", "not in recovery (a primary, not the expected replica)"},
      {"read_only", "read-only"},
      {"query_timeout", "query timed out"},
  };
  for (const auto& [label, words] : kWords)
    if (reason == label) return std::string(words);
  std::string words = reason;
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}
}  // namespace

Verdict eval_database_unavailable(const TargetState& t, const config::DatabaseUnavailableRule& rule,
                                  Time now) {
  if (!rule.common.enabled || t.last.up || !t.down_since) return std::nullopt;
  const double down_for = seconds_between(*t.down_since, now);
  const std::string where = t.last.endpoint.empty()
                                ? t.last.target
                                : fmt::format("{} ({})", t.last.target, t.last.endpoint);
  ConditionText text;
  text.summary = fmt::format("{}: {}", where, reason_words(t.last.reason));
  text.description =
      fmt::format("The health check of {} has failed since {} ({}): {}{}", where,
                  format_time(*t.down_since), format_seconds(down_for), reason_words(t.last.reason),
                  t.last.detail.empty() ? std::string(".") : fmt::format(" — {}", t.last.detail));
  text.extra["reason"] = t.last.reason;
  // The provider's own words, when its feed lists an incident that concerns this database: the
  // page then says at once whether the provider knows (issue 11).
  if (const auto& i = t.provider_incident) {
    const std::string since = i->started_at ? " since " + format_since(*i->started_at, now) : "";
    text.summary += fmt::format("; provider reports '{}'{}", i->title, since);
    text.description += fmt::format(
        " Provider {} reports an open incident that concerns this target{}: \"{}\"{}{}.{}",
        t.last.provider, i->started_at ? " since " + format_time(*i->started_at) : "", i->title,
        i->impact.empty() || i->impact == "unknown" ? "" : fmt::format(" (impact {})", i->impact),
        i->link.empty() ? "" : fmt::format(", {}", i->link),
        t.provider_feed_up ? "" : " (its feed cannot be read now: this is its last known state)");
    text.extra["provider"] = t.last.provider;
    text.extra["provider_incident"] = i->title;
    if (!i->link.empty()) text.extra["provider_incident_link"] = i->link;
    if (i->started_at) text.extra["provider_incident_since"] = format_time(*i->started_at);
    text.extra["provider_incident_impact"] = i->impact.empty() ? "unknown" : i->impact;
  }
  Labels labels{{"target", t.last.target}};
  // A member's outage carries its cluster: no_primary holds it back by that label.
  if (!t.last.cluster.empty()) labels.emplace("cluster", t.last.cluster);
  if (!t.last.region.empty()) labels.emplace("region", t.last.region);  // optional, as queues'
  return make_condition("database_unavailable", rule.common, std::move(labels), down_for,
                        std::move(text));
}

}  // namespace qw::rules
