#pragma once
// The seasonal baseline: how many completions are normal for a queue at a given local hour.
// Robust (a median, so one odd week does not move it) and seasonal (the same hour of the week,
// local time). Fallbacks, in order: the same hour of the day while fewer than three weeks are
// known; the configured warm-up floor; none (no judgement).
#include <cstdint>
#include <optional>

#include "rules/history.hpp"
#include "rules/timezone.hpp"

namespace qw::rules {

enum class BaselineSource { weekly, daily, warmup };

struct BaselineRate {
  double per_second = 0;
  BaselineSource source = BaselineSource::weekly;
};

// An hour is evidence when at least half of it was measured and no throughput alert held in it.
inline constexpr std::uint16_t kMinMeasuredPerHour = 1800;
inline constexpr int kMinPhaseValues = 3;

std::optional<BaselineRate> baseline_rate(const HourRing& hours, std::int64_t local_hour,
                                          double warmup_floor_per_hour);

// A few recently asked hours; the engine clears it when the history's past changes.
struct BaselineCache {
  struct Entry {
    std::int64_t hour = INT64_MIN;
    double floor = 0;  // the warm-up floor it was computed with
    std::optional<BaselineRate> rate;
  };
  Entry entries[4];
  int next = 0;
  void clear() { *this = BaselineCache{}; }
};

struct Expected {
  double count = 0;
  bool complete = true;  // false: some hour had no baseline (counted as zero)
};

// Expected completions over (from_s, to_s], hour piece by hour piece.
Expected expected_between(const HourRing& hours, const Timezone& tz, std::int64_t from_s,
                          std::int64_t to_s, double warmup_floor_per_hour, BaselineCache& cache);

}  // namespace qw::rules
