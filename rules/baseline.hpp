#pragma once
// The seasonal baseline: how many completions are normal for a queue at a given local hour.
// Robust (a median, so one odd week does not move it) and seasonal (the same hour of the week,
// local time). Fallbacks, in order: the same hour of the day while fewer than three weeks are
// known; the configured warm-up floor; none (no judgement).
#include <array>
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
  // The hours of the longest window a rule judges: 6 hours (throughput_collapse's max_window,
  // below_baseline's window at most) touch 7 local hours, and one more for a DST change. Fewer
  // entries than that, and a round robin evicts each hour just before it is asked for again:
  // the 6-hour collapse window measured 2.4x the evaluation cost with four.
  static constexpr int kEntries = 8;
  std::array<Entry, kEntries> entries{};
  int next = 0;
  // The hour pieces of the last span expected_until walked, oldest first: every window that
  // ends at the same second is a suffix of it, so the dozen windows of the shortfall rules'
  // ladders (both rules', with the same floor) walk the hours once per queue per evaluation.
  struct Piece {
    std::int64_t from = 0, to = 0;  // (from, to], seconds, within one local hour and one offset
    double per_second = 0;
    bool known = false;  // false: no baseline for this hour
  };
  struct Span {
    std::int64_t from = 0, to = INT64_MIN;
    double floor = 0;
    std::array<Piece, 10> pieces{};  // 6 h (the longest rule window) is 7 hours + 2 transitions
    std::size_t count = 0;
  };
  Span span;
  void clear() { *this = BaselineCache{}; }
};

// baseline_rate through the cache: the same answer, computed once per local hour and floor.
std::optional<BaselineRate> cached_rate(const HourRing& hours, std::int64_t local_hour,
                                        double floor, BaselineCache& cache);

struct Expected {
  double count = 0;
  bool complete = true;  // false: some hour had no baseline (counted as zero)
};

// Expected completions over (from_s, to_s], hour piece by hour piece.
Expected expected_between(const HourRing& hours, const Timezone& tz, std::int64_t from_s,
                          std::int64_t to_s, double warmup_floor_per_hour, BaselineCache& cache);
// expected_between(to_s - window_s, to_s), bit for bit, from the cache's pieces when they cover
// the window; otherwise the pieces of (to_s - max(window_s, span_s), to_s] are walked and kept,
// so the longest window a caller will ask for next is given as `span_s`.
Expected expected_until(const HourRing& hours, const Timezone& tz, std::int64_t to_s,
                        std::int64_t window_s, std::int64_t span_s, double warmup_floor_per_hour,
                        BaselineCache& cache);

}  // namespace qw::rules
