#pragma once
// The judging and paging half of the daemon: probe samples become rule ticks, the rules engine
// says which conditions hold, the alert service turns them into alerts and notifications, and
// the dispatcher delivers them from a durable outbox. Baselines and alert state live in
// state_dir and survive restarts.
//
// Threads: publish() is called from probe workers (it only ingests, under a mutex); evaluate()
// runs on the event loop every rules.evaluation_interval; delivery has its own workers.
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <prometheus/registry.h>

#include "alerts/alert_service.hpp"
#include "alerts/delivery_dispatcher.hpp"
#include "alerts/state_errors.hpp"
#include "config/config.hpp"
#include "daemon/expectation_metrics.hpp"
#include "probes/samples.hpp"
#include "rules/engine.hpp"

namespace qw::daemon {

class AlertingPipeline : public probes::SampleSink {
 public:
  // Throws std::runtime_error when the state directory or the time zone cannot be used.
  AlertingPipeline(const config::Config& config, prometheus::Registry& registry);
  ~AlertingPipeline() override;

  void start();
  void stop();  // saves baselines, stops delivery (pending notifications stay in the outbox)

  void publish(const probes::Sample& sample) override;
  probes::HistoryAnswer wants_history(const std::string& target,
                                      const std::string& source) override;
  void evaluate(rules::Time now);
  void reconfigure(const config::Config& config);
  void save_baselines();

 private:
  rules::QueueTick to_tick(const probes::QueueProbeSample& source, const probes::QueueSample* q,
                           rules::Time at) const;
  void warm_start(const probes::QueueHistorySample& history);                        // under mutex_
  void ingest_queues(const probes::QueueProbeSample& sample, rules::Time at);        // under mutex_
  void ingest_replication(const probes::ReplicationSample& sample, rules::Time at);  // ditto
  // labels_of: the alerts' labels before the evaluation (an alert that ended is no longer there).
  void log_transitions(const std::vector<alerts::Transition>& transitions,
                       std::map<std::string, alerts::Labels> labels_of) const;
  // Whether the target (and source) an alert names are still in the configuration; under mutex_.
  bool still_configured(const alerts::Labels& labels) const;

  config::Config config_;
  std::string baselines_path_;
  std::mutex mutex_;  // guards engine_ and config_ between publish() and evaluate()
  // Write errors of every state file (outbox, alerts, baselines): counted, logged, survived.
  std::unique_ptr<alerts::StateErrors> state_errors_;
  std::unique_ptr<rules::Engine> engine_;
  ExpectationMetrics expectation_metrics_;  // what the shortfall rules expect, per queue
  rules::Time expectation_updated_{};       // when expectation_metrics_ was last updated
  std::unique_ptr<alerts::Dispatcher> dispatcher_;
  std::unique_ptr<alerts::AlertService> service_;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> last_queues_;
  // Warm starts: each source is answered yes at most once (a reload's new probes do not scan
  // again); one read per target at a time (the others hear "later"); and none more on a target
  // where one timed out or found the server saturated.
  std::set<std::pair<std::string, std::string>> history_settled_;
  std::map<std::string, std::string> history_reading_;  // target -> the source reading now
  std::set<std::string> history_stopped_;
  std::map<std::string, double> history_seconds_;  // target -> time its warm starts took
};

rules::Timezone load_timezone_or_throw(const std::string& name);

}  // namespace qw::daemon
