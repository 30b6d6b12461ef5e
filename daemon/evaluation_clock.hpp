#pragma once
// When rule evaluation runs next. Evaluations keep to a fixed grid (start + k * interval) rather
// than "interval after the last one ended", so a slow evaluation does not shift every later one;
// ticks whose time passed while the previous evaluation (or a stopped process) held the loop are
// skipped and counted, as Prometheus counts a rule group's missed iterations.
#include <chrono>
#include <cstdint>

namespace qw::daemon {

struct NextEvaluation {
  std::chrono::steady_clock::time_point at;  // the first grid tick not before `now`
  std::uint64_t missed = 0;                  // grid ticks before it that passed unevaluated
};

// `due`: the tick just evaluated. Pure, for the unit test.
NextEvaluation next_evaluation(std::chrono::steady_clock::time_point due,
                               std::chrono::steady_clock::time_point now,
                               std::chrono::steady_clock::duration interval);

}  // namespace qw::daemon
