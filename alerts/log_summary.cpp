#include "alerts/log_summary.hpp"

#include <spdlog/spdlog.h>

namespace qw::alerts {

void LogSummary::note(const std::string& kind, const std::string& message) {
  std::lock_guard lock(mutex_);
  Kind& k = kinds_[kind];
  const auto now = Clock::now();
  k.last_message = message;
  ++k.suppressed;
  if (!k.last_line || now - *k.last_line >= interval_) write(k, now);
}

void LogSummary::flush(bool all) {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  for (auto& [kind, k] : kinds_) {
    if (k.suppressed == 0) continue;
    if (all || !k.last_line || now - *k.last_line >= interval_) write(k, now);
  }
}

std::size_t LogSummary::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

void LogSummary::write(Kind& k, Clock::time_point now) {
  if (k.suppressed == 1) {
    spdlog::log(level_, "{}", k.last_message);
  } else {
    spdlog::log(level_, "{} ({} such events since the last line about this, {} s ago)",
                k.last_message, k.suppressed,
                k.last_line
                    ? std::chrono::duration_cast<std::chrono::seconds>(now - *k.last_line).count()
                    : 0);
  }
  ++lines_;
  k.suppressed = 0;
  k.last_line = now;
}

}  // namespace qw::alerts
