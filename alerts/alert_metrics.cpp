#include "alerts/alert_metrics.hpp"

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace qw::alerts {
namespace {

constexpr const char* kStates[] = {"pending", "firing", "inhibited"};

std::string label_or_empty(const Labels& labels, const char* name) {
  const auto it = labels.find(name);
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

std::map<AlertCountKey, int> count_alerts(const std::vector<Alert>& alerts,
                                          const std::set<std::string>& inhibited) {
  std::map<AlertCountKey, int> out;
  for (const Alert& a : alerts) {
    std::string state;
    if (a.state == AlertState::pending) {
      state = "pending";
    } else if (a.state == AlertState::firing) {
      state = inhibited.contains(a.fingerprint) ? "inhibited" : "firing";
    } else {
      continue;  // resolved
    }
    ++out[AlertCountKey{label_or_empty(a.labels, "alertname"), label_or_empty(a.labels, "severity"),
                        std::move(state)}];
  }
  return out;
}

AlertMetrics::AlertMetrics(prometheus::Registry& registry)
    : family_(prometheus::BuildGauge()
                  .Name("queuewatch_alerts")
                  .Help("Alerts by name, severity and state (pending, firing, inhibited).")
                  .Register(registry)) {}

void AlertMetrics::declare(const std::string& alertname, const std::string& severity) {
  if (!known_.emplace(alertname, severity).second) return;
  for (const char* state : kStates) {
    family_.Add({{"alertname", alertname}, {"severity", severity}, {"state", state}}).Set(0);
  }
}

void AlertMetrics::update(const std::vector<Alert>& alerts,
                          const std::set<std::string>& inhibited) {
  const std::map<AlertCountKey, int> counts = count_alerts(alerts, inhibited);
  for (const auto& [key, n] : counts) declare(key.alertname, key.severity);
  for (const auto& [alertname, severity] : known_) {
    for (const char* state : kStates) {
      const auto it = counts.find(AlertCountKey{alertname, severity, state});
      family_.Add({{"alertname", alertname}, {"severity", severity}, {"state", state}})
          .Set(it == counts.end() ? 0 : it->second);
    }
  }
}

}  // namespace qw::alerts
