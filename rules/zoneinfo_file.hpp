#pragma once
// Reading a time zone from the system's zoneinfo database: the one place rules/ touches a file,
// kept apart so the rules themselves stay pure. Called by the daemon and backtest at load time.
#include <string>

#include "rules/timezone.hpp"

namespace qw::rules {

inline constexpr const char* kZoneinfoDir = "/usr/share/zoneinfo";

// "UTC" needs no file. Errors name the zone and the file.
TzifParse load_zoneinfo(const std::string& name, const std::string& dir = kZoneinfoDir);

}  // namespace qw::rules
