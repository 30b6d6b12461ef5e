#pragma once
// Rate-limited logging for events that can come in floods (a full disk fails every write, a
// receiver down for a day overflows the outbox): the first event of a kind is logged at once,
// later ones within `interval` are only counted, and the count is logged as one summary line
// with the last event's text, by the next event after the interval or by flush().
//
// A summary that waited for a next event would never report the last burst of a flood, so the
// owner calls flush() on a timer (due summaries only) and at stop (all of them).
// Thread-safe.
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <spdlog/common.h>

namespace qw::alerts {

class LogSummary {
 public:
  using Clock = std::chrono::steady_clock;

  LogSummary(spdlog::level::level_enum level, std::chrono::milliseconds interval)
      : level_(level), interval_(interval) {}

  // `kind` groups events that summarise together (a file, a receiver); `message` is one event.
  void note(const std::string& kind, const std::string& message);
  // Logs the summaries whose interval has passed (`all`: every pending one, e.g. at stop).
  void flush(bool all = false);
  // Lines actually written so far (tests check the rate limit).
  std::size_t lines() const;

 private:
  struct Kind {
    std::optional<Clock::time_point> last_line;
    std::size_t suppressed = 0;
    std::string last_message;
  };
  void write(Kind& k, Clock::time_point now);  // under mutex_

  const spdlog::level::level_enum level_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::map<std::string, Kind> kinds_;
  std::size_t lines_ = 0;
};

}  // namespace qw::alerts
