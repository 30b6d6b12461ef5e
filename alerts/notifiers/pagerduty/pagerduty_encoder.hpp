#pragma once
// PagerDuty Events API v2 (https://events.pagerduty.com/v2/enqueue). dedup_key is the alert's
// fingerprint: a re-sent trigger (retries, repeats, at-least-once after a crash) lands on the
// same incident instead of opening a new one, and the resolve closes exactly that incident.
//
// Severity: the alert's `severity` label when PagerDuty knows it (critical, error, warning,
// info), else "error" — loud enough to be seen, without claiming to be critical.
#include <string>

#include <boost/json/value.hpp>

#include "alerts/notification.hpp"
#include "alerts/notifiers/encode_context.hpp"

namespace qw::alerts::notifiers {

inline constexpr std::size_t kPagerDutyMaxSummary = 1024;  // longer summaries are rejected (400)

std::string pagerduty_severity(const std::string& severity_label);

boost::json::value encode_pagerduty(const Notification& n, const EncodeContext& ctx,
                                    const std::string& routing_key);

}  // namespace qw::alerts::notifiers
