#include "config/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace qw::config {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t millis;
};

// Largest first: parsing requires this order and formatting emits it.
constexpr std::array<Unit, 5> kUnits{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Index into kUnits of the unit spelled at the front of `rest`, consuming it; -1 if none.
int take_unit(std::string_view& rest) {
  // "ms" must win over "m": try the longer spelling first.
  if (rest.starts_with("ms")) {
    rest.remove_prefix(2);
    return 4;
  }
  for (int i = 0; i < 4; ++i) {
    if (rest.starts_with(kUnits[static_cast<std::size_t>(i)].suffix)) {
      rest.remove_prefix(1);
      return i;
    }
  }
  return -1;
}

}  // namespace

DurationParse parse_duration_checked(std::string_view text) {
  if (text == "0") return {Duration{0}};
  if (text.empty()) return {};

  constexpr std::int64_t kMax = kMaxParsedDuration.count();
  std::int64_t total = 0;
  bool too_large = false;  // keep checking the syntax: a malformed value is reported as such
  int last_unit = -1;      // units must strictly decrease, so each appears at most once
  std::string_view rest = text;
  while (!rest.empty()) {
    if (!is_digit(rest.front())) return {};
    std::int64_t number = 0;
    while (!rest.empty() && is_digit(rest.front())) {
      const int digit = rest.front() - '0';
      if (number > (kMax - digit) / 10) {
        too_large = true;
      } else {
        number = number * 10 + digit;
      }
      rest.remove_prefix(1);
    }
    const int unit = take_unit(rest);
    if (unit < 0 || unit <= last_unit) return {};
    last_unit = unit;
    const std::int64_t scale = kUnits[static_cast<std::size_t>(unit)].millis;
    if (too_large || number > (kMax - total) / scale) {
      too_large = true;
    } else {
      total += number * scale;
    }
  }
  if (too_large) return {std::nullopt, true};
  return {Duration{total}};
}

std::optional<Duration> parse_duration(std::string_view text) {
  return parse_duration_checked(text).value;
}

std::string format_duration(Duration d) {
  std::int64_t left = d.count();
  if (left == 0) return "0s";
  std::string out;
  if (left < 0) {
    out += '-';
    // Negate per unit below rather than here, so the most negative value cannot overflow.
  }
  for (const Unit& unit : kUnits) {
    const std::int64_t count = left / unit.millis;  // same sign as `left`
    if (count == 0) continue;
    out += std::to_string(count < 0 ? -count : count);
    out += unit.suffix;
    left -= count * unit.millis;
  }
  return out;
}

}  // namespace qw::config
