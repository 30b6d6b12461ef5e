#pragma once
// The rules. Each is a pure function of one queue's (or target's) state, its thresholds and
// `now`: no I/O, no clock, so backtest replays exactly what the daemon runs. Each returns the
// condition when it holds now, with human words naming the queue, the numbers and thresholds;
// or that it does not hold; or, lacking the evidence to say either, Verdict::unknown().
#include <optional>

#include "rules/observation.hpp"
#include "rules/queue_state.hpp"
#include "rules/timezone.hpp"
#include "rules/verdict.hpp"

namespace qw::rules {

struct RuleContext {
  const Timezone& tz;
  Time now;
  std::chrono::milliseconds evaluation_interval;
};

Verdict eval_no_throughput(const QueueState& q, const RuleContext& ctx);
// no_throughput for a queue whose completions are not known, by the progress the probe observed.
Verdict eval_no_throughput_by_progress(const QueueState& q, const RuleContext& ctx);
Verdict eval_throughput_collapse(const QueueState& q, const RuleContext& ctx);
Verdict eval_below_baseline(const QueueState& q, const RuleContext& ctx);
Verdict eval_stuck_in_progress(const QueueState& q, const RuleContext& ctx);
Verdict eval_queue_latency(const QueueState& q, const RuleContext& ctx);
Verdict eval_failure_ratio(const QueueState& q, const RuleContext& ctx);
Verdict eval_cannot_measure(const QueueState& q, const RuleContext& ctx);

struct TargetState {
  TargetTick last;
  std::optional<Time> down_since;  // the first failing round of the current outage
  // The open incident of the target's provider that concerns it (provider_rules.hpp
  // quoted_incident), found by Engine::evaluate before the target rules run; none when the
  // target names no provider or none matches. database_unavailable quotes it.
  std::optional<ProviderIncidentInfo> provider_incident;
  bool provider_feed_up = true;  // false: that incident is the feed's last known state
};

Verdict eval_database_unavailable(const TargetState& t, const config::DatabaseUnavailableRule& rule,
                                  Time now);

// Seconds since the epoch, and seconds between two times, as the rules count them.
std::int64_t epoch_seconds(Time t);
double seconds_between(Time from, Time to);
// "2014-04-11 09:30:00Z", for descriptions.
std::string format_time(Time t);

}  // namespace qw::rules
