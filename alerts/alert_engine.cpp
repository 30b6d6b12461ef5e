#include "alerts/alert_engine.hpp"

namespace qw::alerts {
namespace {

BookOptions book_options(const config::AlertingConfig& config) {
  BookOptions options;
  options.external_labels = Labels(config.external_labels.begin(), config.external_labels.end());
  return options;
}

}  // namespace

rules::ActiveCondition watchdog_condition() {
  rules::ActiveCondition c;
  c.alertname = "Watchdog";
  c.severity = "none";
  c.annotations["summary"] = "queuewatch is alive: this alert is always firing";
  c.annotations["description"] =
      "The Watchdog alert proves that queuewatch evaluates and notifies. If a receiver stops "
      "getting it, alerting itself is broken: treat that as a page.";
  return c;
}

AlertEngine::AlertEngine(const config::AlertingConfig& config)
    : book_(book_options(config)),
      inhibitor_(Inhibitor::from_config(config)),
      planner_(Router(config)),
      watchdog_(config.heartbeat.watchdog_alert) {}

void AlertEngine::reconfigure(const config::AlertingConfig& config) {
  book_.set_options(book_options(config));
  inhibitor_ = Inhibitor::from_config(config);
  planner_.set_router(Router(config));
  watchdog_ = config.heartbeat.watchdog_alert;
}

EngineStep AlertEngine::evaluate(Time now, const std::vector<rules::ActiveCondition>& active,
                                 const std::set<std::string>& undecided) {
  EngineStep step;
  if (watchdog_) {
    std::vector<rules::ActiveCondition> with_watchdog = active;
    with_watchdog.push_back(watchdog_condition());
    step.transitions = book_.evaluate(now, with_watchdog, undecided);
  } else {
    step.transitions = book_.evaluate(now, active, undecided);
  }
  const std::vector<Alert> alerts = book_.alerts();
  step.inhibited = inhibitor_.inhibited(now, alerts);
  step.notifications = planner_.plan(now, alerts, step.inhibited);
  return step;
}

PersistedState AlertEngine::state() const {
  return PersistedState{book_.alerts(), planner_.records()};
}

void AlertEngine::restore(const PersistedState& state) {
  book_.restore(state.alerts);
  planner_.restore(state.deliveries);
}

}  // namespace qw::alerts
