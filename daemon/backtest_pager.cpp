#include "daemon/backtest_pager.hpp"

#include <map>

namespace qw::daemon {
namespace {

config::AlertingConfig one_receiver(config::AlertingConfig config) {
  config.routes.clear();
  config.receivers.clear();
  config::ReceiverConfig pager;
  pager.name = "backtest";
  config.receivers.push_back(pager);
  config.default_receiver = pager.name;
  return config;
}

std::string alertname_of(const alerts::Labels& labels) {
  const auto it = labels.find("alertname");
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

BacktestPager::BacktestPager(const config::AlertingConfig& config)
    : inhibitor_(alerts::Inhibitor::from_config(config)),
      planner_(alerts::Router(one_receiver(config))) {}

std::vector<BacktestRow> BacktestPager::rows(alerts::Time now,
                                             const std::vector<alerts::Transition>& changes,
                                             const std::vector<alerts::Alert>& alerts) {
  using alerts::AlertState;
  using alerts::NotificationKind;
  std::map<std::string, NotificationKind> sent;  // by fingerprint; repeats are not pages
  for (const alerts::Notification& n :
       planner_.plan(now, alerts, inhibitor_.inhibited(now, alerts))) {
    if (n.kind != NotificationKind::repeat) sent.emplace(n.fingerprint, n.kind);
  }
  std::vector<BacktestRow> out;
  for (const alerts::Transition& t : changes) {
    BacktestRow row{t.at, t.alertname, "", t.value};
    const auto s = sent.find(t.fingerprint);
    const bool told = s != sent.end();
    if (told) sent.erase(s);
    if (t.to == AlertState::firing) {
      row.state = told ? "firing" : "inhibited";
      row.fired = told;
    } else if (t.to == AlertState::inactive && t.from == AlertState::firing) {
      row.state = told ? "resolved" : "inactive";
    } else {
      // A pending alert that clears never fired: the lifecycle drops it, nothing resolves.
      row.state = t.to == AlertState::pending ? "pending" : "inactive";
    }
    out.push_back(std::move(row));
  }
  // Sent without a transition now: held back when it fired, and still holding now.
  for (const alerts::Alert& a : alerts) {
    const auto s = sent.find(a.fingerprint);
    if (s == sent.end() || s->second != NotificationKind::firing) continue;
    out.push_back({now, alertname_of(a.labels), "firing", a.value, true});
  }
  return out;
}

}  // namespace qw::daemon
