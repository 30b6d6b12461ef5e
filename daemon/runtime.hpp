#pragma once
// Everything one configuration generation runs: its connection pools, its probes and their
// scheduler. A SIGHUP reload builds a new Runtime and retires the old one.
#include <memory>

#include <boost/asio/io_context.hpp>

#include "config/config.hpp"
#include "daemon/metrics_exporter.hpp"
#include "daemon/scheduler.hpp"
#include "probes/pg/pool_set.hpp"

namespace qw::daemon {

// Feeds scheduler events into the exporter's daemon-level metrics.
class ExporterObserver : public SchedulerObserver {
 public:
  explicit ExporterObserver(MetricsExporter& exporter) : exporter_(exporter) {}
  void on_run(const probes::Probe& p, double seconds, probes::FailureReason reason) override {
    exporter_.observe_probe_run(p.kind(), p.target(), seconds, reason);
  }
  void on_overrun(const probes::Probe& p) override {
    exporter_.count_overrun(p.kind(), p.target());
  }
  void on_backoff_skip(const probes::Probe& p) override {
    exporter_.count_backoff_skip(p.kind(), p.target());
  }

 private:
  MetricsExporter& exporter_;
};

class Runtime {
 public:
  Runtime(boost::asio::io_context& io, const config::Config& config, probes::SampleSink& sink,
          SchedulerObserver& observer);
  void start() { scheduler_.start(); }
  bool stop(std::chrono::milliseconds grace) { return scheduler_.stop(grace); }
  bool ready() const { return scheduler_.all_ran_once(); }

 private:
  probes::pg::PoolSet pools_;  // declared first: the scheduler's probes use it until they stop
  Scheduler scheduler_;
};

// Workers for blocking probe work: one per connection we may hold, within sane bounds.
std::size_t worker_count(const config::Config& config);

}  // namespace qw::daemon
