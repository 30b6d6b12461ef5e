#include "alerts/alert_book.hpp"

#include <set>

#include "alerts/fingerprint.hpp"

namespace qw::alerts {
namespace {

std::string alertname_of(const Alert& a) {
  const auto it = a.labels.find("alertname");
  return it == a.labels.end() ? std::string() : it->second;
}

}  // namespace

Alert AlertBook::make_snapshot(const rules::ActiveCondition& condition) const {
  Alert a;
  a.labels = condition.labels;
  // The identity always carries the rule's name and severity, whatever the rule put in labels.
  a.labels["alertname"] = condition.alertname;
  a.labels["severity"] = condition.severity;
  // Like Prometheus' external labels: added where absent, never overriding the alert's own.
  for (const auto& [name, value] : options_.external_labels) a.labels.emplace(name, value);
  a.fingerprint = fingerprint(a.labels);
  a.value = condition.value;
  // Final text, taken verbatim: the rules already rendered the operator's templates, inserting
  // label values (queue names from table data) as plain text. Expanding again here would make
  // that data template source: a queue named "{{ $value }}" would be rewritten in the page.
  a.annotations = condition.annotations;
  a.for_duration = condition.for_duration;
  a.keep_firing_for = condition.keep_firing_for;
  return a;
}

std::vector<Transition> AlertBook::evaluate(Time now,
                                            const std::vector<rules::ActiveCondition>& active,
                                            const std::set<std::string>& undecided) {
  std::vector<Transition> out;
  auto transition = [&out, now](const Alert& a, AlertState from) {
    out.push_back(Transition{now, a.fingerprint, alertname_of(a), from, a.state, a.value});
  };

  std::set<std::string> seen;
  for (const rules::ActiveCondition& condition : active) {
    Alert fresh = make_snapshot(condition);
    // Two rules producing the same labels are one alert; the first verdict stands.
    if (!seen.insert(fresh.fingerprint).second) continue;
    auto it = alerts_.find(fresh.fingerprint);
    const bool ongoing = it != alerts_.end() && it->second.state != AlertState::inactive;
    if (!ongoing) {
      // New, or resolved and back: a new incident with its own active_at.
      fresh.state = AlertState::pending;
      fresh.active_at = now;
      fresh.last_active = now;
      const std::string key = fresh.fingerprint;
      it = alerts_.insert_or_assign(key, std::move(fresh)).first;
      Alert& a = it->second;
      if (now - a.active_at >= a.for_duration) {  // for: 0 fires in the same evaluation
        a.state = AlertState::firing;
        a.fired_at = now;
      }
      transition(a, AlertState::inactive);
      continue;
    }
    Alert& a = it->second;
    a.labels = std::move(fresh.labels);
    a.annotations = std::move(fresh.annotations);
    a.value = fresh.value;
    a.for_duration = fresh.for_duration;
    a.keep_firing_for = fresh.keep_firing_for;
    a.last_active = now;
    if (a.state == AlertState::pending && now - a.active_at >= a.for_duration) {
      a.state = AlertState::firing;
      a.fired_at = now;
      transition(a, AlertState::pending);
    }
  }

  for (auto it = alerts_.begin(); it != alerts_.end();) {
    Alert& a = it->second;
    if (seen.contains(it->first) ||
        (a.state != AlertState::inactive && undecided.contains(it->first))) {
      ++it;
      continue;
    }
    switch (a.state) {
      case AlertState::pending:
        a.state = AlertState::inactive;
        transition(a, AlertState::pending);
        it = alerts_.erase(it);
        continue;
      case AlertState::firing: {
        const Time last = a.last_active.value_or(a.active_at);
        if (now - last >= a.keep_firing_for) {
          a.state = AlertState::inactive;
          a.resolved_at = now;
          transition(a, AlertState::firing);
        }
        break;
      }
      case AlertState::inactive:
        // (An inactive alert without resolved_at can only come from a hand-edited state file.)
        if (!a.resolved_at || now - *a.resolved_at >= options_.resolved_retention) {
          it = alerts_.erase(it);
          continue;
        }
        break;
    }
    ++it;
  }
  return out;
}

std::vector<Alert> AlertBook::alerts() const {
  std::vector<Alert> out;
  out.reserve(alerts_.size());
  for (const auto& [fp, alert] : alerts_) out.push_back(alert);
  return out;
}

void AlertBook::restore(const std::vector<Alert>& alerts) {
  alerts_.clear();
  for (const Alert& a : alerts) alerts_.insert_or_assign(a.fingerprint, a);
}

}  // namespace qw::alerts
