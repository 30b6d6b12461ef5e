#pragma once
// What the shortfall rules compare each queue with, as series: the completion rate they expect
// now and how far the queue's hours normally stray from it. Plotted next to the measured rate,
// they show why a drop paged or stayed quiet; a queue without them has no baseline yet (its
// first days), and the shortfall rules cannot judge it, which absent series say honestly.
#include <map>
#include <string>

#include "rules/engine.hpp"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Gauge;
}  // namespace prometheus

namespace qw::daemon {

class ExpectationMetrics {
 public:
  explicit ExpectationMetrics(prometheus::Registry& registry);
  ~ExpectationMetrics();  // removes its series: a pipeline built again must not find them stale

  ExpectationMetrics(const ExpectationMetrics&) = delete;
  ExpectationMetrics& operator=(const ExpectationMetrics&) = delete;

  // After each evaluation: every queue the engine knows, at `now`. A queue that left the engine,
  // or lost its baseline, loses its series.
  void update(const rules::Engine& engine, rules::Time now);

 private:
  struct Series {
    prometheus::Gauge* expected = nullptr;
    prometheus::Gauge* noise = nullptr;
    std::string region;  // the region label they were added with
  };
  void remove(Series& s);  // removes both series of a queue from the registry
  // Removes a queue's series and its entry; the next entry.
  std::map<rules::QueueKey, Series>::iterator drop(std::map<rules::QueueKey, Series>::iterator it);

  prometheus::Family<prometheus::Gauge>& expected_;
  prometheus::Family<prometheus::Gauge>& noise_;
  std::map<rules::QueueKey, Series> series_;
};

}  // namespace qw::daemon
