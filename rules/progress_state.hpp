#pragma once
// What no_throughput keeps about a queue judged by observed progress rather than counted
// completions (deleted rows, several queues in one table: docs/rules.md, "no_throughput where
// finished rows are deleted"). A round is *ok* when it observed progress or found nothing ready
// (the queue was keeping up); the silence is the time since the last ok round. Two records judge
// it: the rounds that began with work waiting (trials), and how many of them showed progress, over
// the hour before the last ok round; and the queue's state at that round (how much was ready, how
// old the oldest). Bounded: 60 one-minute buckets per queue.
#include <array>
#include <cstdint>
#include <optional>

#include "rules/observation.hpp"

namespace qw::rules {

class ProgressState {
 public:
  // One measured round of a queue whose completions are not known. `waiting_before`: the previous
  // measured round had work ready, so this round could have shown progress. `progressed`: the
  // probe observed progress (false also when it had nothing to compare with yet).
  // `drained_at`: the queue is new to the probe, which saw it with nothing ready or running then.
  void record(Time at, bool waiting_before, bool progressed, std::int64_t ready,
              std::optional<double> oldest_ready_age_seconds,
              std::optional<Time> drained_at = std::nullopt);

  // The last ok round since the start: none until one was seen (the silence's start unknown).
  std::optional<Time> last_ok_at() const { return last_ok_at_; }
  std::int64_t ready_at_ok() const { return ready_at_ok_; }
  std::optional<double> oldest_age_at_ok() const { return oldest_age_at_ok_; }
  // Rounds since the last ok one that began with work waiting and showed no progress.
  std::int64_t silent_rounds() const { return silent_rounds_; }
  // The hour before the last ok round: rounds that began with work waiting, and how many of them
  // showed progress.
  std::int64_t trials() const { return trials_; }
  std::int64_t successes() const { return successes_; }
  // Whether any round since the start observed progress (the probe's signal works here).
  bool progress_seen() const { return progress_seen_; }
  // Whether the probe measures progress for this queue at all (a round carried the count).
  bool measured() const { return measured_; }
  void set_measured() { measured_ = true; }

 private:
  struct Minute {
    std::int64_t minute = -1;
    std::uint32_t rounds = 0;
    std::uint32_t progressed = 0;
  };
  std::array<Minute, 60> minutes_{};
  std::optional<Time> last_ok_at_;
  std::int64_t ready_at_ok_ = 0;
  std::optional<double> oldest_age_at_ok_;
  bool progress_seen_ = false;
  bool measured_ = false;
  std::int64_t silent_rounds_ = 0;
  std::int64_t trials_ = 0;
  std::int64_t successes_ = 0;
};

// The lower end of the one-sided 95% Wilson interval for a proportion: `successes` in `trials`.
// 0 without trials. Below 1 even when every trial succeeded, so a silence always needs a count.
double wilson_lower_bound(std::int64_t successes, std::int64_t trials);

}  // namespace qw::rules
