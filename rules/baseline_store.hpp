#pragma once
// The baselines as text, so they survive restarts: the daemon writes save_baselines() to a file
// in state_dir (atomically, by rename) and feeds the file back to restore_baselines() at start.
// Only the hourly history is kept: minutes are stale after any restart worth persisting across.
//
// Format, one queue per line, tab-separated (names percent-encoded):
//   qwb1  TARGET  SOURCE  QUEUE  NEWEST_LOCAL_HOUR  SLOTS
// SLOTS lists the ring from oldest to newest, comma-separated: `COUNT:MEASURED_S` for an hour,
// a trailing `x` when it was excluded, and `_N` for N empty hours. ~10 KB per queue at most.
// Then, for queues whose recent rate is known, the rate a stall is judged against, so that a
// restart in the middle of a stall can judge it again (completions per second):
//   qwr1  TARGET  SOURCE  QUEUE  RATE
// And, for queues that have counted any, the record of deep lulls a near-halt is judged by
// (rules/deep_lulls.hpp): the next block to count, then runs of 1, 2, 3 blocks counted and how
// many of those fell deep, comma-separated:
//   qwl1  TARGET  SOURCE  QUEUE  NEXT_BLOCK  RUNS1,RUNS2,RUNS3  DEEP1,DEEP2,DEEP3
#include <string>
#include <string_view>
#include <vector>

#include "rules/engine.hpp"

namespace qw::rules {

std::string encode_hours(const HourRing& hours);
// False (and `hours` untouched) when `text` is not what encode_hours writes.
bool decode_hours(std::string_view text, std::int64_t newest, HourRing& hours);

std::string save_baselines(const Engine& engine);

struct RestoreResult {
  std::size_t restored = 0;
  std::vector<std::string> errors;  // "line 3: ...": a bad line is skipped, the rest restored
};
RestoreResult restore_baselines(Engine& engine, std::string_view text);

}  // namespace qw::rules
