#include "alerts/delivery_dispatcher.hpp"

#include <spdlog/spdlog.h>

#include "alerts/notifiers/sink_factory.hpp"

namespace qw::alerts {

namespace {

bool same_secret(const config::Secret& a, const config::Secret& b) {
  return a.value == b.value;
}

bool same_receiver(const config::ReceiverConfig& a, const config::ReceiverConfig& b) {
  const bool same_key = a.routing_key.has_value() == b.routing_key.has_value() &&
                        (!a.routing_key || same_secret(*a.routing_key, *b.routing_key));
  return a.name == b.name && a.kind == b.kind && same_secret(a.url, b.url) && same_key &&
         a.timeout == b.timeout && a.tls_verify == b.tls_verify && a.ca_file == b.ca_file &&
         a.max_backoff == b.max_backoff && a.resend_interval == b.resend_interval;
}

bool same_heartbeat(const config::HeartbeatConfig& a, const config::HeartbeatConfig& b) {
  const bool same_url =
      a.url.has_value() == b.url.has_value() && (!a.url || same_secret(*a.url, *b.url));
  return same_url && a.interval == b.interval;
}

const config::ReceiverConfig* find_receiver(const config::AlertingConfig& config,
                                            const std::string& name) {
  for (const auto& r : config.receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace

Dispatcher::Dispatcher(const config::AlertingConfig& config, const std::filesystem::path& state_dir,
                       prometheus::Registry& registry, DispatcherOptions options)
    : options_(options), outbox_(state_dir, options.outbox), metrics_(registry) {
  metrics_.count_damaged_bytes(outbox_.replay_report().damaged_bytes);
  outbox_.set_drop_observer(
      [this](const Notification& n) { metrics_.count(n.receiver, "dropped"); });
  outbox_.set_listener([this](const std::string& receiver) {
    std::lock_guard lock(mutex_);
    if (const auto it = workers_.find(receiver); it != workers_.end()) it->second->wake();
  });
  std::lock_guard lock(mutex_);
  apply_config(config);
}

Dispatcher::~Dispatcher() {
  stop();
}

void Dispatcher::start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  {
    std::lock_guard monitor_lock(monitor_mutex_);
    monitor_stopping_ = false;
  }
  monitor_ = std::thread([this] { monitor(); });
  for (auto& [name, worker] : workers_) worker->start();
  if (heartbeat_) heartbeat_->start();
  for (const auto& receiver : outbox_.receivers_with_pending()) {
    if (!workers_.contains(receiver)) {
      spdlog::warn(
          "delivery: {} notifications are pending for receiver \"{}\", which is not "
          "configured; they are kept until it is",
          outbox_.depth(receiver), receiver);
    }
  }
}

void Dispatcher::stop() {
  std::map<std::string, std::unique_ptr<DeliveryWorker>> workers;
  std::unique_ptr<Heartbeat> heartbeat;
  {
    std::lock_guard lock(mutex_);
    if (!started_) return;
    started_ = false;
    // Stopped outside the lock: a worker in its last attempt must not block enqueue().
    workers = std::move(workers_);
    heartbeat = std::move(heartbeat_);
    workers_.clear();
  }
  for (auto& [name, worker] : workers) worker->stop();
  if (heartbeat) heartbeat->stop();
  {
    std::lock_guard monitor_lock(monitor_mutex_);
    monitor_stopping_ = true;
  }
  monitor_cv_.notify_all();
  if (monitor_.joinable()) monitor_.join();
  outbox_.retry_unwritten();
  // The last burst of a flood is logged too, not only bursts followed by another event.
  outbox_.flush_logs(true);
  if (options_.outbox.errors != nullptr) options_.outbox.errors->flush(true);
  // Ready for a later start() with the same config.
  std::lock_guard lock(mutex_);
  apply_config(config_);
}

void Dispatcher::enqueue(std::vector<Notification> notifications) {
  outbox_.enqueue(std::move(notifications));  // the listener wakes the workers
}

void Dispatcher::reconfigure(const config::AlertingConfig& config) {
  std::vector<std::unique_ptr<DeliveryWorker>> retired;
  std::unique_ptr<Heartbeat> old_heartbeat;
  {
    std::lock_guard lock(mutex_);
    const bool urls_changed = config.external_url != config_.external_url;
    for (auto it = workers_.begin(); it != workers_.end();) {
      const auto* now = find_receiver(config, it->first);
      const auto* before = find_receiver(config_, it->first);
      if (now && before && same_receiver(*now, *before) && !urls_changed) {
        ++it;
        continue;
      }
      retired.push_back(std::move(it->second));
      it = workers_.erase(it);
    }
    if (heartbeat_ && !same_heartbeat(config.heartbeat, config_.heartbeat)) {
      old_heartbeat = std::move(heartbeat_);
    }
  }
  // Old workers stop before their replacements start: never two workers on one receiver's queue.
  for (auto& worker : retired) worker->stop();
  if (old_heartbeat) old_heartbeat->stop();
  std::lock_guard lock(mutex_);
  apply_config(config);
}

void Dispatcher::monitor() {
  std::unique_lock lock(monitor_mutex_);
  while (!monitor_stopping_) {
    lock.unlock();
    refresh();
    lock.lock();
    monitor_cv_.wait_for(lock, options_.monitor_interval, [this] { return monitor_stopping_; });
  }
}

void Dispatcher::refresh() {
  std::vector<std::string> receivers;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, worker] : workers_) receivers.push_back(name);
  }
  for (const auto& receiver : receivers) metrics_.refresh_outbox(receiver, outbox_);
  outbox_.retry_unwritten();
  outbox_.flush_logs();
  if (options_.outbox.errors != nullptr) options_.outbox.errors->flush();
}

void Dispatcher::apply_config(const config::AlertingConfig& config) {
  config_ = config;
  for (const auto& receiver : config.receivers) {
    if (workers_.contains(receiver.name)) continue;
    RetryPolicy policy;
    policy.base = options_.base_backoff;
    policy.max = receiver.max_backoff;
    auto worker = std::make_unique<DeliveryWorker>(
        receiver.name, notifiers::make_sink(receiver, config.external_url), outbox_, metrics_,
        policy);
    if (started_) worker->start();
    workers_.emplace(receiver.name, std::move(worker));
  }
  if (!heartbeat_) {
    heartbeat_ = std::make_unique<Heartbeat>(config.heartbeat);
    if (started_) heartbeat_->start();
  }
}

}  // namespace qw::alerts
