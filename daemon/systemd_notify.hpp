#pragma once
// The sd_notify protocol, for Type=notify units: tell systemd when we are ready, reloading or
// stopping, show a status line in `systemctl status`, and feed the watchdog. Every call is a
// no-op returning false when NOTIFY_SOCKET is unset (not under systemd, or a test).
#include <chrono>
#include <optional>
#include <string>

namespace qw::daemon::systemd {

bool ready();
// With MONOTONIC_USEC, which systemd >= 253 requires for Type=notify-reload.
bool reloading();
bool stopping();
bool status(const std::string& text);

// WatchdogSec= of the unit when the watchdog is on for this process; ping at about half of it.
std::optional<std::chrono::microseconds> watchdog_interval();
bool watchdog_ping();

}  // namespace qw::daemon::systemd
