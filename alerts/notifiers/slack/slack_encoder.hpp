#pragma once
// Slack incoming webhook: {"text": "..."}, one readable message per notification:
//
//   [FIRING] no_throughput: Queue mailers on prod-db has not finished a job in 10m
//   target=prod-db queue=mailers severity=warning
//   Runbook: https://runbooks.example/no_throughput
//
// Key labels only (target, queue, severity): Slack is read on phones.
#include <boost/json/value.hpp>

#include "alerts/notification.hpp"
#include "alerts/notifiers/encode_context.hpp"

namespace qw::alerts::notifiers {

std::string slack_text(const Notification& n);
boost::json::value encode_slack(const Notification& n, const EncodeContext& ctx);

}  // namespace qw::alerts::notifiers
