#include "alerts/notifiers/slack/slack_encoder.hpp"

#include "alerts/notifiers/payload_common.hpp"

namespace qw::alerts::notifiers {

std::string slack_text(const Notification& n) {
  std::string text = is_resolved(n) ? "[RESOLVED] " : "[FIRING] ";
  text += label_or_empty(n, "alertname") + ": " + summary_of(n);
  std::string key_labels;
  for (const char* name : {"target", "queue", "severity"}) {
    const std::string value = label_or_empty(n, name);
    if (value.empty()) continue;
    if (!key_labels.empty()) key_labels += ' ';
    key_labels += std::string(name) + "=" + value;
  }
  if (!key_labels.empty()) text += "\n" + key_labels;
  if (const auto it = n.annotations.find("runbook_url"); it != n.annotations.end()) {
    text += "\nRunbook: " + it->second;
  }
  return text;
}

boost::json::value encode_slack(const Notification& n, const EncodeContext&) {
  return boost::json::object{{"text", slack_text(n)}};
}

}  // namespace qw::alerts::notifiers
