#pragma once
// The durable outbox between the alert core and the receivers. enqueue() returns only once the
// notifications are fdatasync'd to <state_dir>/outbox.log, so a notification accepted is
// delivered even after a crash or kill -9: on start-up the log is replayed and whatever was not
// acknowledged is pending again (at-least-once; receivers dedupe by fingerprint / dedup_key).
//
// Per receiver, pending notifications form a FIFO: delivery takes front(), and ack()s it when
// the receiver took it, refused it for good, or it was dropped. Bounded: past
// max_pending_per_receiver the oldest `repeat` notifications are dropped first (a reminder is
// the least valuable thing to lose), then the oldest of any kind — each drop is logged and
// reported to the drop observer (a metric), never silent.
//
// The outbox also remembers, per receiver, the latest firing notification of every alert still
// firing ("standing"): receivers that forget alerts (Alertmanager's endsAt) are re-posted those
// every resend_interval, across restarts too. A `resolved` removes its alert from the set.
//
// Compaction: when the log holds more than compact_min_records records and over half are dead
// (acknowledged, or superseded standing entries), it is rewritten with only the live ones.
// Thread-safe.
#include <chrono>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alerts/notification.hpp"
#include "alerts/outbox_codec.hpp"
#include "alerts/outbox_log.hpp"

namespace qw::alerts {

struct OutboxOptions {
  std::size_t max_pending_per_receiver = 10000;
  std::size_t compact_min_records = 1000;
};

class Outbox : public NotificationSink {
 public:
  // Replays <state_dir>/outbox.log (creating state_dir if needed). Throws std::runtime_error when
  // the file cannot be opened: better to refuse to start than to accept alerts we cannot keep.
  explicit Outbox(const std::filesystem::path& state_dir, OutboxOptions options = {});

  // Durable before returning; throws std::runtime_error (disk full, I/O error) having accepted
  // nothing. Notifications whose id is already pending are ignored (a retried enqueue).
  void enqueue(std::vector<Notification> notifications) override;

  std::optional<Notification> front(const std::string& receiver) const;
  // Removes the pending notification `id` of `receiver`; unknown ids are ignored (a drop may
  // have raced with the delivery). Durable too: an acked notification is not re-sent.
  void ack(const std::string& receiver, const std::string& id, AckResult result);

  std::vector<Notification> standing(const std::string& receiver) const;
  std::size_t depth(const std::string& receiver) const;
  std::optional<Time> oldest(const std::string& receiver) const;  // created_at of the oldest
  std::vector<std::string> receivers_with_pending() const;
  std::size_t log_records() const;  // records in the file now (compaction tests)

  // Called after enqueue() with each receiver that got something (outside the lock).
  void set_listener(std::function<void(const std::string& receiver)> listener);
  // Called for every notification dropped by the bound (outside the lock).
  void set_drop_observer(std::function<void(const Notification&)> observer);

 private:
  void apply(const OutboxRecord& record);  // replay and live updates share this
  void maybe_compact();                    // under mutex_

  mutable std::mutex mutex_;
  OutboxOptions options_;
  std::unique_ptr<OutboxLog> log_;
  std::map<std::string, std::deque<Notification>> pending_;              // by receiver
  std::set<std::string> pending_ids_;                                    // receiver + '\n' + id
  std::map<std::string, std::map<std::string, Notification>> standing_;  // receiver -> fp
  std::size_t records_ = 0;                                              // in the file
  std::function<void(const std::string&)> listener_;
  std::function<void(const Notification&)> drop_observer_;
};

}  // namespace qw::alerts
