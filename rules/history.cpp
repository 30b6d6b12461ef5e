#include "rules/history.hpp"

namespace qw::rules {

WindowSums sum_minutes(const MinuteRing& ring, std::int64_t from_minute, std::int64_t to_minute) {
  WindowSums s;
  for (std::int64_t m = from_minute + 1; m <= to_minute; ++m) {
    if (const MinuteSlot* slot = ring.read(m)) {
      s.completed += slot->completed;
      s.failed += slot->failed;
      s.measured_s += slot->measured_s;
    }
  }
  return s;
}

}  // namespace qw::rules
