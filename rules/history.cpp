#include "rules/history.hpp"

namespace qw::rules {

WindowSums sum_minutes(const MinuteRing& ring, std::int64_t from_minute, std::int64_t to_minute) {
  WindowSums s;
  ring.for_range(from_minute, to_minute, [&s](const MinuteSlot& slot) {
    s.completed += slot.completed;
    s.failed += slot.failed;
    s.measured_s += slot.measured_s;
  });
  return s;
}

}  // namespace qw::rules
