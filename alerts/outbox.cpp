#include "alerts/outbox.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "alerts/notification_planner.hpp"

namespace qw::alerts {

namespace {

std::string id_key(const std::string& receiver, const std::string& id) {
  return receiver + '\n' + id;
}

}  // namespace

Outbox::Outbox(const std::filesystem::path& state_dir, OutboxOptions options)
    : options_(options),
      own_errors_(options.errors ? nullptr : std::make_unique<StateErrors>()),
      errors_(options.errors ? options.errors : own_errors_.get()),
      drop_log_(spdlog::level::warn, options.drop_log_interval) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  const auto path = state_dir / "outbox.log";
  auto replay = OutboxLog::read_and_repair(path);
  if (replay.truncated_bytes > 0) {
    spdlog::warn(
        "outbox: {} ended with {} ({} bytes); cut it off and kept the {} records before it. "
        "Notifications enqueued in that record, if any, were never acknowledged to the alert core.",
        path.string(), replay.problem, replay.truncated_bytes, replay.bodies.size());
  }
  if (replay.damaged_regions > 0) {
    spdlog::error(
        "outbox: {} is damaged ({}): skipped {} bytes in {} place(s) and kept the {} intact "
        "records around them; the damaged bytes are in {}. Notifications in the lost records "
        "are treated as not delivered: every firing alert is notified again.",
        path.string(), replay.problem, replay.damaged_bytes, replay.damaged_regions,
        replay.bodies.size(),
        replay.damaged_copy.empty() ? std::string("no copy (it could not be written)")
                                    : replay.damaged_copy);
  }
  if (!replay.repair_error.empty()) {
    errors_->failed(StateErrors::kOutbox, "cannot repair " + path.string() + ": " +
                                              replay.repair_error +
                                              " (replay skips the bad bytes again next time)");
  }
  replay_.records = replay.bodies.size();
  replay_.truncated_bytes = replay.truncated_bytes;
  replay_.damaged_bytes = replay.damaged_bytes;
  replay_.damaged_regions = replay.damaged_regions;
  replay_.damaged_copy = replay.damaged_copy;
  std::size_t unreadable = 0;
  for (const auto& body : replay.bodies) {
    if (auto record = decode_record(body)) {
      apply(*record);
    } else {
      ++unreadable;
    }
  }
  if (unreadable > 0) {
    spdlog::warn("outbox: skipped {} records of {} that this version cannot read", unreadable,
                 path.string());
  }
  records_ = replay.bodies.size();
  log_ = std::make_unique<OutboxLog>(path);
  std::size_t total = 0;
  for (const auto& [receiver, queue] : pending_) total += queue.size();
  if (total > 0) spdlog::info("outbox: {} notifications pending from before the restart", total);
  std::lock_guard lock(mutex_);
  maybe_compact();
}

void Outbox::apply(const OutboxRecord& record) {
  if (const auto* enqueue = std::get_if<EnqueueRecord>(&record)) {
    const Notification& n = enqueue->notification;
    if (!pending_ids_.insert(id_key(n.receiver, n.id)).second) return;
    pending_[n.receiver].push_back(n);
    auto& standing = standing_[n.receiver];
    if (n.kind == NotificationKind::resolved) {
      standing.erase(n.fingerprint);
    } else {
      standing[n.fingerprint] = n;
    }
    return;
  }
  const auto& ack = std::get<AckRecord>(record);
  if (pending_ids_.erase(id_key(ack.receiver, ack.id)) == 0) return;
  auto& queue = pending_[ack.receiver];
  const auto it = std::find_if(queue.begin(), queue.end(),
                               [&](const Notification& n) { return n.id == ack.id; });
  if (it != queue.end()) queue.erase(it);
  if (queue.empty()) pending_.erase(ack.receiver);
}

