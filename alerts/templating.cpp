#include "alerts/templating.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <optional>

namespace qw::alerts {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The expansion of one placeholder's inside, or nullopt when it is not one we know.
std::optional<std::string> expand_one(std::string_view expr, const TemplateData& data) {
  expr = trim(expr);
  std::string_view filter;
  if (const std::size_t bar = expr.find('|'); bar != std::string_view::npos) {
    filter = trim(expr.substr(bar + 1));
    expr = trim(expr.substr(0, bar));
  }
  if (expr == "$value") {
    if (filter.empty()) return format_value(data.value);
    if (filter == "humanizeDuration") return humanize_duration(data.value);
    return std::nullopt;
  }
  if (!filter.empty()) return std::nullopt;
  if (expr == "$externalURL") return std::string(data.external_url);
  constexpr std::string_view kLabels = "$labels.";
  if (expr.starts_with(kLabels)) {
    const std::string name(expr.substr(kLabels.size()));
    if (name.empty()) return std::nullopt;
    const auto it = data.labels.find(name);
    return it == data.labels.end() ? std::string() : it->second;
  }
  return std::nullopt;
}

}  // namespace

std::string expand_template(std::string_view text, const TemplateData& data) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;  // unterminated: the rest stays as written
    out.append(text.substr(pos, open - pos));
    if (std::optional<std::string> value =
            expand_one(text.substr(open + 2, close - open - 2), data)) {
      out += *value;
    } else {
      out.append(text.substr(open, close + 2 - open));
    }
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

Annotations expand_annotations(const Annotations& templates, const TemplateData& data) {
  Annotations out;
  for (const auto& [name, text] : templates) out.emplace(name, expand_template(text, data));
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Integral values print as integers; 2^53 bounds where doubles still hold every integer.
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    return fmt::format("{}", static_cast<std::int64_t>(value));
  }
  std::string s = fmt::format("{:.3f}", value);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string humanize_duration(double seconds) {
  if (std::isnan(seconds) || std::isinf(seconds)) return format_value(seconds);
  std::string sign;
  if (seconds < 0) {
    sign = "-";
    seconds = -seconds;
  }
  if (seconds < 1) {
    if (seconds == 0) return "0s";
    return fmt::format("{}{}ms", sign, format_value(seconds * 1000));
  }
  // Whole seconds are what a human reads in a page; the fraction only matters under a second.
  auto total = static_cast<std::int64_t>(std::floor(seconds));
  const std::int64_t days = total / 86400;
  const std::int64_t hours = total / 3600 % 24;
  const std::int64_t minutes = total / 60 % 60;
  const std::int64_t secs = total % 60;
  std::string out;
  auto part = [&out](std::int64_t n, const char* unit) {
    if (n == 0) return;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}{}", n, unit);
  };
  part(days, "d");
  part(hours, "h");
  part(minutes, "m");
  part(secs, "s");
  return sign + out;
}

}  // namespace qw::alerts
