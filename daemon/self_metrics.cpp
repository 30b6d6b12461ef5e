#include "daemon/self_metrics.hpp"

#include <chrono>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace qw::daemon {

namespace {

// Evaluating 10,000 queues takes milliseconds; seconds would mean the event loop is starved.
const prometheus::Histogram::BucketBoundaries kEvaluationBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

}  // namespace

SelfMetrics::SelfMetrics(prometheus::Registry& registry)
    : reload_successful_(prometheus::BuildGauge()
                             .Name("queuewatch_config_last_reload_successful")
                             .Help("1 when the last configuration load (at start or on SIGHUP) "
                                   "succeeded, 0 when it was refused and the daemon kept running "
                                   "the previous configuration.")
                             .Register(registry)
                             .Add({})),
      reload_success_time_(
          prometheus::BuildGauge()
              .Name("queuewatch_config_last_reload_success_timestamp_seconds")
              .Help("Unix time of the last successful configuration load (at start or on SIGHUP).")
              .Register(registry)
              .Add({})),
      evaluation_duration_(prometheus::BuildHistogram()
                               .Name("queuewatch_rule_evaluation_duration_seconds")
                               .Help("Wall time of one evaluation of every alert rule over every "
                                     "queue and target, notifications planned and saved included.")
                               .Register(registry)
                               .Add({}, kEvaluationBuckets)),
      evaluations_missed_(prometheus::BuildCounter()
                              .Name("queuewatch_rule_evaluations_missed_total")
                              .Help("Rule evaluations skipped because the previous one ended after "
                                    "their time had passed (a slow evaluation, a starved event "
                                    "loop, a stopped process): alerts are that much later.")
                              .Register(registry)
                              .Add({})) {
  reload_succeeded();
}

void SelfMetrics::reload_succeeded() {
  reload_successful_.Set(1);
  reload_success_time_.Set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void SelfMetrics::reload_failed() {
  reload_successful_.Set(0);
}

void SelfMetrics::observe_evaluation(double seconds) {
  evaluation_duration_.Observe(seconds);
}

void SelfMetrics::count_missed_evaluations(std::uint64_t ticks) {
  evaluations_missed_.Increment(static_cast<double>(ticks));
}

}  // namespace qw::daemon
