#include "alerts/router.hpp"

#include <algorithm>

namespace qw::alerts {

Router::Router(const config::AlertingConfig& config)
    : default_receiver_(config.default_receiver), default_repeat_interval_(config.repeat_interval) {
  for (const config::Route& r : config.routes) {
    routes_.push_back(CompiledRoute{compile_matchers(r.matchers), r.receiver, r.continue_matching,
                                    r.repeat_interval.value_or(config.repeat_interval)});
  }
  for (const config::ReceiverConfig& r : config.receivers) receivers_.insert(r.name);
}

std::vector<RouteMatch> Router::route(const Labels& labels) const {
  std::vector<RouteMatch> out;
  auto add = [&out](const std::string& receiver, std::chrono::milliseconds interval) {
    const bool seen = std::any_of(out.begin(), out.end(),
                                  [&](const RouteMatch& m) { return m.receiver == receiver; });
    if (!seen) out.push_back(RouteMatch{receiver, interval});
  };
  bool matched = false;
  for (const CompiledRoute& r : routes_) {
    if (!match_all(r.matchers, labels)) continue;
    matched = true;
    add(r.receiver, r.repeat_interval);
    if (!r.continue_matching) break;
  }
  if (!matched && !default_receiver_.empty()) add(default_receiver_, default_repeat_interval_);
  return out;
}

}  // namespace qw::alerts
