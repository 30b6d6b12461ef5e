#pragma once
// How often a queue's own 5-minute blocks fell to a near-halt, counted over the days it has
// been watched: the evidence a bursty queue's variance cannot give about its lulls.
//
// A compound Poisson count with the queue's index of dispersion as burst size (the count
// surprise the shortfall rules use) calls near-zero blocks common on any queue whose 5-minute
// counts swing widely: load-balancer traffic with blocks from 10% to 400% of the hour's mean
// has a dispersion of 40 at 50 requests a block, so one block in three "should" be empty,
// while in two weeks none is (docs/rules.md). Counting how often the queue really fell to
// kDeepLull of the hour before, and how often two or three blocks in a row did, measures what
// the variance can only guess, and a stall of such a queue is a page in ten minutes, not fifty.
// Until the queue has shown many blocks the count says little, and the Poisson bound rules.
#include <array>
#include <cstdint>
#include <optional>

#include "rules/history.hpp"
#include "rules/timezone.hpp"

namespace qw::rules {

// A window at or below this fraction of its expectation is a near-total halt: the stall of a
// queue whose workers are wedged but for one (1-2% of its rate), not a drop.
inline constexpr double kDeepLull = 0.025;

class DeepLulls {
 public:
  static constexpr int kMaxBlocks = 3;  // runs of 1, 2 and 3 blocks (5, 10 and 15 minutes)

  // Counts the 5-minute blocks that ended at least two hours before `now_s` and were not yet
  // counted, each against the mean block of the hour before it. Blocks in hours excluded from
  // the baseline (an alert held: a stall's own blocks) and blocks without a fully measured
  // hour before them are skipped. Older counts fade with a half-life of a week.
  void count_new_blocks(const MinuteRing& minutes, const HourRing& hours, const Timezone& tz,
                        std::int64_t now_s);

  // -ln of how often a run of `blocks` 5-minute blocks (more than kMaxBlocks: kMaxBlocks) fell
  // to kDeepLull of the hour before, counting one such run more than seen: 0 until any block
  // has been counted.
  double surprise(int blocks) const;

  double runs_counted(int blocks) const { return runs_[index(blocks)]; }
  double deep_runs(int blocks) const { return deep_[index(blocks)]; }

  // The record as the state directory keeps it (rules/baseline_store.*): it takes a week to
  // learn, and a restart must not send a swinging queue's stalls back to the 50-minute bound.
  struct Saved {
    std::int64_t next_block = INT64_MIN;
    std::array<double, kMaxBlocks> runs{};
    std::array<double, kMaxBlocks> deep{};
  };
  Saved saved() const { return {next_block_, runs_, deep_}; }
  // nullopt when the numbers cannot be a record: negative or not finite, more deep runs than
  // runs, or more runs than the fading lets accumulate.
  static std::optional<DeepLulls> restored(const Saved& s);

 private:
  static std::size_t index(int blocks);
  std::array<double, kMaxBlocks> runs_{};
  std::array<double, kMaxBlocks> deep_{};
  std::int64_t next_block_ = INT64_MIN;  // the first block not yet counted
};

}  // namespace qw::rules
