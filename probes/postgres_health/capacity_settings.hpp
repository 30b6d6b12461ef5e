#pragma once
// The server settings that define a target's capacity (replica_parity compares a standby's with
// its primary's): read from pg_settings in the health round, normalised to base units so that
// "128MB" and "131072kB" are one value, and printed back the way an operator writes them.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/samples.hpp"

namespace qw::probes::health {

// One pg_settings row (setting, unit) in base units: a memory unit ("8kB", "kB", "MB", ...)
// gives bytes, no unit a count. None for what cannot be compared by value: a non-integer
// setting, a time unit, an unknown unit, an overflow.
std::optional<ServerSetting> normalise_setting(std::string_view name, std::string_view setting,
                                               std::string_view unit);

// The health query's aggregate, "name setting unit" rows joined by ',' (unit may be empty),
// normalised; rows that do not normalise are left out (not known is not "differs").
std::vector<ServerSetting> parse_settings(std::string_view aggregated);

// "32 MB", "8 kB", "1536 kB", "100": the largest unit that divides the value exactly, so that
// two values print the same exactly when they are equal (replica_parity compares the words).
std::string format_setting(const ServerSetting& s);

}  // namespace qw::probes::health
