#pragma once
// The unit of delivery between the alert core (which decides what to tell whom) and the
// notifiers (which make sure it is told, durably). A notification is a snapshot: encoders turn
// it into a receiver's payload at send time.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.hpp"

namespace qw::alerts {

enum class NotificationKind {
  firing,    // first notice of a firing alert
  repeat,    // reminder while still firing (repeat_interval), or an Alertmanager re-post
  resolved,  // the alert stopped firing
};

struct Notification {
  std::string id;        // unique per notification (outbox key); receivers dedupe by fingerprint
  std::string receiver;  // receiver name from config
  NotificationKind kind = NotificationKind::firing;
  std::string fingerprint;  // alert identity; PagerDuty dedup_key
  Labels labels;
  Annotations annotations;
  Time starts_at{};
  std::optional<Time> ends_at;  // set when resolved (Alertmanager endsAt)
  double value = 0;
  Time created_at{};  // when it was decided; the outbox reports its age
};

// Where the alert core hands notifications. The implementation (the outbox) must have made them
// durable before enqueue() returns: a notification accepted is delivered even after kill -9.
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  virtual void enqueue(std::vector<Notification> notifications) = 0;
};

}  // namespace qw::alerts