void Outbox::enqueue(std::vector<Notification> notifications) {
  std::vector<Notification> dropped;
  std::set<std::string> touched;
  {
    std::lock_guard lock(mutex_);
    std::vector<OutboxRecord> records;
    std::set<std::string> batch_ids;
    std::map<std::string, std::size_t> added;
    for (auto& n : notifications) {
      const std::string key = id_key(n.receiver, n.id);
      if (pending_ids_.contains(key) || !batch_ids.insert(key).second) continue;
      ++added[n.receiver];
      records.push_back(EnqueueRecord{std::move(n)});
    }
    // The bound: pick the victims before writing, so the drops are in the same durable batch.
    for (const auto& [receiver, count] : added) {
      const auto it = pending_.find(receiver);
      const std::size_t existing = it == pending_.end() ? 0 : it->second.size();
      if (existing + count <= options_.max_pending_per_receiver) continue;
      std::size_t excess = existing + count - options_.max_pending_per_receiver;
      std::vector<const Notification*> candidates;
      if (it != pending_.end()) {
        for (const auto& n : it->second) candidates.push_back(&n);
      }
      for (const auto& r : records) {
        const auto& n = std::get<EnqueueRecord>(r).notification;
        if (n.receiver == receiver) candidates.push_back(&n);
      }
      std::set<const Notification*> victims;
      for (const bool repeats_only : {true, false}) {
        for (const Notification* n : candidates) {
          if (excess == 0) break;
          if (repeats_only && n->kind != NotificationKind::repeat) continue;
          if (victims.insert(n).second) --excess;
        }
      }
      for (const Notification* n : victims) {
        dropped.push_back(*n);
      }
    }
    std::vector<std::string> bodies;
    for (const auto& r : records) bodies.push_back(encode_record(r));
    for (const auto& n : dropped) {
      bodies.push_back(encode_record(AckRecord{n.receiver, n.id, AckResult::dropped}));
    }
    append_with_unwritten(bodies);  // throws before anything changed in memory
    for (const auto& r : records) {
      touched.insert(std::get<EnqueueRecord>(r).notification.receiver);
      apply(r);
    }
    for (const auto& n : dropped) apply(AckRecord{n.receiver, n.id, AckResult::dropped});
    maybe_compact();
  }
  for (const auto& n : dropped) {
    // A receiver down for hours drops thousands: one line per receiver every few seconds.
    drop_log_.note(
        n.receiver,
        fmt::format("outbox: receiver {} has more than {} notifications pending; "
                    "dropped the oldest {} notification {} (alertname={})",
                    n.receiver, options_.max_pending_per_receiver, to_string(n.kind), n.id,
                    n.labels.contains("alertname") ? n.labels.at("alertname") : ""));
    if (drop_observer_) drop_observer_(n);
  }
  if (listener_) {
    for (const auto& receiver : touched) listener_(receiver);
  }
}

std::optional<Notification> Outbox::front(const std::string& receiver) const {
  std::lock_guard lock(mutex_);
  const auto it = pending_.find(receiver);
  if (it == pending_.end() || it->second.empty()) return std::nullopt;
  return it->second.front();
}

void Outbox::ack(const std::string& receiver, const std::string& id, AckResult result) {
  std::lock_guard lock(mutex_);
  if (!pending_ids_.contains(id_key(receiver, id))) return;
  AckRecord record{receiver, id, result};
  const std::string body = encode_record(record);
  try {
    append_with_unwritten({body});
  } catch (const std::exception&) {
    // Counted and logged already. Acked in memory all the same: re-sending it in a loop would be
    // worse than the one duplicate a restart before the retry can cause.
    unwritten_.push_back(body);
  }
  apply(record);
  maybe_compact();
}

void Outbox::append_with_unwritten(const std::vector<std::string>& bodies) {
  std::vector<std::string> batch = unwritten_;
  batch.insert(batch.end(), bodies.begin(), bodies.end());
  try {
    log_->append(batch);
  } catch (const std::exception& e) {
    errors_->failed(StateErrors::kOutbox, e.what());
    throw;
  }
  records_ += batch.size();
  unwritten_.clear();
  errors_->succeeded(StateErrors::kOutbox);
}

bool Outbox::retry_unwritten() {
  std::lock_guard lock(mutex_);
  if (unwritten_.empty()) return true;
  try {
    append_with_unwritten({});
  } catch (const std::exception&) {
    return false;  // counted and logged; tried again on the next tick
  }
  maybe_compact();
  return true;
}

void Outbox::flush_logs(bool all) {
  drop_log_.flush(all);
}

std::size_t Outbox::log_syncs() const {
  std::lock_guard lock(mutex_);
  return log_->syncs();
}

