#include "alerts/notifiers/payload_common.hpp"

#include <ctime>

#include <fmt/format.h>

namespace qw::alerts::notifiers {

std::string rfc3339(Time t) {
  const auto ms = t.time_since_epoch().count();
  const auto seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const auto millis = static_cast<int>(ms - static_cast<long long>(seconds) * 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (millis != 0) {
    std::string fraction = fmt::format("{:03}", millis);
    while (fraction.back() == '0') fraction.pop_back();
    out += "." + fraction;
  }
  return out + "Z";
}

boost::json::object to_json_object(const std::map<std::string, std::string>& map) {
  boost::json::object out;
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

std::string label_or_empty(const Notification& n, const std::string& name) {
  const auto it = n.labels.find(name);
  return it == n.labels.end() ? std::string{} : it->second;
}

std::string summary_of(const Notification& n) {
  if (const auto it = n.annotations.find("summary");
      it != n.annotations.end() && !it->second.empty())
    return it->second;
  std::string text = label_or_empty(n, "alertname");
  if (const auto target = label_or_empty(n, "target"); !target.empty()) text += " on " + target;
  if (const auto queue = label_or_empty(n, "queue"); !queue.empty()) text += " queue " + queue;
  return text;
}

bool is_resolved(const Notification& n) {
  return n.kind == NotificationKind::resolved;
}

}  // namespace qw::alerts::notifiers
