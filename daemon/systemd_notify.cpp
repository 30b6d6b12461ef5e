#include "daemon/systemd_notify.hpp"

#include <cstdint>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace qw::daemon::systemd {

namespace {

bool notify(const std::string& message) {
  if (std::getenv("NOTIFY_SOCKET") == nullptr) return false;
  // unset_environment = 0: a reload or the watchdog needs NOTIFY_SOCKET again later.
  const int rc = sd_notify(0, message.c_str());
  if (rc < 0) {
    // Not fatal: the service still works, systemd just hears less (and may time us out).
    spdlog::warn("sd_notify(\"{}\") failed: errno {}", message, -rc);
    return false;
  }
  return rc > 0;
}

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1'000u;
}

}  // namespace

bool ready() {
  return notify("READY=1");
}

bool reloading() {
  return notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
}

bool stopping() {
  return notify("STOPPING=1");
}

bool status(const std::string& text) {
  // The protocol is line based: a newline would end the status and start a bogus assignment.
  std::string line = text;
  for (char& c : line)
    if (c == '\n') c = ' ';
  return notify("STATUS=" + line);
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

bool watchdog_ping() {
  return notify("WATCHDOG=1");
}

}  // namespace qw::daemon::systemd
