#include "daemon/evaluation_clock.hpp"

namespace qw::daemon {

NextEvaluation next_evaluation(std::chrono::steady_clock::time_point due,
                               std::chrono::steady_clock::time_point now,
                               std::chrono::steady_clock::duration interval) {
  if (interval <= std::chrono::steady_clock::duration::zero()) return {now, 0};
  const auto next = due + interval;
  if (next >= now) return {next, 0};
  // Ticks next, next + interval, ... strictly before now were missed; one exactly at now is not.
  const auto late = now - next;
  const auto missed =
      static_cast<std::uint64_t>((late + interval - std::chrono::nanoseconds(1)) / interval);
  return {next + static_cast<std::int64_t>(missed) * interval, missed};
}

}  // namespace qw::daemon
