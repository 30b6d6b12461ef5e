#pragma once
// Pieces every receiver's payload shares: RFC 3339 times as Alertmanager writes them, labels as
// JSON objects, and the one-line summary a human reads first.
#include <map>
#include <string>

#include <boost/json/object.hpp>

#include "alerts/notification.hpp"

namespace qw::alerts::notifiers {

// Alertmanager's "zero" endsAt for a firing alert in webhook payloads (Go's time.Time{}).
inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

// "2026-01-01T00:00:00Z", or "2026-01-01T00:00:00.25Z" with milliseconds (Go's RFC3339Nano
// trims trailing zeros; receivers parse either).
std::string rfc3339(Time t);

boost::json::object to_json_object(const std::map<std::string, std::string>& map);

// annotations.summary when the rule set one, else "<alertname> on <target> [queue]".
std::string summary_of(const Notification& n);

// The label or "" (labels are optional past alertname).
std::string label_or_empty(const Notification& n, const std::string& name);

bool is_resolved(const Notification& n);

}  // namespace qw::alerts::notifiers
