// The per-queue progress tracker: what counts as progress between two rounds, and what does not.
#include <gtest/gtest.h>

#include "probes/postgres_queue/progress_tracker.hpp"

namespace qw::probes::queue {
namespace {

using Head = ProgressTracker::Head;
using Found = ProgressTracker::Found;

std::string ready() {
  return ProgressTracker::signature('r', "");
}
std::string running(const std::string& started) {
  return ProgressTracker::signature('x', started);
}

Head head(std::string queue, std::vector<std::string> ready_ids,
          std::vector<std::pair<std::string, std::string>> running_jobs = {},
          std::optional<std::uint64_t> claims = 0) {
  return {std::move(queue), std::move(ready_ids), std::move(running_jobs), claims};
}

TEST(ProgressTracker, TheFirstRoundKnowsNothing) {
  ProgressTracker t;
  EXPECT_FALSE(t.compares());
  EXPECT_EQ(t.previous_now(), "infinity");  // nothing is newer: no claims on the first round
  EXPECT_TRUE(t.observe({}, {head("a", {"1"}, {}, 3)}).empty());
  t.advance({head("a", {"1", "2"})}, "2026-11-30 23:00:00+00");
  EXPECT_TRUE(t.compares());
  EXPECT_EQ(t.previous_now(), "2026-11-30 23:00:00+00");
  auto ids = t.tracked_ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2"}));
}

TEST(ProgressTracker, UnmovedJobsAreNoProgress) {
  ProgressTracker t;
  t.advance({head("a", {"1", "2"}, {{"3", running("t0")}}), head("b", {"4"})}, "now0");
  const auto events =
      t.observe({{"1", ready()}, {"2", ready()}, {"3", running("t0")}, {"4", ready()}},
                {head("a", {"1", "2"}), head("b", {"4"})});
  EXPECT_EQ(events.at("a"), 0u);
  EXPECT_EQ(events.at("b"), 0u);
}

TEST(ProgressTracker, DepartedClaimedRetriedAndReclaimedJobsAreProgressOfTheirQueue) {
  ProgressTracker t;
  t.advance({head("a", {"1", "2"}, {{"3", running("t0")}, {"5", running("t0")}}), head("b", {"4"})},
            "now0");
  // 1 left the table (finished), 2 was claimed, 3 went back to ready (a retry), 5 was claimed
  // again by another attempt; b's job did not move.
  const auto events =
      t.observe({{"2", running("t1")}, {"3", ready()}, {"5", running("t2")}, {"4", ready()}},
                {head("a", {}), head("b", {"4"})});
  EXPECT_EQ(events.at("a"), 4u);
  EXPECT_EQ(events.at("b"), 0u);
}

TEST(ProgressTracker, ClaimsOfUntrackedJobsCount) {
  ProgressTracker t;
  t.advance({head("a", {"1"}), head("b", {"2"})}, "now0");
  const auto events = t.observe({{"1", ready()}, {"2", ready()}},
                                {head("a", {"1"}, {}, 2), head("b", {"2"}, {}, std::nullopt)});
  EXPECT_EQ(events.at("a"), 2u);
  EXPECT_EQ(events.at("b"), 0u);  // no started timestamp: claims unknown, not invented
}

TEST(ProgressTracker, AdvanceReplacesTheTrackedSet) {
  ProgressTracker t;
  t.advance({head("a", {"1"})}, "now0");
  t.advance({head("a", {"7"}, {{"8", running("t")}})}, "now1");
  auto ids = t.tracked_ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"7", "8"}));
  // 1 is no longer tracked: its absence is not progress; 8 vanished, 7 did not move.
  const auto events = t.observe({{"7", ready()}}, {head("a", {"7"})});
  EXPECT_EQ(events.at("a"), 1u);
}

TEST(ProgressTracker, TheIdBudgetIsSharedByQueues) {
  EXPECT_EQ(tracked_per_queue(0), kMaxTrackedPerQueue);
  EXPECT_EQ(tracked_per_queue(3), kMaxTrackedPerQueue);
  EXPECT_EQ(tracked_per_queue(500), 2);
  EXPECT_EQ(tracked_per_queue(100000), 1);
  EXPECT_LE(2 * 500 * tracked_per_queue(500), kMaxTrackedIds);
}

}  // namespace
}  // namespace qw::probes::queue
