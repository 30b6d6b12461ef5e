#pragma once
// Delivery metrics:
//   queuewatch_notifications_total{receiver,result}   result: success, retry, failed, dropped
//   queuewatch_outbox_depth{receiver}                 notifications not yet delivered
//   queuewatch_outbox_oldest_age_seconds{receiver}    age of the oldest of them (0 when none)
//   queuewatch_outbox_damaged_bytes_total             damage skipped when outbox.log was replayed
// Every series of a receiver exists from its start, at 0: `rate()` and alerts on
// increase(...{result="failed"}) need the series before the first failure.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace qw::alerts {

class Outbox;

class DeliveryMetrics {
 public:
  explicit DeliveryMetrics(prometheus::Registry& registry);

  void declare(const std::string& receiver);
  void count(const std::string& receiver, const char* result);
  // Sets the two outbox gauges from `outbox` now. Serialised: the worker and the dispatcher's
  // monitor both refresh, and a refresh that read the outbox earlier must not write last.
  void refresh_outbox(const std::string& receiver, const Outbox& outbox);
  void count_damaged_bytes(std::size_t bytes);

 private:
  prometheus::Family<prometheus::Counter>& notifications_;
  prometheus::Family<prometheus::Gauge>& depth_;
  prometheus::Family<prometheus::Gauge>& oldest_age_;
  prometheus::Counter& damaged_bytes_;
  std::mutex refresh_mutex_;
};

}  // namespace qw::alerts
