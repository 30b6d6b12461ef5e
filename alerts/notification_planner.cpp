#include "alerts/notification_planner.hpp"

#include <fmt/format.h>

#include "alerts/fingerprint.hpp"

namespace qw::alerts {
namespace {

Notification make(Time now, const Alert& a, const std::string& receiver, NotificationKind kind) {
  Notification n;
  n.id = notification_id(a.fingerprint, kind, now, receiver);
  n.receiver = receiver;
  n.kind = kind;
  n.fingerprint = a.fingerprint;
  n.labels = a.labels;
  n.annotations = a.annotations;
  // Like Prometheus: an alert starts when it fired, not when its `for` began.
  n.starts_at = a.fired_at.value_or(a.active_at);
  if (kind == NotificationKind::resolved) n.ends_at = a.resolved_at.value_or(now);
  n.value = a.value;
  n.created_at = now;
  return n;
}

std::string news_of(const Alert& a) {
  const auto it = a.annotations.find(std::string(kNewsAnnotation));
  return it == a.annotations.end() ? std::string() : it->second;
}

}  // namespace

const char* to_string(NotificationKind kind) {
  switch (kind) {
    case NotificationKind::firing:
      return "firing";
    case NotificationKind::repeat:
      return "repeat";
    case NotificationKind::resolved:
      return "resolved";
  }
  return "unknown";
}

std::string notification_id(const std::string& fingerprint, NotificationKind kind, Time at,
                            const std::string& receiver) {
  return fmt::format("{}-{}-{}-{}", fingerprint, to_string(kind), at.time_since_epoch().count(),
                     fingerprint_text(receiver).substr(0, 8));
}

std::vector<Notification> NotificationPlanner::plan(Time now, const std::vector<Alert>& alerts,
                                                    const std::set<std::string>& inhibited) {
  std::vector<Notification> out;
  std::set<std::string> present;
  for (const Alert& a : alerts) {
    present.insert(a.fingerprint);
    if (a.state == AlertState::firing) {
      if (inhibited.contains(a.fingerprint)) continue;
      for (const RouteMatch& match : router_.route(a.labels)) {
        const Key key{match.receiver, a.fingerprint};
        auto it = records_.find(key);
        if (it == records_.end() || it->second.incident_start != a.active_at) {
          // Not yet told, and its condition did not hold at this evaluation: it is firing only
          // by keep_firing_for (or an undecided verdict). Its first notice would be news that is
          // already over, e.g. a collapse held back by its queue's silence once the queue
          // recovered. Told when the condition holds again, if it does.
          if (a.last_active && *a.last_active < now) continue;
          out.push_back(make(now, a, match.receiver, NotificationKind::firing));
          records_.insert_or_assign(
              key, DeliveryRecord{match.receiver, a.fingerprint, a.active_at, now, news_of(a)});
        } else if (const std::string news = news_of(a);
                   now - it->second.last_notified >= match.repeat_interval ||
                   (!news.empty() && news != it->second.news)) {
          out.push_back(make(now, a, match.receiver, NotificationKind::repeat));
          it->second.last_notified = now;
          it->second.news = news;
        }
      }
    } else if (a.state == AlertState::inactive && a.resolved_at) {
      for (auto it = records_.begin(); it != records_.end();) {
        const DeliveryRecord& r = it->second;
        if (r.fingerprint != a.fingerprint) {
          ++it;
          continue;
        }
        // A receiver removed by a reload cannot be told; its record just goes.
        if (r.incident_start == a.active_at && router_.has_receiver(r.receiver)) {
          out.push_back(make(now, a, r.receiver, NotificationKind::resolved));
        }
        it = records_.erase(it);
      }
    }
  }
  // Records of alerts the book no longer holds (a pending re-activation replaced the incident,
  // or state was lost) can never be resolved by an alert: forget them.
  for (auto it = records_.begin(); it != records_.end();) {
    if (present.contains(it->second.fingerprint)) {
      ++it;
    } else {
      it = records_.erase(it);
    }
  }
  return out;
}

std::vector<DeliveryRecord> NotificationPlanner::records() const {
  std::vector<DeliveryRecord> out;
  out.reserve(records_.size());
  for (const auto& [key, record] : records_) out.push_back(record);
  return out;
}

void NotificationPlanner::restore(const std::vector<DeliveryRecord>& records) {
  records_.clear();
  for (const DeliveryRecord& r : records)
    records_.insert_or_assign(Key{r.receiver, r.fingerprint}, r);
}

void NotificationPlanner::forget_deliveries(
    const std::vector<Alert>& alerts,
    const std::set<std::pair<std::string, std::string>>& standing) {
  for (const Alert& a : alerts) {
    if (a.state == AlertState::firing) {
      std::erase_if(records_,
                    [&](const auto& entry) { return entry.first.second == a.fingerprint; });
    } else if (a.state == AlertState::inactive && a.resolved_at) {
      for (const auto& [receiver, fingerprint] : standing) {
        if (fingerprint != a.fingerprint) continue;
        records_.insert_or_assign(Key{receiver, fingerprint},
                                  DeliveryRecord{receiver, fingerprint, a.active_at,
                                                 a.fired_at.value_or(a.active_at), news_of(a)});
      }
    }
  }
}

}  // namespace qw::alerts
