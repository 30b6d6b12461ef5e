#include "alerts/notifiers/webhook/webhook_encoder.hpp"

#include "alerts/notifiers/payload_common.hpp"

namespace qw::alerts::notifiers {

boost::json::value encode_webhook(const Notification& n, const EncodeContext& ctx) {
  const char* status = is_resolved(n) ? "resolved" : "firing";
  boost::json::object alert;
  alert["status"] = status;
  alert["labels"] = to_json_object(n.labels);
  alert["annotations"] = to_json_object(n.annotations);
  alert["startsAt"] = rfc3339(n.starts_at);
  alert["endsAt"] = is_resolved(n) && n.ends_at ? rfc3339(*n.ends_at) : std::string(kZeroTime);
  alert["generatorURL"] = ctx.external_url;
  alert["fingerprint"] = n.fingerprint;

  boost::json::object group_labels;
  group_labels["alertname"] = label_or_empty(n, "alertname");

  boost::json::object message;
  message["version"] = "4";
  message["groupKey"] = "{}:{fingerprint=\"" + n.fingerprint + "\"}";
  message["truncatedAlerts"] = 0;
  message["status"] = status;
  message["receiver"] = ctx.receiver;
  message["groupLabels"] = std::move(group_labels);
  message["commonLabels"] = to_json_object(n.labels);
  message["commonAnnotations"] = to_json_object(n.annotations);
  message["externalURL"] = ctx.external_url;
  message["alerts"] = boost::json::array{std::move(alert)};
  return message;
}

}  // namespace qw::alerts::notifiers
