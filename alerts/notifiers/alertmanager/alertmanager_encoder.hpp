#pragma once
// Alertmanager's POST /api/v2/alerts body: an array of postable alerts. As Prometheus does,
// a firing alert carries endsAt = now + 4 × resend_interval and is re-posted every
// resend_interval: if queuewatch dies, Alertmanager resolves it by itself after that horizon
// instead of keeping a stale page open forever. A resolved alert carries its resolve time.
#include <vector>

#include <boost/json/value.hpp>

#include "alerts/notification.hpp"
#include "alerts/notifiers/encode_context.hpp"

namespace qw::alerts::notifiers {

inline constexpr int kAlertmanagerEndsAtFactor = 4;  // Prometheus' rules.Manager resendDelay × 4

boost::json::value encode_alertmanager(const std::vector<Notification>& notifications,
                                       const EncodeContext& ctx);

}  // namespace qw::alerts::notifiers
