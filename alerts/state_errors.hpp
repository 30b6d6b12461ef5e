#pragma once
// The one policy for I/O errors on durable state (outbox.log, alerts.json, baselines.tsv): every
// failed write is counted in
//
//   queuewatch_state_write_errors_total{file="outbox"|"alerts"|"baselines"}
//
// and logged at ERROR, rate-limited (LogSummary: the first at once, then one summary line a
// minute per file); the first success after failures is logged at INFO. The caller then carries
// on: the daemon keeps monitoring and serving /metrics with a full or broken disk, and retries
// the write later. Thread-safe (delivery workers and the evaluation thread both report).
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "alerts/log_summary.hpp"

namespace prometheus {
class Registry;
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace qw::alerts {

class StateErrors {
 public:
  static constexpr const char* kOutbox = "outbox";
  static constexpr const char* kAlerts = "alerts";
  static constexpr const char* kBaselines = "baselines";

  // Without a registry: counted and logged, not exported (tests, tools).
  StateErrors();
  // Declares the three series at 0, so increase() sees the first error.
  explicit StateErrors(prometheus::Registry& registry,
                       std::chrono::milliseconds log_interval = std::chrono::minutes(1));

  void failed(const std::string& file, const std::string& message);
  void succeeded(const std::string& file);
  // Logs the summaries that are due (`all`: every one, at stop).
  void flush(bool all = false) { log_.flush(all); }

  std::size_t count(const std::string& file) const;  // errors so far
  std::size_t log_lines() const { return log_.lines(); }

 private:
  prometheus::Family<prometheus::Counter>* family_ = nullptr;
  mutable std::mutex mutex_;
  std::map<std::string, std::size_t> counts_;
  std::map<std::string, bool> failing_;
  LogSummary log_;
};

}  // namespace qw::alerts
