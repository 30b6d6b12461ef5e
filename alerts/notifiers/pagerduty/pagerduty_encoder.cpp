#include "alerts/notifiers/pagerduty/pagerduty_encoder.hpp"

#include "alerts/notifiers/payload_common.hpp"

namespace qw::alerts::notifiers {

std::string pagerduty_severity(const std::string& severity_label) {
  if (severity_label == "critical" || severity_label == "error" || severity_label == "warning" ||
      severity_label == "info") {
    return severity_label;
  }
  return "error";
}

boost::json::value encode_pagerduty(const Notification& n, const EncodeContext& ctx,
                                    const std::string& routing_key) {
  boost::json::object event;
  event["routing_key"] = routing_key;
  event["dedup_key"] = n.fingerprint;
  if (is_resolved(n)) {
    // A resolve needs nothing else: PagerDuty finds the incident by dedup_key.
    event["event_action"] = "resolve";
    return event;
  }
  event["event_action"] = "trigger";

  std::string summary = summary_of(n);
  if (summary.size() > kPagerDutyMaxSummary) {
    summary.resize(kPagerDutyMaxSummary - 3);
    summary += "...";
  }
  const std::string target = label_or_empty(n, "target");
  const std::string queue = label_or_empty(n, "queue");

  boost::json::object details;
  details["labels"] = to_json_object(n.labels);
  details["annotations"] = to_json_object(n.annotations);
  details["value"] = n.value;
  details["fingerprint"] = n.fingerprint;

  boost::json::object payload;
  payload["summary"] = summary;
  payload["source"] = target.empty() ? std::string("queuewatch") : target;
  payload["severity"] = pagerduty_severity(label_or_empty(n, "severity"));
  payload["timestamp"] = rfc3339(n.starts_at);
  payload["component"] = queue.empty() ? target : queue;
  payload["group"] = target;
  payload["class"] = label_or_empty(n, "alertname");
  payload["custom_details"] = std::move(details);
  event["payload"] = std::move(payload);

  event["client"] = "queuewatch";
  if (!ctx.external_url.empty()) event["client_url"] = ctx.external_url;
  if (const auto it = n.annotations.find("runbook_url"); it != n.annotations.end()) {
    event["links"] =
        boost::json::array{boost::json::object{{"href", it->second}, {"text", "Runbook"}}};
  }
  return event;
}

}  // namespace qw::alerts::notifiers
