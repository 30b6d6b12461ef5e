#include "rules/condition.hpp"

#include <fmt/format.h>

#include <cmath>

namespace qw::rules {

const char* severity_name(config::Severity s) {
  switch (s) {
    case config::Severity::info:
      return "info";
    case config::Severity::warning:
      return "warning";
    case config::Severity::critical:
      return "critical";
  }
  return "warning";
}

std::string format_number(double value) {
  if (std::abs(value - std::round(value)) < 1e-9 && std::abs(value) < 1e15) {
    return fmt::format("{}", static_cast<long long>(std::llround(value)));
  }
  return fmt::format("{:.3g}", value);
}

std::string format_seconds(double seconds) {
  const long long s = std::llround(std::max(0.0, seconds));
  if (s < 120) return fmt::format("{}s", s);
  // Seconds while they still matter next to a minutes-long limit ("waited 2m5s (limit 2m)").
  if (s < 600)
    return s % 60 == 0 ? fmt::format("{}m", s / 60) : fmt::format("{}m{}s", s / 60, s % 60);
  if (s < 7200) return fmt::format("{}m", s / 60);
  const long long m = (s / 60) % 60;
  return m == 0 ? fmt::format("{}h", s / 3600) : fmt::format("{}h{}m", s / 3600, m);
}

std::string render_template(const std::string& text, const Labels& labels, double value) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find("{{", pos);
    const std::size_t close = open == std::string::npos ? open : text.find("}}", open);
    if (close == std::string::npos) {
      out += text.substr(pos);
      return out;
    }
    out += text.substr(pos, open - pos);
    std::string inner = text.substr(open + 2, close - open - 2);
    const auto first = inner.find_first_not_of(' ');
    const auto last = inner.find_last_not_of(' ');
    inner = first == std::string::npos ? "" : inner.substr(first, last - first + 1);
    if (inner == "$value") {
      out += format_number(value);
    } else if (inner.starts_with("$labels.")) {
      const auto it = labels.find(inner.substr(8));
      if (it != labels.end()) out += it->second;
    }
    pos = close + 2;
  }
}

ActiveCondition make_condition(const std::string& alertname, const config::RuleCommon& rule,
                               Labels base, double value, ConditionText text) {
  ActiveCondition c;
  c.alertname = alertname;
  c.severity = severity_name(rule.severity);
  c.labels = std::move(base);
  for (const auto& [k, v] : rule.labels) c.labels.emplace(k, v);  // never over built-ins
  c.labels["alertname"] = alertname;
  c.labels["severity"] = c.severity;
  c.value = value;
  c.for_duration = rule.for_duration;
  c.keep_firing_for = rule.keep_firing_for;
  c.annotations = std::move(text.extra);
  c.annotations["summary"] = rule.summary.empty() ? std::move(text.summary)
                                                  : render_template(rule.summary, c.labels, value);
  c.annotations["description"] = rule.description.empty()
                                     ? std::move(text.description)
                                     : render_template(rule.description, c.labels, value);
  if (!rule.runbook_url.empty()) {
    c.annotations["runbook_url"] = render_template(rule.runbook_url, c.labels, value);
  }
  return c;
}

}  // namespace qw::rules
