#pragma once
// One queue's recent past, in bounded memory: per-minute completions and failures for the last
// six hours (the rules' windows), and per-local-hour totals for five weeks (the seasonal
// baseline). About 9 KB per queue, so 10,000 queues fit in under 100 MB.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace qw::rules {

inline constexpr std::int64_t kMinuteSlots = 360;    // 6 h: config::kMaxRuleWindow
inline constexpr std::int64_t kHourSlots = 5 * 168;  // 5 weeks of hour-of-week phases

struct MinuteSlot {
  float completed = 0;
  float failed = 0;
  std::uint8_t measured_s = 0;  // seconds of this minute covered by successful probe rounds
};

struct HourSlot {
  float count = 0;               // completions
  std::uint16_t measured_s = 0;  // seconds covered; up to 7200 (a fall-back hour counts twice)
  bool excluded = false;         // below_baseline or no_throughput held: not a normal hour
  bool operator==(const HourSlot&) const = default;
};

struct WindowSums {
  double completed = 0;
  double failed = 0;
  double measured_s = 0;
};

// Slots addressed by an ever-increasing index (minutes since the epoch, or local hours);
// advancing past old slots clears them. Writes older than the ring are dropped.
template <typename Slot, std::int64_t N>
class Ring {
 public:
  Ring() : slots_(static_cast<std::size_t>(N)) {}
  std::int64_t newest() const { return newest_; }
  bool empty() const { return newest_ == kNone; }

  Slot* write(std::int64_t index) {
    if (newest_ == kNone || index > newest_) advance(index);
    if (index <= newest_ - N) return nullptr;
    return &slots_[pos(index)];
  }
  // Calls f(slot) for each stored slot with index in (from, to], oldest first: one division
  // for the whole range rather than one per slot (this loop is most of an evaluation).
  template <typename F>
  void for_range(std::int64_t from, std::int64_t to, F&& f) const {
    if (newest_ == kNone) return;
    from = std::max(from, newest_ - N);
    to = std::min(to, newest_);
    if (to <= from) return;
    std::size_t p = pos(from + 1);
    for (std::int64_t i = from + 1; i <= to; ++i) {
      f(slots_[p]);
      if (++p == static_cast<std::size_t>(N)) p = 0;
    }
  }
  // The same, newest first (the order QueueHistory's sweep accumulates in).
  template <typename F>
  void for_range_newest_first(std::int64_t from, std::int64_t to, F&& f) const {
    if (newest_ == kNone) return;
    from = std::max(from, newest_ - N);
    to = std::min(to, newest_);
    if (to <= from) return;
    std::size_t p = pos(to);
    for (std::int64_t i = to; i > from; --i) {
      f(slots_[p]);
      p = p == 0 ? static_cast<std::size_t>(N) - 1 : p - 1;
    }
  }
  const Slot* read(std::int64_t index) const {
    if (newest_ == kNone || index > newest_ || index <= newest_ - N) return nullptr;
    return &slots_[pos(index)];
  }

 private:
  static constexpr std::int64_t kNone = INT64_MIN / 2;
  static std::size_t pos(std::int64_t index) {
    return static_cast<std::size_t>(((index % N) + N) % N);
  }
  void advance(std::int64_t index) {
    const std::int64_t from =
        newest_ == kNone ? index - N + 1 : std::max(newest_ + 1, index - N + 1);
    for (std::int64_t i = from; i <= index; ++i) slots_[pos(i)] = Slot{};
    newest_ = index;
  }
  std::vector<Slot> slots_;
  std::int64_t newest_ = kNone;
};

using MinuteRing = Ring<MinuteSlot, kMinuteSlots>;
using HourRing = Ring<HourSlot, kHourSlots>;

// a / b rounded toward minus infinity (b > 0): the minute or block an epoch second falls in.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// Sums over the minutes (from, to], minute indexes since the epoch.
WindowSums sum_minutes(const MinuteRing& ring, std::int64_t from_minute, std::int64_t to_minute);

}  // namespace qw::rules
