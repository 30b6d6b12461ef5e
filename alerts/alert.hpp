#pragma once
// An alert and its lifecycle state, as in Prometheus' rules/alerting.go: one explicit state
// enum, and every transition computed from an injected time. An alert's identity is the
// fingerprint of its labels.
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "rules/observation.hpp"

namespace qw::alerts {

using Time = rules::Time;
using Labels = rules::Labels;
using Annotations = std::map<std::string, std::string>;

enum class AlertState {
  inactive,  // condition not active (or resolved and kept only until notified)
  pending,   // condition active, `for` not yet elapsed
  firing,    // condition active for at least `for` (or within keep_firing_for after clearing)
};

struct Alert {
  std::string fingerprint;  // stable hex hash of the sorted labels: the dedup key everywhere
  Labels labels;
  Annotations annotations;
  AlertState state = AlertState::inactive;
  double value = 0;
  Time active_at{};                 // when the condition became active (pending started)
  std::optional<Time> fired_at;     // when it became firing
  std::optional<Time> resolved_at;  // when it stopped firing
  std::optional<Time> last_active;  // last evaluation with the condition active (keep_firing_for)
  // The rule's timing as of the last active evaluation: kept with the alert because a firing
  // alert whose condition has cleared still needs its keep_firing_for, and a restart needs both.
  std::chrono::milliseconds for_duration{0};
  std::chrono::milliseconds keep_firing_for{0};
};

// Words for logs, metrics and the state file ("inactive", "pending", "firing").
const char* to_string(AlertState state);

// What one evaluation changed, for logs, metrics, backtest output and notifications.
struct Transition {
  Time at;
  std::string fingerprint;
  std::string alertname;
  AlertState from;
  AlertState to;  // inactive after firing = resolved
  double value;
};

}  // namespace qw::alerts
