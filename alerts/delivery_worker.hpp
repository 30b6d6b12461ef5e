#pragma once
// The sink loop of one receiver: its own thread, reading that receiver's FIFO from the outbox.
//
//   front() -> send -> delivered: ack(success)
//                   -> rejected (4xx): ack(failed), log status and body
//                   -> retry (network, 5xx, 429): wait backoff or Retry-After, send again
//
// Strict FIFO per receiver, so notifications of one alert (firing, then resolved) arrive in
// order. A receiver that is down holds its own queue only: every receiver has its own worker.
// Retries never give up: the outbox bound (dropping oldest repeats) is what limits a long
// outage. For receivers with a resend_interval (alertmanager), the alerts still firing are
// re-posted every interval, first right after start (after a restart Alertmanager's endsAt may
// be close).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "alerts/delivery_metrics.hpp"
#include "alerts/notifiers/sink.hpp"
#include "alerts/outbox.hpp"

namespace qw::alerts {

struct RetryPolicy {
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds max{300000};
  // A 429's Retry-After is honoured up to this; a receiver asking for a day is misconfigured.
  std::chrono::milliseconds max_retry_after{3600000};
};

class DeliveryWorker {
 public:
  DeliveryWorker(std::string receiver, std::unique_ptr<notifiers::Sink> sink, Outbox& outbox,
                 DeliveryMetrics& metrics, RetryPolicy policy);
  ~DeliveryWorker();  // stop()
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  // Returns once the thread has exited: at once between attempts, and within the receiver's
  // timeout at worst (the attempt in flight is cancelled). Idempotent.
  void stop();
  // New notifications for this receiver are in the outbox.
  void wake();

 private:
  void run();
  bool step();  // one turn of run(); false when stopping
  void deliver_one(const Notification& n);
  void resend_firing();
  void update_gauges();
  // Sleeps up to `delay`; returns false when stopping. Woken early by wake() only if wakeable.
  bool sleep(std::chrono::milliseconds delay, bool wakeable);

  const std::string receiver_;
  std::unique_ptr<notifiers::Sink> sink_;
  Outbox& outbox_;
  DeliveryMetrics& metrics_;
  const RetryPolicy policy_;
  std::mt19937_64 rng_;

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;

  int attempt_ = 0;  // consecutive retries of the current front notification
  std::chrono::steady_clock::time_point next_resend_{};
};

}  // namespace qw::alerts
