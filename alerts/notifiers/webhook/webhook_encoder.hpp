#pragma once
// Alertmanager's webhook payload, version 4, so receivers written for Alertmanager (PagerDuty
// bridges, chat bots, ticketing glue) work unchanged. One alert per message: queuewatch does not
// group, so groupLabels names the alert and groupKey is unique per alert (receivers dedupe on it
// or on alerts[].fingerprint).
#include <boost/json/value.hpp>

#include "alerts/notification.hpp"
#include "alerts/notifiers/encode_context.hpp"

namespace qw::alerts::notifiers {

boost::json::value encode_webhook(const Notification& n, const EncodeContext& ctx);

}  // namespace qw::alerts::notifiers
