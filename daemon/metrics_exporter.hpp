#pragma once
// Turns probe samples into Prometheus series and serializes them for /metrics. The series of
// each probe kind are its own part (probes/kind_metrics.hpp, in the kind's folder); this class
// keeps the daemon-wide ones (probe runs, build info) and hands each sample to its kind's part.
//
// Honesty rules, which alerting depends on:
//  - A value we could not measure is absent, never stale: when a source's probe fails its
//    per-queue gauges are removed (probe_success says why), so "cannot measure" never looks
//    like "healthy".
//  - Counters survive failures (rate() copes with gaps, not with resets).
//  - Series of targets and sources that left the configuration are dropped on reload, and late
//    samples for them are ignored, so nothing is resurrected.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "probes/failure_reason.hpp"
#include "probes/samples.hpp"

namespace prometheus {
class Registry;
}

namespace qw::daemon {

class MetricsExporter : public probes::SampleSink {
 public:
  explicit MetricsExporter(const config::Config& config);
  ~MetricsExporter() override;

  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // SIGHUP: adopt the new targets and sources; drops every series of removed ones.
  void reconfigure(const config::Config& config);

  // From probe worker threads.
  void publish(const probes::Sample& sample) override;

  // From the scheduler, once per probe run and per skipped run.
  void observe_probe_run(std::string_view probe_kind, const std::string& target, double seconds,
                         probes::FailureReason reason);
  void count_overrun(std::string_view probe_kind, const std::string& target);
  void count_backoff_skip(std::string_view probe_kind, const std::string& target);

  // The exposition text (format 0.0.4), a consistent snapshot, with the process_* series of
  // process_metrics.hpp. Never touches the database.
  std::string text() const;

  std::shared_ptr<prometheus::Registry> registry() const;

 private:
  struct State;
  mutable std::mutex mutex_;  // publish() and text() run on different threads
  std::unique_ptr<State> state_;
};

}  // namespace qw::daemon
