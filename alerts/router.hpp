#pragma once
// Which receivers hear about an alert: Alertmanager's routing, flattened to one level. Routes
// are tried in order; the first that matches wins, unless it has `continue: true`, in which case
// matching goes on to the next ones. When no route matched, default_receiver gets the alert.
// A receiver named by several matching routes is notified once (the first route's interval).
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/matcher.hpp"
#include "config/alerting_config.hpp"

namespace qw::alerts {

struct RouteMatch {
  std::string receiver;
  std::chrono::milliseconds repeat_interval;  // reminders while firing, for this receiver
};

class Router {
 public:
  Router() = default;
  explicit Router(const config::AlertingConfig& config);

  std::vector<RouteMatch> route(const Labels& labels) const;
  // A receiver the current config still defines; bookkeeping for others is dropped on reload.
  bool has_receiver(const std::string& name) const { return receivers_.contains(name); }

 private:
  struct CompiledRoute {
    std::vector<Matcher> matchers;
    std::string receiver;
    bool continue_matching = false;
    std::chrono::milliseconds repeat_interval{0};
  };
  std::vector<CompiledRoute> routes_;
  std::string default_receiver_;
  std::chrono::milliseconds default_repeat_interval_{0};
  std::set<std::string> receivers_;
};

}  // namespace qw::alerts
