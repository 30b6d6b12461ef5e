#pragma once
// Durations as operators write them in Prometheus and Go configs: "500ms", "15s", "2m", "1h",
// "1d", and combinations in decreasing unit order such as "1m30s". A bare number other than "0"
// is rejected on purpose: "10" could mean seconds or milliseconds, and guessing wrong pages
// someone at night or hammers a production database.
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace qw::config {

// nullopt for anything malformed: empty, negative, fractional, unknown or repeated unit, units out
// of order ("30s1m"), or a value that overflows milliseconds.
std::optional<Duration> parse_duration(std::string_view text);

// The shortest form parse_duration reads back to the same value: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(Duration d);

}  // namespace qw::config
