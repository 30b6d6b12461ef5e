#pragma once
// Shared by the alert core tests: a fake clock (times are plain values) and conditions as the
// rules would produce them.
#include <chrono>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "config/alerting_config.hpp"
#include "rules/observation.hpp"

namespace qw::alerts::test {

using namespace std::chrono_literals;

// 2026-01-01T00:00:00Z plus an offset: readable times in failures.
inline Time at(std::chrono::milliseconds offset) {
  return Time{std::chrono::milliseconds{1767225600000}} + offset;
}

inline rules::ActiveCondition condition(const std::string& alertname, const std::string& target,
                                        const std::string& queue = "",
                                        std::chrono::milliseconds for_duration = 0ms,
                                        std::chrono::milliseconds keep_firing_for = 0ms) {
  rules::ActiveCondition c;
  c.alertname = alertname;
  c.severity = alertname == "database_unavailable" ? "critical" : "warning";
  c.labels["target"] = target;
  if (!queue.empty()) c.labels["queue"] = queue;
  c.annotations["summary"] = alertname + " on " + target;  // final text, as the rules give it
  c.value = 1;
  c.for_duration = for_duration;
  c.keep_firing_for = keep_firing_for;
  return c;
}

inline config::ReceiverConfig receiver(const std::string& name) {
  config::ReceiverConfig r;
  r.name = name;
  return r;
}

inline const Alert* find_alert(const std::vector<Alert>& alerts, const std::string& alertname,
                               const std::string& target) {
  for (const Alert& a : alerts) {
    if (a.labels.at("alertname") == alertname && a.labels.at("target") == target) return &a;
  }
  return nullptr;
}

}  // namespace qw::alerts::test
