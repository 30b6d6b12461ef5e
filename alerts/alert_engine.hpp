#pragma once
// The alert core in one object, as the daemon and backtest drive it: every evaluation takes the
// rules' active conditions and the time, and returns what changed and what to notify. It owns
// the AlertBook (lifecycle), the Inhibitor, and the NotificationPlanner (routing, repeats,
// resolved). Pure: the caller hands notifications to the outbox, exports metrics from alerts()
// and the step's inhibited set, and saves state() when the step needs_save().
//
// Order matters: enqueue the notifications (durably) first, then save the state. A crash in
// between re-sends a notification after the restart (receivers dedupe by fingerprint); the other
// order would lose it.
#include <set>
#include <string>
#include <vector>

#include "alerts/alert_book.hpp"
#include "alerts/alert_state_store.hpp"
#include "alerts/inhibitor.hpp"
#include "alerts/notification_planner.hpp"
#include "config/alerting_config.hpp"

namespace qw::alerts {

struct EngineStep {
  std::vector<Transition> transitions;
  std::vector<Notification> notifications;
  std::set<std::string> inhibited;  // fingerprints of firing alerts held back now

  // Whether the state file must be rewritten: a transition or a notification changed what a
  // restart needs to know. (A pending alert's new value does not.)
  bool needs_save() const { return !transitions.empty() || !notifications.empty(); }
};

// The always-firing Watchdog alert (heartbeat.watchdog_alert): proves end to end that the whole
// pipeline, down to the receiver, is alive; its absence downstream is the page.
rules::ActiveCondition watchdog_condition();

class AlertEngine {
 public:
  // Throws std::invalid_argument only for a matcher regex the loader would have rejected.
  explicit AlertEngine(const config::AlertingConfig& config);

  // A reload: new routes, inhibit rules and labels; alerts and delivery records are kept.
  void reconfigure(const config::AlertingConfig& config);

  // `undecided`: fingerprints the rules could not judge, kept as they are (AlertBook::evaluate).
  EngineStep evaluate(Time now, const std::vector<rules::ActiveCondition>& active,
                      const std::set<std::string>& undecided = {});

  std::vector<Alert> alerts() const { return book_.alerts(); }
  PersistedState state() const;
  void restore(const PersistedState& state);
  // See NotificationPlanner::forget_deliveries.
  void forget_deliveries(const std::set<std::pair<std::string, std::string>>& standing) {
    planner_.forget_deliveries(book_.alerts(), standing);
  }

 private:
  AlertBook book_;
  Inhibitor inhibitor_;
  NotificationPlanner planner_;
  bool watchdog_ = false;
};

}  // namespace qw::alerts
