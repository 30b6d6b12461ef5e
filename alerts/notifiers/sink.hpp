#pragma once
// A receiver as the delivery loop sees it: send one notification, say what happened. Sinks are
// built from config by make_sink() (sink_factory.hpp); the loop (alerts/delivery_worker.*)
// owns retries, ordering and acks, so a sink only encodes and transports.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "alerts/notification.hpp"

namespace qw::alerts::notifiers {

enum class SendOutcome {
  delivered,  // 2xx (or logged)
  retry,      // network error, timeout, 5xx, 429: try again later
  rejected,   // other 4xx: the receiver will never accept this payload; do not retry
};

struct SendResult {
  SendOutcome outcome = SendOutcome::delivered;
  int status = 0;                                        // HTTP status, 0 without a response
  std::optional<std::chrono::milliseconds> retry_after;  // from a 429's Retry-After
  std::string detail;  // for logs: transport error or "HTTP 400: <body>"; never a secret
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual SendResult send(const Notification& n) = 0;

  // Receivers that forget alerts unless told again (Alertmanager: endsAt) re-post the alerts
  // still firing every resend_interval; for them this is > 0.
  virtual std::chrono::milliseconds resend_interval() const { return std::chrono::milliseconds{0}; }
  // Re-posts `firing` (their latest notifications). Only called when resend_interval() > 0.
  virtual SendResult resend(const std::vector<Notification>& firing) {
    (void)firing;
    return {};
  }
  // "webhook http://host:port/hooks/...": for logs, redacted.
  virtual std::string describe() const = 0;
  // From another thread: abort a send() in progress (shutdown). Default: nothing to abort.
  virtual void cancel() {}
};

}  // namespace qw::alerts::notifiers
