#pragma once
// The dead-man's switch: GET heartbeat.url every interval (healthchecks.io, Cronitor, Better
// Uptime...). The service pages when the pings stop — the one failure queuewatch cannot report
// itself: queuewatch being down. Its own thread, so a slow endpoint never delays anything else;
// each ping is bounded by min(interval, 10 s). Failures are logged at warn with the URL
// redacted (it carries the check's token).
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "alerts/http_client.hpp"
#include "config/alerting_config.hpp"

namespace qw::alerts {

class Heartbeat {
 public:
  explicit Heartbeat(config::HeartbeatConfig config);
  ~Heartbeat();  // stop()
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // Pings at once, then every interval. Does nothing without a URL.
  void start();
  void stop();

 private:
  void run();

  const config::HeartbeatConfig config_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  HttpClient client_;  // only run() sends; stop() may cancel()
  std::thread thread_;
};

}  // namespace qw::alerts
