#include "alerts/delivery_worker.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "alerts/delivery_policy.hpp"
#include "alerts/notification_planner.hpp"

namespace qw::alerts {

using notifiers::SendOutcome;
using std::chrono::milliseconds;

namespace {

// Idle wake-up period: bounds how late a resend can be. (The gauges are refreshed by the
// dispatcher's monitor thread too, so a long backoff sleep does not freeze them.)
constexpr milliseconds kIdleTick{1000};

std::string alertname_of(const Notification& n) {
  const auto it = n.labels.find("alertname");
  return it == n.labels.end() ? std::string{} : it->second;
}

}  // namespace

DeliveryWorker::DeliveryWorker(std::string receiver, std::unique_ptr<notifiers::Sink> sink,
                               Outbox& outbox, DeliveryMetrics& metrics, RetryPolicy policy)
    : receiver_(std::move(receiver)),
      sink_(std::move(sink)),
      outbox_(outbox),
      metrics_(metrics),
      policy_(policy),
      rng_(std::random_device{}()) {
  metrics_.declare(receiver_);
}

DeliveryWorker::~DeliveryWorker() {
  stop();
}

void DeliveryWorker::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void DeliveryWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  sink_->cancel();
  if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool DeliveryWorker::sleep(milliseconds delay, bool wakeable) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, delay, [&] { return stopping_ || (wakeable && woken_); });
  if (wakeable) woken_ = false;
  return !stopping_;
}

void DeliveryWorker::update_gauges() {
  metrics_.refresh_outbox(receiver_, outbox_);
}

void DeliveryWorker::run() {
  spdlog::info("delivery: receiver {} started ({})", receiver_, sink_->describe());
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    // Nothing may escape this thread (std::terminate would take monitoring down with it): the
    // outbox already keeps its own I/O errors in, this is the last line.
    try {
      if (!step()) break;
    } catch (const std::exception& e) {
      spdlog::error("delivery: receiver {}: {}; trying again in {} ms", receiver_, e.what(),
                    kIdleTick.count());
      if (!sleep(kIdleTick, false)) break;
    }
  }
  update_gauges();
  spdlog::debug("delivery: receiver {} stopped", receiver_);
}

bool DeliveryWorker::step() {
  update_gauges();
  if (sink_->resend_interval() > milliseconds{0} &&
      std::chrono::steady_clock::now() >= next_resend_) {
    next_resend_ = std::chrono::steady_clock::now() + sink_->resend_interval();
    resend_firing();
  }
  const auto next = outbox_.front(receiver_);
  if (!next) {
    milliseconds idle = kIdleTick;
    if (sink_->resend_interval() > milliseconds{0}) {
      const auto until_resend =
          std::chrono::duration_cast<milliseconds>(next_resend_ - std::chrono::steady_clock::now());
      idle = std::clamp(until_resend, milliseconds{0}, kIdleTick);
    }
    return sleep(idle, true);
  }
  deliver_one(*next);
  return true;
}

void DeliveryWorker::deliver_one(const Notification& n) {
  const auto result = sink_->send(n);
  switch (result.outcome) {
    case SendOutcome::delivered:
      if (attempt_ > 0) {
        spdlog::info("delivery: receiver {} took notification {} after {} retries", receiver_, n.id,
                     attempt_);
      }
      attempt_ = 0;
      outbox_.ack(receiver_, n.id, AckResult::success);
      metrics_.count(receiver_, "success");
      return;
    case SendOutcome::rejected:
      attempt_ = 0;
      spdlog::error(
          "delivery: receiver {} ({}) rejected {} notification {} for {}, not retrying: {}",
          receiver_, sink_->describe(), to_string(n.kind), n.id, alertname_of(n), result.detail);
      outbox_.ack(receiver_, n.id, AckResult::failed);
      metrics_.count(receiver_, "failed");
      return;
    case SendOutcome::retry:
      break;
  }
  metrics_.count(receiver_, "retry");
  milliseconds delay = backoff_delay(attempt_, policy_.base, policy_.max, rng_);
  if (result.retry_after) delay = std::min(*result.retry_after, policy_.max_retry_after);
  ++attempt_;
  // The first failure and then every 10th: a receiver down for an hour is one line a minute
  // or so, not one per attempt.
  if (attempt_ == 1 || attempt_ % 10 == 0) {
    spdlog::warn(
        "delivery: receiver {} ({}) failed attempt {} for notification {}: {}; retrying "
        "in {} ms",
        receiver_, sink_->describe(), attempt_, n.id, result.detail, delay.count());
  }
  sleep(delay, false);
}

void DeliveryWorker::resend_firing() {
  const auto firing = outbox_.standing(receiver_);
  if (firing.empty()) return;
  const auto result = sink_->resend(firing);
  if (result.outcome != SendOutcome::delivered) {
    spdlog::warn("delivery: receiver {} ({}): re-posting {} firing alerts failed: {}", receiver_,
                 sink_->describe(), firing.size(), result.detail);
  }
}

}  // namespace qw::alerts
