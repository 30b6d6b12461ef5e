#pragma once
// Everything one configuration generation runs: its connection pools, its probes and their
// scheduler. A SIGHUP reload builds a new Runtime from the running one, which hands over the
// pools and probes whose settings did not change (running, with their state), and retires the
// old one: on the event loop only what never blocks, the joining on the RuntimeReaper's thread.
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
  // Also the `debug` log's line per probe run (docs/configuration.md promises it).
  void on_run(const probes::Probe& p, double seconds, probes::FailureReason reason) override;
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
  // With `previous` (a reload, on the event loop): carries over what did not change.
  Runtime(boost::asio::io_context& io, const config::Config& config, probes::SampleSink& sink,
          SchedulerObserver& observer, Runtime* previous = nullptr);
  void start() { scheduler_.start(); }
  // Reload, on the event loop, once `successor` is built: stops what it did not carry over and
  // closes the pools it did not keep. Never blocks; then hand this to the RuntimeReaper.
  void retire(const Runtime& successor);
  // Off the event loop: waits for the workers (a blocked connect holds one up to its timeout).
  void join() { scheduler_.join(); }
  bool join_until(std::chrono::steady_clock::time_point deadline) {
    return scheduler_.join_until(deadline);
  }
  bool stop(std::chrono::milliseconds grace) { return scheduler_.stop(grace); }
  bool ready() const { return scheduler_.all_ran_once(); }
  std::size_t carried_probes() const { return scheduler_.carried_over(); }
  std::size_t carried_pools() const { return pools_.carried_over(); }

 private:
  probes::pg::PoolSet pools_;  // declared first: the scheduler's probes use it until they stop
  Scheduler scheduler_;
};

// Workers for blocking probe work: one per connection we may hold, within sane bounds.
std::size_t worker_count(const config::Config& config);

}  // namespace qw::daemon
