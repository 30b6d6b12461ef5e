#include "alerts/heartbeat.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace qw::alerts {

namespace {
constexpr std::chrono::milliseconds kMaxPingTimeout{10000};
}

Heartbeat::Heartbeat(config::HeartbeatConfig config) : config_(std::move(config)) {}

Heartbeat::~Heartbeat() {
  stop();
}

void Heartbeat::start() {
  if (!config_.url || config_.url->value.empty()) return;
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void Heartbeat::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  client_.cancel();
  if (thread_.joinable()) thread_.join();
}

void Heartbeat::run() {
  HttpRequest request;
  request.method = "GET";
  request.url = config_.url->value;
  const auto interval = std::max(config_.interval, std::chrono::milliseconds{1});
  request.timeout = std::min(interval, kMaxPingTimeout);
  const std::string shown = redact_url(request.url);
  spdlog::info("heartbeat: pinging {} every {} ms", shown, interval.count());
  bool failing = false;
  while (true) {
    const auto started = std::chrono::steady_clock::now();
    const auto result = client_.send(request);
    const bool ok =
        result.response && result.response->status >= 200 && result.response->status < 300;
    if (!ok) {
      spdlog::warn(
          "heartbeat: ping to {} failed: {}", shown,
          result.response ? "HTTP " + std::to_string(result.response->status) : result.error);
    } else if (failing) {
      spdlog::info("heartbeat: ping to {} works again", shown);
    }
    failing = !ok;
    std::unique_lock lock(mutex_);
    // From the start of this ping: the period stays `interval` however slow the endpoint is.
    if (cv_.wait_until(lock, started + interval, [&] { return stopping_; })) break;
  }
}

}  // namespace qw::alerts
