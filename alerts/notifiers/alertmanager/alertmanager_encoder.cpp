#include "alerts/notifiers/alertmanager/alertmanager_encoder.hpp"

#include "alerts/notifiers/payload_common.hpp"

namespace qw::alerts::notifiers {

boost::json::value encode_alertmanager(const std::vector<Notification>& notifications,
                                       const EncodeContext& ctx) {
  boost::json::array alerts;
  for (const Notification& n : notifications) {
    boost::json::object alert;
    alert["labels"] = to_json_object(n.labels);
    alert["annotations"] = to_json_object(n.annotations);
    alert["startsAt"] = rfc3339(n.starts_at);
    const Time ends = is_resolved(n) ? n.ends_at.value_or(ctx.now)
                                     : ctx.now + kAlertmanagerEndsAtFactor * ctx.resend_interval;
    alert["endsAt"] = rfc3339(ends);
    alert["generatorURL"] = ctx.external_url;
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

}  // namespace qw::alerts::notifiers
