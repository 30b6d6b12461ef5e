#pragma once
// The alert core wired to the outside world, as the daemon runs it: the AlertEngine, the outbox
// (any NotificationSink), the state file and queuewatch_alerts. One call per rule evaluation:
//
//   AlertService alerts(config.alerting, state_dir + "/alerts.json", outbox, registry);
//   log_if_set(alerts.restore());              // once, before the first evaluation
//   every evaluation_interval:
//     AlertService::Result r = alerts.evaluate(now, active_conditions);
//     log r.step.transitions; log_if_set(r.save_error);
//
// Not thread-safe: the daemon calls it from the one thread that evaluates rules.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alerts/alert_engine.hpp"
#include "alerts/alert_metrics.hpp"
#include "alerts/notification.hpp"
#include "config/alerting_config.hpp"

namespace qw::alerts {

class AlertService {
 public:
  AlertService(const config::AlertingConfig& config, std::string state_path, NotificationSink& sink,
               prometheus::Registry& registry);

  // Reads the state file back. Returns what to log when it could not be used ("" otherwise);
  // the service then starts with no alerts.
  std::string restore();

  struct Result {
    EngineStep step;
    // Non-empty: the sink refused the notifications (disk full). The engine was rolled back and
    // `step` is empty: nothing happened, and the next evaluation plans the same again.
    std::string enqueue_error;
    bool saved = false;      // the state file was written, or tried: see save_error
    std::string save_error;  // non-empty: the state file could not be written (count and log
                             // it; the next evaluation tries again)
  };
  // Evaluates, hands the notifications to the sink (which makes them durable), updates the
  // metrics, then saves the state when it changed: enqueue first, so a crash in between
  // re-sends rather than loses. Never throws for the sink's or the file's I/O errors.
  // `undecided`: see AlertBook::evaluate.
  Result evaluate(Time now, const std::vector<rules::ActiveCondition>& active,
                  const std::set<std::string>& undecided = {});

  // The outbox lost records to damage (Outbox::replay_report()): notify every firing alert
  // again, and resolve again the ones receivers were last told were firing (`standing`, from
  // Outbox::standing_fingerprints()). Call after restore(), before the first evaluation.
  void outbox_lost_records(const std::set<std::pair<std::string, std::string>>& standing);

  // A config reload: routes, receivers, inhibit rules, labels. Alerts and bookkeeping stay.
  void reconfigure(const config::AlertingConfig& config) { engine_.reconfigure(config); }

  // Pre-creates queuewatch_alerts series for a rule, so they exist at 0 before any alert.
  void declare(const std::string& alertname, const std::string& severity) {
    metrics_.declare(alertname, severity);
  }

  std::vector<Alert> alerts() const { return engine_.alerts(); }

 private:
  AlertEngine engine_;
  std::string state_path_;
  NotificationSink& sink_;
  AlertMetrics metrics_;
  bool save_pending_ = false;  // the last save failed: retry even if nothing changes
};

}  // namespace qw::alerts
