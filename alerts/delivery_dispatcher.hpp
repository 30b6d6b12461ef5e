#pragma once
// Everything between the alert core and the receivers, in one object for the daemon to own:
//
//   alert core --enqueue()--> Outbox (state_dir/outbox.log, fsync'd)
//                               |-- DeliveryWorker "pagerduty" --> PagerDuty Events v2
//                               |-- DeliveryWorker "team-slack" --> Slack
//                               `-- ...one worker thread per receiver
//   Heartbeat --GET every interval--> dead-man's switch
//   monitor thread, every second: the outbox gauges (never frozen by a worker's backoff sleep),
//                                 acks a full disk refused, due log summaries
//
// Wiring: construct at start-up (replays the outbox; throws if state_dir is unusable), pass it
// to the alert engine as its NotificationSink, start(), reconfigure() on reload, stop() on
// SIGTERM. Notifications for a receiver no longer configured stay in the outbox (logged) and go
// out if it comes back.
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alerts/delivery_metrics.hpp"
#include "alerts/delivery_worker.hpp"
#include "alerts/heartbeat.hpp"
#include "alerts/outbox.hpp"
#include "config/alerting_config.hpp"

namespace prometheus {
class Registry;
}

namespace qw::alerts {

struct DispatcherOptions {
  OutboxOptions outbox;
  std::chrono::milliseconds base_backoff{500};       // first retry delay ceiling; tests shorten it
  std::chrono::milliseconds monitor_interval{1000};  // the monitor thread's period
};

class Dispatcher : public NotificationSink {
 public:
  Dispatcher(const config::AlertingConfig& config, const std::filesystem::path& state_dir,
             prometheus::Registry& registry, DispatcherOptions options = {});
  ~Dispatcher() override;  // stop()
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // Joins every worker: at once when idle, within a receiver's timeout at worst. Idempotent.
  void stop();

  // Durable before returning (Outbox::enqueue); wakes the receivers' workers.
  void enqueue(std::vector<Notification> notifications) override;

  // Applies a reloaded config: receivers whose settings changed get a new worker (the old one
  // finishes its attempt first), removed ones stop, new ones start. Pending notifications stay.
  void reconfigure(const config::AlertingConfig& config);

  Outbox& outbox() { return outbox_; }

 private:
  void apply_config(const config::AlertingConfig& config);  // under mutex_
  void monitor();
  void refresh();  // gauges, unwritten acks, due log lines

  DispatcherOptions options_;
  Outbox outbox_;
  DeliveryMetrics metrics_;
  std::mutex mutex_;
  bool started_ = false;
  config::AlertingConfig config_;
  std::map<std::string, std::unique_ptr<DeliveryWorker>> workers_;
  std::unique_ptr<Heartbeat> heartbeat_;
  std::thread monitor_;
  std::mutex monitor_mutex_;
  std::condition_variable monitor_cv_;
  bool monitor_stopping_ = false;
};

}  // namespace qw::alerts
