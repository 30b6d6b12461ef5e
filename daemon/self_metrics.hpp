#pragma once
// What the daemon says about itself, beyond its probes: whether the configuration it runs is the
// file on disk (the reload series Prometheus and Alertmanager export, under the same names), and
// whether rule evaluation keeps up with its interval.
#include <cstdint>

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Gauge;
class Counter;
class Histogram;
}  // namespace prometheus

namespace qw::daemon {

class SelfMetrics {
 public:
  // Registers the series; the configuration loaded at start counts as a successful reload.
  explicit SelfMetrics(prometheus::Registry& registry);

  void reload_succeeded();  // now
  void reload_failed();     // the timestamp keeps the last success
  void observe_evaluation(double seconds);
  void count_missed_evaluations(std::uint64_t ticks);

 private:
  prometheus::Gauge& reload_successful_;
  prometheus::Gauge& reload_success_time_;
  prometheus::Histogram& evaluation_duration_;
  prometheus::Counter& evaluations_missed_;
};

}  // namespace qw::daemon
