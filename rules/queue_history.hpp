#pragma once
// Records probe rounds into one queue's minute and hour rings, and answers the questions the
// rules ask of the past: sums over a window, and how bursty the queue is.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "rules/history.hpp"
#include "rules/timezone.hpp"
#include "rules/windows.hpp"

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

namespace sweep_detail {
struct Lengths {
  std::array<std::int64_t, 2 * kWindowLadder.size()> minutes{};
  std::size_t count = 0;
};
// The window lengths, in minutes, that the rules ask QueueHistory for on every evaluation:
// each ladder window (window()), and for Reference::recent each window plus the rate's reach
// before it (window_before() takes the difference of the two). Sorted, without repeats.
constexpr Lengths sweep_lengths() {
  Lengths l;
  auto add = [&l](std::int64_t seconds) {
    if (seconds <= 0 || seconds % 60 != 0 || seconds > kMinuteSlots * 60) return;
    for (std::size_t i = 0; i < l.count; ++i)
      if (l.minutes[i] == seconds / 60) return;
    l.minutes[l.count++] = seconds / 60;
  };
  for (const std::int64_t w : kWindowLadder) {
    add(w);
    if (recent_reach(w) > 0) add(w + recent_reach(w));
  }
  std::sort(l.minutes.begin(), l.minutes.begin() + static_cast<std::ptrdiff_t>(l.count));
  return l;
}
}  // namespace sweep_detail

// The checkpoints of QueueHistory's sweep, derived from the ladder (rules/windows.hpp) at
// compile time: 2 .. 360 minutes, 16 of them with today's ladder.
inline constexpr std::size_t kSweepCount = sweep_detail::sweep_lengths().count;
inline constexpr std::array<std::int64_t, kSweepCount> kSweepMinutes = [] {
  std::array<std::int64_t, kSweepCount> out{};
  const sweep_detail::Lengths l = sweep_detail::sweep_lengths();
  for (std::size_t i = 0; i < kSweepCount; ++i) out[i] = l.minutes[i];
  return out;
}();
// kSweepSlot[m]: the index of m minutes in kSweepMinutes, or -1 (not a checkpoint).
inline constexpr std::array<std::int8_t, kMinuteSlots + 1> kSweepSlot = [] {
  std::array<std::int8_t, kMinuteSlots + 1> out{};
  out.fill(-1);
  for (std::size_t i = 0; i < kSweepCount; ++i)
    out[static_cast<std::size_t>(kSweepMinutes[i])] = static_cast<std::int8_t>(i);
  return out;
}();
static_assert(kSweepCount < 128, "kSweepSlot holds indices as int8");
// Engine::ingest's last hour and failure_ratio's default 15 minutes are ladder windows too.
static_assert(kSweepSlot[60] >= 0 && kSweepSlot[15] >= 0);

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
  // Sums over (now - offset - window, now - offset]: the window that ends `offset` before now.
  WindowSums window_before(std::int64_t now_s, std::int64_t offset_s, std::int64_t window_s) const;

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

  // The shortfall rules ask for a dozen windows per queue per evaluation (the ladder, and the
  // hour before each): one sweep back from the newest minute keeps the cumulative sums at every
  // length they need, so each window is a lookup or a difference, and the next evaluation in
  // the same minute with no new round reuses it. 16 checkpoints, about 400 bytes per queue.
  struct Sweep {
    std::int64_t to_minute = INT64_MIN;
    std::uint64_t version = 0;
    std::array<WindowSums, kSweepCount> back;  // back[i]: kSweepMinutes[i] minutes to to_minute
    std::size_t filled = 0;  // back[0..filled) are set; deeper ones when first asked
    WindowSums run;          // the running total at kSweepMinutes[filled - 1] minutes
  };
  mutable Sweep sweep_;
  // The cumulative sums `minutes` back from `to_minute`, or none when not a checkpoint.
  std::optional<WindowSums> swept(std::int64_t to_minute, std::int64_t minutes) const;
};

}  // namespace qw::rules
