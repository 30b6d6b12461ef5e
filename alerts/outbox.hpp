#pragma once
// The durable outbox between the alert core and the receivers. enqueue() returns only once the
// notifications are fdatasync'd to <state_dir>/outbox.log, so a notification accepted is
// delivered even after a crash or kill -9: on start-up the log is replayed and whatever was not
// acknowledged is pending again (at-least-once; receivers dedupe by fingerprint / dedup_key).
//
// Per receiver, pending notifications form a FIFO: delivery takes front(), and ack()s it when
// the receiver took it, refused it for good, or it was dropped. Bounded: past
// max_pending_per_receiver the oldest `repeat` notifications are dropped first (a reminder is
// the least valuable thing to lose), then the oldest of any kind — each drop is counted by the
// drop observer (a metric) and logged, one summary line per receiver at most every 10 s.
//
// The outbox also remembers, per receiver, the latest firing notification of every alert still
// firing ("standing"): receivers that forget alerts (Alertmanager's endsAt) are re-posted those
// every resend_interval, across restarts too. A `resolved` removes its alert from the set.
//
// Compaction: when the log holds more than compact_min_records records and over half are dead
// (acknowledged, or superseded standing entries), it is rewritten with only the live ones.
//
// I/O errors follow the state policy (alerts/state_errors.hpp): counted, logged rate-limited,
// and never thrown out of ack() or compaction. An ack that cannot be written stays acked in
// memory (the notification is not sent again by this process) and is written with the next
// append that succeeds (retry_unwritten() tries on a timer); only a restart before that re-sends
// it once. enqueue() does throw: the alert core rolls back and plans the same notifications
// again, so nothing is accepted that is not on disk.
//
// Replay resynchronises past damaged records (alerts/outbox_log.hpp). Records lost to damage
// may have held notifications never delivered: replay_report().records_lost says so, and the
// alert core then notifies every firing alert again (AlertService::outbox_lost_records).
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
#include <utility>
#include <vector>

#include "alerts/log_summary.hpp"
#include "alerts/notification.hpp"
#include "alerts/outbox_codec.hpp"
#include "alerts/outbox_log.hpp"
#include "alerts/state_errors.hpp"

namespace qw::alerts {

struct OutboxOptions {
  std::size_t max_pending_per_receiver = 10000;
  std::size_t compact_min_records = 1000;
  // Where write errors are counted; nullptr: an own StateErrors without metrics (tests).
  StateErrors* errors = nullptr;
  // At most one drop summary line per receiver this often.
  std::chrono::milliseconds drop_log_interval{10000};
};

struct OutboxReplayReport {
  std::size_t records = 0;          // intact records replayed
  std::size_t truncated_bytes = 0;  // a torn tail, cut off
  std::size_t damaged_bytes = 0;    // damage skipped (records after it kept)
  std::size_t damaged_regions = 0;
  std::string damaged_copy;                                  // where those bytes were kept
  bool records_lost() const { return damaged_regions > 0; }  // notifications may be missing
};

class Outbox : public NotificationSink {
 public:
  // Replays <state_dir>/outbox.log (creating state_dir if needed). Throws std::runtime_error,
  // naming the file, when it cannot be opened (a directory, no permission): better to refuse to
  // start than to accept alerts we cannot keep.
  explicit Outbox(const std::filesystem::path& state_dir, OutboxOptions options = {});

  // Durable before returning; throws std::runtime_error (disk full, I/O error) having accepted
  // nothing. Notifications whose id is already pending are ignored (a retried enqueue).
  void enqueue(std::vector<Notification> notifications) override;

  std::optional<Notification> front(const std::string& receiver) const;
  // Removes the pending notification `id` of `receiver`; unknown ids are ignored (a drop may
  // have raced with the delivery). Durable when the disk allows; never throws (see above).
  void ack(const std::string& receiver, const std::string& id, AckResult result);
  // Writes acks that could not be written before. Returns true when none is left unwritten.
  bool retry_unwritten();
  // Logs the drop summaries that are due (`all`: every one, at stop).
  void flush_logs(bool all = false);

  std::vector<Notification> standing(const std::string& receiver) const;
  std::size_t depth(const std::string& receiver) const;
  std::optional<Time> oldest(const std::string& receiver) const;  // created_at of the oldest
  std::vector<std::string> receivers_with_pending() const;
  std::size_t log_records() const;  // records in the file now (compaction tests)
  std::size_t log_syncs() const;    // successful fdatasync/fsync calls (durability tests)
  std::size_t unwritten_acks() const;
  const OutboxReplayReport& replay_report() const { return replay_; }
  // (receiver, fingerprint) of every standing firing notification: what receivers were last told
  // is firing. After lost records, alerts among these that are no longer firing are resolved
  // again.
  std::set<std::pair<std::string, std::string>> standing_fingerprints() const;

  // Called after enqueue() with each receiver that got something (outside the lock).
  void set_listener(std::function<void(const std::string& receiver)> listener);
  // Called for every notification dropped by the bound (outside the lock).
  void set_drop_observer(std::function<void(const Notification&)> observer);

 private:
  void apply(const OutboxRecord& record);  // replay and live updates share this
  void maybe_compact();                    // under mutex_
  // Appends `bodies` after the unwritten acks; counts and rethrows a failure. Under mutex_.
  void append_with_unwritten(const std::vector<std::string>& bodies);

  mutable std::mutex mutex_;
  OutboxOptions options_;
  std::unique_ptr<OutboxLog> log_;
  std::map<std::string, std::deque<Notification>> pending_;              // by receiver
  std::set<std::string> pending_ids_;                                    // receiver + '\n' + id
  std::map<std::string, std::map<std::string, Notification>> standing_;  // receiver -> fp
  std::size_t records_ = 0;                                              // in the file
  std::vector<std::string> unwritten_;  // encoded acks applied in memory, not yet in the file
  std::optional<std::chrono::steady_clock::time_point> compact_not_before_;  // after a failure
  std::unique_ptr<StateErrors> own_errors_;
  StateErrors* errors_;
  LogSummary drop_log_;
  OutboxReplayReport replay_;
  std::function<void(const std::string&)> listener_;
  std::function<void(const Notification&)> drop_observer_;
};

}  // namespace qw::alerts
