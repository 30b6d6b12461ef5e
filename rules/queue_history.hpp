#pragma once
// Records probe rounds into one queue's minute and hour rings, and answers the questions the
// rules ask of the past: sums over a window, and how bursty the queue is.
#include <algorithm>
#include <cstdint>

#include "rules/history.hpp"
#include "rules/timezone.hpp"

namespace qw::rules {

// A measured rate is trusted on either kind of evidence: five minutes of measured time, or 30
// completions (a Poisson count known to about +-18%) over at least a minute. The second lets a
// busy queue be judged a minute after a start instead of five; a slow queue still needs five.
inline constexpr double kRateFullSeconds = 300;
inline constexpr double kRateMinSeconds = 60;
inline constexpr double kRateMinCompletions = 30;

inline bool rate_is_known(const WindowSums& w) {
  if (w.measured_s >= kRateFullSeconds) return true;
  return w.measured_s >= kRateMinSeconds && w.completed >= kRateMinCompletions;
}

class QueueHistory {
 public:
  // One measured round covering (from_s, to_s], seconds since the epoch. Its completions and
  // failures are spread evenly over the span: a round after a probe outage counts the outage's
  // jobs too (counts are incremental), and spreading keeps hourly totals honest.
  void record(const Timezone& tz, std::int64_t from_s, std::int64_t to_s, double completed,
              double failed);
  // Marks the local hours overlapping [from_s, to_s] as not normal: later baselines skip them.
  void exclude(const Timezone& tz, std::int64_t from_s, std::int64_t to_s);

  // Sums over the whole minutes in (now - window, now].
  WindowSums window(std::int64_t now_s, std::int64_t window_s) const;

  // Index of dispersion (variance / mean) of 5-minute completion counts over the minute ring,
  // from successive differences so a daily ramp does not count as burstiness. 1 for a Poisson
  // stream, about the burst size for a queue fed in bursts. Recomputed once per hour; decays
  // slowly rather than resetting, since bursts are a property of the queue.
  double dispersion() const { return dispersion_; }
  // The dispersion a shortfall is judged with: the larger of the 5- and 15-minute counts'.
  // A lull longer than five minutes is invisible to the first; on a queue that has such lulls,
  // a quiet five or ten minutes is as likely as a quiet quarter-hour.
  double lull_dispersion() const { return std::max(dispersion_, dispersion_15_); }
  void refresh_dispersion(std::int64_t now_s);

  const HourRing& hours() const { return hours_; }
  HourRing& hours() { return hours_; }
  const MinuteRing& minutes() const { return minutes_; }

 private:
  MinuteRing minutes_;
  HourRing hours_;
  double dispersion_ = 1;
  double dispersion_15_ = 1;
  // The last sums of the two windows the rules ask for (below_baseline's, failure_ratio's): an
  // evaluation every second mostly asks again before the next round or minute changes them.
  // `version_` moves with every record, so a memo never outlives the data it summed.
  struct WindowMemo {
    std::int64_t to_minute = INT64_MIN;
    std::int64_t minutes = 0;
    std::uint64_t version = 0;
    WindowSums sums;
  };
  mutable WindowMemo memo_[2];
  mutable unsigned next_memo_ = 0;
  std::uint64_t version_ = 0;
};

}  // namespace qw::rules