std::size_t Outbox::unwritten_acks() const {
  std::lock_guard lock(mutex_);
  return unwritten_.size();
}

std::set<std::pair<std::string, std::string>> Outbox::standing_fingerprints() const {
  std::lock_guard lock(mutex_);
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& [receiver, by_fingerprint] : standing_) {
    for (const auto& [fingerprint, n] : by_fingerprint) out.emplace(receiver, fingerprint);
  }
  return out;
}

std::vector<Notification> Outbox::standing(const std::string& receiver) const {
  std::lock_guard lock(mutex_);
  std::vector<Notification> out;
  if (const auto it = standing_.find(receiver); it != standing_.end()) {
    for (const auto& [fingerprint, n] : it->second) out.push_back(n);
  }
  return out;
}

std::size_t Outbox::depth(const std::string& receiver) const {
  std::lock_guard lock(mutex_);
  const auto it = pending_.find(receiver);
  return it == pending_.end() ? 0 : it->second.size();
}

std::optional<Time> Outbox::oldest(const std::string& receiver) const {
  std::lock_guard lock(mutex_);
  const auto it = pending_.find(receiver);
  if (it == pending_.end() || it->second.empty()) return std::nullopt;
  Time oldest = it->second.front().created_at;
  for (const auto& n : it->second) oldest = std::min(oldest, n.created_at);
  return oldest;
}

std::vector<std::string> Outbox::receivers_with_pending() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [receiver, queue] : pending_) out.push_back(receiver);
  return out;
}

std::size_t Outbox::log_records() const {
  std::lock_guard lock(mutex_);
  return records_;
}

void Outbox::set_listener(std::function<void(const std::string&)> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void Outbox::set_drop_observer(std::function<void(const Notification&)> observer) {
  std::lock_guard lock(mutex_);
  drop_observer_ = std::move(observer);
}

void Outbox::maybe_compact() {
  // Live: pending notifications, and the standing ones (which may be acked already; their
  // enqueue record is what survives a restart).
  std::vector<std::string> live;
  std::set<std::string> written;
  for (const auto& [receiver, queue] : pending_) {
    for (const auto& n : queue) {
      written.insert(id_key(receiver, n.id));
    }
  }
  std::size_t standing_only = 0;
  for (const auto& [receiver, by_fingerprint] : standing_) {
    for (const auto& [fingerprint, n] : by_fingerprint) {
      if (!written.contains(id_key(receiver, n.id))) ++standing_only;
    }
  }
  const std::size_t live_count = written.size() + standing_only;
  if (records_ <= options_.compact_min_records || records_ - live_count <= records_ / 2) return;
  // After a failure (disk full), not on every ack: each attempt writes the whole live set.
  constexpr auto kRetryCompactionAfter = std::chrono::seconds(30);
  const auto now = std::chrono::steady_clock::now();
  if (compact_not_before_ && now < *compact_not_before_) return;

  // Standing-only entries first, acked: replay rebuilds the standing set without re-sending them.
  for (const auto& [receiver, by_fingerprint] : standing_) {
    for (const auto& [fingerprint, n] : by_fingerprint) {
      if (written.contains(id_key(receiver, n.id))) continue;
      live.push_back(encode_record(EnqueueRecord{n}));
      live.push_back(encode_record(AckRecord{receiver, n.id, AckResult::success}));
    }
  }
  for (const auto& [receiver, queue] : pending_) {
    for (const auto& n : queue) live.push_back(encode_record(EnqueueRecord{n}));
  }
  try {
    log_->rewrite(live);
    spdlog::debug("outbox: compacted {} records to {}", records_, live.size());
    records_ = live.size();
    unwritten_.clear();  // the rewrite holds the memory state, unwritten acks included
    compact_not_before_.reset();
    errors_->succeeded(StateErrors::kOutbox);
  } catch (const std::exception& e) {
    // The old log is intact (rename is atomic): keep appending to it and try again later.
    errors_->failed(StateErrors::kOutbox,
                    std::string("compaction failed, keeping the uncompacted log: ") + e.what());
    compact_not_before_ = now + kRetryCompactionAfter;
  }
}

}  // namespace qw::alerts
