#pragma once
// The windows the shortfall rules judge a queue's minute history on (rules/shortfall.cpp), in
// one place: QueueHistory derives its sweep's checkpoints from them at compile time
// (kSweepMinutes), so a changed ladder is swept without anyone editing a second list.
#include <array>
#include <cstdint>

#include "rules/history.hpp"

namespace qw::rules {

// The windows judged, shortest first: 2, 5, 10, 15, 30 minutes, 1, 2, 3, 4, 6 hours (the
// baseline is hourly: its rules start at 5 minutes). Whole minutes, at most the minute ring.
inline constexpr std::array<std::int64_t, 10> kWindowLadder = {120,  300,  600,   900,   1800,
                                                               3600, 7200, 10800, 14400, 21600};

// Reference::recent compares a window with the queue's rate over this long before it, as far
// as the minute ring reaches (recent_reach).
inline constexpr std::int64_t kRecentRateSeconds = 3600;

// How far before a window of `window_s` the recent rate reaches: 0 when the window fills the ring.
constexpr std::int64_t recent_reach(std::int64_t window_s) {
  const std::int64_t room = kMinuteSlots * 60 - window_s;
  return room < kRecentRateSeconds ? room : kRecentRateSeconds;
}

}  // namespace qw::rules
