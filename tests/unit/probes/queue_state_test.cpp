// The queue probe's bookkeeping: which queues to report, and deletes turned into completions.
#include <gtest/gtest.h>

#include "probes/postgres_queue/delete_counter.hpp"
#include "probes/postgres_queue/queue_set.hpp"

namespace qw::probes::queue {
namespace {

using namespace std::chrono_literals;

TEST(QueueSet, ConfiguredNamesAreAlwaysReportedAndNothingElse) {
  QueueSet set({"b", "a", "a"}, 60s);
  set.seen("zzz", QueueSet::Clock::time_point{});
  EXPECT_EQ(set.current(QueueSet::Clock::time_point{} + 10h), (std::vector<std::string>{"a", "b"}));
}

TEST(QueueSet, DiscoveredQueuesAreForgottenAfterSilence) {
  QueueSet set({}, 60s);
  const QueueSet::Clock::time_point t0{};
  set.seen("emails", t0);
  set.seen("billing", t0 + 30s);
  EXPECT_EQ(set.current(t0 + 59s), (std::vector<std::string>{"billing", "emails"}));
  EXPECT_EQ(set.current(t0 + 61s), (std::vector<std::string>{"billing"}));
  EXPECT_TRUE(set.current(t0 + 200s).empty());
}

TEST(DeleteCounter, FirstReadingIsABaselineThenDeltas) {
  DeleteCounter c;
  EXPECT_EQ(c.advance(1000), 0u);
  EXPECT_EQ(c.advance(1007), 7u);
  EXPECT_EQ(c.advance(1007), 0u);
}

TEST(DeleteCounter, StatsResetCountsNothingInsteadOfGarbage) {
  DeleteCounter c;
  c.advance(500);
  EXPECT_EQ(c.advance(3), 0u);  // pg_stat_reset(): the counter went down
  EXPECT_EQ(c.advance(10), 7u);
}

}  // namespace
}  // namespace qw::probes::queue
