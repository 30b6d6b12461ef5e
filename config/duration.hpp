#pragma once
// Durations as operators write them in Prometheus and Go configs: "500ms", "15s", "2m", "1h",
// "1d", and combinations in decreasing unit order such as "1m30s". A bare number other than "0"
// is rejected on purpose: "10" could mean seconds or milliseconds, and guessing wrong pages
// someone at night or hammers a production database.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace qw::config {

// The longest duration parse_duration accepts: what still fits in nanoseconds (about 106 751
// days). Timers run on asio's nanosecond clocks, and a longer value would overflow there and fire
// at once, in a loop. Every key has a far lower bound of its own (config/bounds.hpp).
inline constexpr Duration kMaxParsedDuration =
    std::chrono::duration_cast<Duration>(std::chrono::nanoseconds::max());

struct DurationParse {
  std::optional<Duration> value;
  bool too_large = false;  // well-formed, but above kMaxParsedDuration
};

// value is nullopt for anything malformed: empty, negative, fractional, unknown or repeated
// unit, units out of order ("30s1m"), or a value above kMaxParsedDuration (then too_large).
DurationParse parse_duration_checked(std::string_view text);
// The same, without saying why.
std::optional<Duration> parse_duration(std::string_view text);

// The shortest form parse_duration reads back to the same value: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(Duration d);

}  // namespace qw::config
