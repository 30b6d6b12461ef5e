#include "probes/postgres_health/capacity_settings.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

namespace qw::probes::health {

namespace {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty()) return std::nullopt;
  return v;
}

// Bytes per unit of pg_settings' memory units (guc.c's memory_unit_conversion_table: B, kB,
// MB, GB, TB; a block unit is printed with its size, "8kB", "16MB").
std::optional<std::int64_t> bytes_per(std::string_view unit) {
  std::size_t digits = 0;
  while (digits < unit.size() && unit[digits] >= '0' && unit[digits] <= '9') ++digits;
  std::int64_t multiple = 1;
  if (digits > 0) {
    const auto m = parse_int(unit.substr(0, digits));
    if (!m || *m <= 0) return std::nullopt;
    multiple = *m;
  }
  const std::string_view base = unit.substr(digits);
  std::int64_t size = 0;
  if (base == "B") {
    size = 1;
  } else if (base == "kB") {
    size = std::int64_t{1} << 10;
  } else if (base == "MB") {
    size = std::int64_t{1} << 20;
  } else if (base == "GB") {
    size = std::int64_t{1} << 30;
  } else if (base == "TB") {
    size = std::int64_t{1} << 40;
  } else {
    return std::nullopt;  // ms, s, min: not a capacity we compare
  }
  if (multiple > std::numeric_limits<std::int64_t>::max() / size) return std::nullopt;
  return multiple * size;
}

}  // namespace

std::optional<ServerSetting> normalise_setting(std::string_view name, std::string_view setting,
                                               std::string_view unit) {
  const auto value = parse_int(setting);
  if (!value || *value < 0) return std::nullopt;
  ServerSetting out;
  out.name = std::string(name);
  if (unit.empty()) {
    out.value = *value;
    return out;
  }
  const auto per = bytes_per(unit);
  if (!per || (*value > 0 && *value > std::numeric_limits<std::int64_t>::max() / *per))
    return std::nullopt;
  out.value = *value * *per;
  out.bytes = true;
  return out;
}

std::vector<ServerSetting> parse_settings(std::string_view aggregated) {
  std::vector<ServerSetting> out;
  while (!aggregated.empty()) {
    const auto comma = aggregated.find(',');
    std::string_view row = aggregated.substr(0, comma);
    aggregated =
        comma == std::string_view::npos ? std::string_view() : aggregated.substr(comma + 1);
    const auto sp1 = row.find(' ');
    if (sp1 == std::string_view::npos) continue;
    const auto sp2 = row.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) continue;
    if (auto s = normalise_setting(row.substr(0, sp1), row.substr(sp1 + 1, sp2 - sp1 - 1),
                                   row.substr(sp2 + 1)))
      out.push_back(std::move(*s));
  }
  return out;
}

std::string format_setting(const ServerSetting& s) {
  if (!s.bytes) return fmt::format("{}", s.value);
  static constexpr std::pair<const char*, int> kUnits[] = {
      {"TB", 40}, {"GB", 30}, {"MB", 20}, {"kB", 10}};
  for (const auto& [name, shift] : kUnits) {
    const std::int64_t size = std::int64_t{1} << shift;
    if (s.value >= size && s.value % size == 0) return fmt::format("{} {}", s.value / size, name);
  }
  return fmt::format("{} B", s.value);
}

}  // namespace qw::probes::health
