#pragma once
// Decides what to tell whom, from the alerts after an evaluation. The bookkeeping is one record
// per (receiver, fingerprint) for the incident that receiver was told about:
//
//   firing, not inhibited, no record for this incident  -> `firing` to each routed receiver
//   firing, not inhibited, repeat_interval elapsed      -> `repeat` (a reminder)
//   firing, inhibited                                   -> nothing; notified when it ends
//   resolved, with a record                             -> `resolved` once, to exactly the
//                                                          receivers told it was firing
//
// A receiver never told about an incident never hears that it resolved. Resolved notices go
// out even for an alert inhibited at the time: the receiver holds an open page that must close.
// The records are persisted with the alerts, so a restart does not page again.
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/notification.hpp"
#include "alerts/router.hpp"

namespace qw::alerts {

struct DeliveryRecord {
  std::string receiver;
  std::string fingerprint;
  Time incident_start{};  // the alert's active_at when told: a later incident starts over
  Time last_notified{};   // the last `firing` or `repeat`; the reminder interval counts from here
  std::string news;       // the alert's kNewsAnnotation when last told ("" when it had none)
};

// An annotation whose new value is news for a page already out: database_unavailable's quote of
// the provider's open incident (docs/rules.md). The status page is often the last to know: when
// it speaks, the receivers hear a `repeat` at once, with the provider's words.
inline constexpr std::string_view kNewsAnnotation = "provider_incident";

class NotificationPlanner {
 public:
  NotificationPlanner() = default;
  explicit NotificationPlanner(Router router) : router_(std::move(router)) {}

  // `inhibited` holds fingerprints from Inhibitor::inhibited().
  std::vector<Notification> plan(Time now, const std::vector<Alert>& alerts,
                                 const std::set<std::string>& inhibited);

  std::vector<DeliveryRecord> records() const;
  void restore(const std::vector<DeliveryRecord>& records);

  // The outbox lost records to damage, so what receivers were told is unknown: a duplicate is
  // far better than a lost page. Firing alerts lose their records, and the next plan() notifies
  // them as new incidents (receivers that did get them dedupe by fingerprint). Alerts resolved
  // while a receiver was last told they were firing (`standing`: receiver, fingerprint from the
  // outbox) get a record for their incident, and the next plan() resolves them again.
  void forget_deliveries(const std::vector<Alert>& alerts,
                         const std::set<std::pair<std::string, std::string>>& standing);
  void set_router(Router router) { router_ = std::move(router); }

 private:
  using Key = std::pair<std::string, std::string>;  // receiver, fingerprint
  Router router_;
  std::map<Key, DeliveryRecord> records_;
};

// "<fingerprint>-<kind>-<unix ms>-<receiver hash>": unique per notification, readable in logs.
std::string notification_id(const std::string& fingerprint, NotificationKind kind, Time at,
                            const std::string& receiver);
const char* to_string(NotificationKind kind);

}  // namespace qw::alerts
