#include "alerts/notifiers/log/log_encoder.hpp"

#include <fmt/format.h>

#include "alerts/notifiers/payload_common.hpp"

namespace qw::alerts::notifiers {

std::string log_line(const Notification& n, const std::string& receiver) {
  const char* what = n.kind == NotificationKind::resolved ? "resolved"
                     : n.kind == NotificationKind::repeat ? "still firing"
                                                          : "firing";
  std::string line = fmt::format("alert {}: {} receiver={} fingerprint={}", what,
                                 label_or_empty(n, "alertname"), receiver, n.fingerprint);
  for (const auto& [name, value] : n.labels) {
    if (name != "alertname") line += fmt::format(" {}={:?}", name, value);
  }
  line += fmt::format(" value={} summary={:?}", n.value, summary_of(n));
  return line;
}

}  // namespace qw::alerts::notifiers
