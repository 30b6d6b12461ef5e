#include "alerts/alert_service.hpp"

#include "alerts/alert_state_store.hpp"

namespace qw::alerts {

AlertService::AlertService(const config::AlertingConfig& config, std::string state_path,
                           NotificationSink& sink, prometheus::Registry& registry)
    : engine_(config), state_path_(std::move(state_path)), sink_(sink), metrics_(registry) {}

std::string AlertService::restore() {
  LoadedState loaded = load_state_file(state_path_);
  engine_.restore(loaded.state);
  return loaded.problem;
}

AlertService::Result AlertService::evaluate(Time now,
                                            const std::vector<rules::ActiveCondition>& active,
                                            const std::set<std::string>& undecided) {
  Result result;
  // The engine records a notification as sent when it plans it. If the outbox refuses it
  // (disk full), roll the engine back, so the next evaluation plans the same notifications.
  const PersistedState before = engine_.state();
  result.step = engine_.evaluate(now, active, undecided);
  if (!result.step.notifications.empty()) {
    try {
      sink_.enqueue(result.step.notifications);
    } catch (const std::exception& e) {
      engine_.restore(before);
      result.enqueue_error = e.what();
      // Transitions rolled back too: reporting them now would report them again next time.
      result.step.transitions.clear();
      result.step.notifications.clear();
    }
  }
  metrics_.update(engine_.alerts(), result.step.inhibited);
  if (result.step.needs_save() || save_pending_) {
    result.saved = true;
    result.save_error = save_state_file(state_path_, engine_.state());
    save_pending_ = !result.save_error.empty();
  }
  return result;
}

void AlertService::outbox_lost_records(
    const std::set<std::pair<std::string, std::string>>& standing) {
  engine_.forget_deliveries(standing);
  save_pending_ = true;  // the next evaluation writes what it re-sent
}

}  // namespace qw::alerts
