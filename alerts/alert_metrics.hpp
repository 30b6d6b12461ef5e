#pragma once
// queuewatch_alerts{alertname,severity,state}: how many alerts are in each state now. `state` is
// pending, firing or inhibited; an inhibited alert is firing but held back by an inhibit rule
// (Alertmanager says "suppressed"), and counts only as inhibited, so firing + inhibited is every
// firing alert and sum(queuewatch_alerts{state="firing"}) is what someone was paged about.
// Resolved alerts are not counted.
//
// Every (alertname, severity) ever seen or declared keeps all three series, at 0 when empty:
// a series that vanishes breaks `rate()`, `absent()` and dashboards that expect it.
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "alerts/alert.hpp"

namespace prometheus {
class Registry;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace qw::alerts {

struct AlertCountKey {
  std::string alertname;
  std::string severity;
  std::string state;  // "pending" | "firing" | "inhibited"
  auto operator<=>(const AlertCountKey&) const = default;
};

// Pure counting, for tests and for any exporter.
std::map<AlertCountKey, int> count_alerts(const std::vector<Alert>& alerts,
                                          const std::set<std::string>& inhibited);

class AlertMetrics {
 public:
  explicit AlertMetrics(prometheus::Registry& registry);

  // Makes the three series of this pair exist before any alert (e.g. every rule at start-up).
  void declare(const std::string& alertname, const std::string& severity);
  void update(const std::vector<Alert>& alerts, const std::set<std::string>& inhibited);

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  std::set<std::pair<std::string, std::string>> known_;  // (alertname, severity)
};

}  // namespace qw::alerts
