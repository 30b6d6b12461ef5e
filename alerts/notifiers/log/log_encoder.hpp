#pragma once
// The `log` receiver: one line per notification in the daemon's log (INFO while firing, and
// for resolves too; never a secret: notifications carry none). Useful as a first receiver and
// as an audit trail next to real ones.
#include <string>

#include "alerts/notification.hpp"

namespace qw::alerts::notifiers {

// `alert firing: no_throughput fingerprint=ab12 target=prod-db queue=mailers value=0 summary="..."`
std::string log_line(const Notification& n, const std::string& receiver);

}  // namespace qw::alerts::notifiers
