#pragma once
// What `queuewatch backtest` prints: the alert transitions as the on-call sees them, decided by
// the daemon's own inhibition (alerts::Inhibitor, built-in rules) and notification planner
// (alerts::NotificationPlanner, one receiver). An alert that turns firing but is not sent (held
// back on its queue: throughput_collapse and below_baseline while no_throughput fires) is
// printed `inhibited`, not `firing`; one sent later (still holding once nothing holds it back)
// is printed `firing` at that time; a firing alert that resolves without having been sent is
// printed `inactive`. Scorers that count `firing` rows then count pages, as an on-call would.
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/inhibitor.hpp"
#include "alerts/notification_planner.hpp"
#include "config/alerting_config.hpp"

namespace qw::daemon {

struct BacktestRow {
  alerts::Time at;
  std::string alertname;
  std::string state;  // pending, firing, inhibited, resolved or inactive
  double value = 0;
  bool fired = false;  // a page starts here (state firing)
};

class BacktestPager {
 public:
  // `config`: the inhibition settings (built-in rules, release delay); routes are replaced by
  // one receiver that takes every alert.
  explicit BacktestPager(const config::AlertingConfig& config);

  // One evaluation: its transitions (AlertBook::evaluate) and the book's alerts after it.
  std::vector<BacktestRow> rows(alerts::Time now, const std::vector<alerts::Transition>& changes,
                                const std::vector<alerts::Alert>& alerts);

 private:
  alerts::Inhibitor inhibitor_;
  alerts::NotificationPlanner planner_;
};

}  // namespace qw::daemon
