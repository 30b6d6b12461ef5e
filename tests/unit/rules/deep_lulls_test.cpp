// DeepLulls counts how often a queue's own 5-minute blocks fell to a near-halt; and
// throughput_collapse, on a queue whose blocks swing widely but never near zero, pages a stall in
// ten minutes where the count's burst-size bound alone waits far longer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <string>

#include "rules/baseline_store.hpp"
#include "rules/deep_lulls.hpp"
#include "rules/queue_history.hpp"
#include "rules/shortfall.hpp"
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

const std::int64_t kT0 = 1716768000;  // 2024-05-27 00:00 UTC, on an hour boundary

// `count(minute)` completions in each minute of [from, to) (seconds, on minute boundaries).
template <typename F>
void fill(QueueHistory& h, std::int64_t from, std::int64_t to, F count) {
  const Timezone utc;
  for (std::int64_t t = from; t < to; t += 60) h.record(utc, t, t + 60, count(t / 60), 0);
}

TEST(DeepLulls, CountsEveryBlockOnceAndSeesNoLullInSteadyTraffic) {
  QueueHistory h;
  const Timezone utc;
  fill(h, kT0, kT0 + 6 * 3600, [](std::int64_t) { return 10.0; });
  DeepLulls d;
  EXPECT_EQ(d.surprise(2), 0) << "nothing counted yet says nothing";
  d.count_new_blocks(h.minutes(), h.hours(), utc, kT0 + 6 * 3600);
  // Six hours in the ring: the first hour is only "the hour before", the last two are too
  // recent (an alert may still exclude them), and the block before them is the ring's oldest
  // "hour before" edge: 35 blocks, each counted as it ends a run of 1, 2 and 3.
  EXPECT_NEAR(d.runs_counted(1), 35, 0.25);  // less a week's fading over 35 blocks
  EXPECT_EQ(d.deep_runs(2), 0);
  EXPECT_NEAR(d.surprise(2), std::log(d.runs_counted(2) + 1), 1e-9);
  const double counted = d.runs_counted(1);
  d.count_new_blocks(h.minutes(), h.hours(), utc, kT0 + 6 * 3600);
  EXPECT_EQ(d.runs_counted(1), counted) << "a block was counted twice";
}

TEST(DeepLulls, ALullInTheRingMakesTheNextOneLessSurprising) {
  QueueHistory h;
  const Timezone utc;
  const std::int64_t lull = kT0 / 60 + 150;  // minutes 150..164: three blocks at 1%
  fill(h, kT0, kT0 + 6 * 3600, [&](std::int64_t m) {
    return m >= lull && m < lull + 15 ? (m % 10 == 0 ? 1.0 : 0.0) : 10.0;
  });
  DeepLulls d;
  d.count_new_blocks(h.minutes(), h.hours(), utc, kT0 + 6 * 3600);
  EXPECT_NEAR(d.deep_runs(1), 3, 0.05);  // faded a little by the blocks after
  EXPECT_NEAR(d.deep_runs(2), 2, 0.05);
  EXPECT_NEAR(d.deep_runs(3), 1, 0.05);
  // One run of three seen: twice as often as "none in all these", so ln 2 less surprising.
  EXPECT_NEAR(d.surprise(3), std::log(d.runs_counted(3) + 1) - std::log(2), 0.01);
}

TEST(DeepLulls, BlocksOfAnExcludedHourAreNotCounted) {
  QueueHistory h;
  const Timezone utc;
  const std::int64_t lull = kT0 / 60 + 150;
  fill(h, kT0, kT0 + 6 * 3600,
       [&](std::int64_t m) { return m >= lull && m < lull + 15 ? 0.0 : 10.0; });
  // An alert held over the lull (a stall's own blocks): not a normal lull of the queue.
  h.exclude(utc, lull * 60, (lull + 15) * 60);
  DeepLulls d;
  d.count_new_blocks(h.minutes(), h.hours(), utc, kT0 + 6 * 3600);
  EXPECT_EQ(d.deep_runs(1), 0);
  EXPECT_NEAR(d.runs_counted(1), 35 - 12, 0.25) << "the excluded hour's twelve blocks";
}

// 2/s in 5-minute blocks that swing log-normally (sd 0.9: from a fifth to five times the mean,
// as load-balancer traffic does) and never fall near zero. The count's burst size is then
// several hundred, so its bound sees little in 1% for ten minutes; the queue's own blocks say
// that never happened in weeks.
class SwingingBlocks {
 public:
  explicit SwingingBlocks(unsigned seed) : rng_(seed) {}
  double operator()(Time t) {
    const std::int64_t b = epoch_seconds(t) / 300;
    if (b != block_) {
      block_ = b;
      level_ = std::clamp(swing_(rng_), 0.1, 8.0);
    }
    return 2.0 * level_;
  }

 private:
  std::mt19937 rng_;
  std::lognormal_distribution<double> swing_{-0.405, 0.9};  // mean 1
  std::int64_t block_ = -1;
  double level_ = 1;
};

TEST(DeepLulls, AStallOfAQueueWithWideSwingingBlocksPagesWithinTenMinutes) {
  Driver d({}, Timezone(), at_utc(2024, 5, 6), 60s, 23);
  SwingingBlocks traffic(17);
  const auto rate = [&](Time t) { return traffic(t); };
  d.feed(std::chrono::hours{24 * 21 + 7}, rate);
  const QueueState* q = d.engine.queue(d.key);
  ASSERT_NE(q, nullptr);
  EXPECT_GT(q->history.lull_dispersion(), 200) << "the burst-size bound must be the weak one";
  EXPECT_GT(q->deep_lulls.surprise(2), ShortfallTest::kRareLull);
  const Time stall = d.now;
  const auto fired =
      d.run_until("throughput_collapse", 1h, [&](Time t) { return 0.01 * traffic(t); });
  ASSERT_TRUE(fired);
  EXPECT_LE(seconds_between(stall, *fired), 10 * 60);
}

TEST(DeepLulls, TheSameQueueDoesNotPageItsOwnSwings) {
  Driver d({}, Timezone(), at_utc(2024, 5, 6), 60s, 29);
  SwingingBlocks traffic(31);
  const auto rate = [&](Time t) { return traffic(t); };
  d.feed(std::chrono::hours{24 * 21}, rate);
  EXPECT_FALSE(d.run_until("throughput_collapse", std::chrono::hours{48}, rate));
}

// The record takes a week to learn; a restart must keep it. The restarted engine has no minutes:
// two hours of traffic later, the stall pages as fast as before, and without the saved record
// (the same file less its qwl1 line) it does not.
// Seconds from the stall to the page, none when it did not page within the hour.
std::optional<double> stall_after_restart(bool keep_lull_record) {
  Driver before({}, Timezone(), at_utc(2024, 5, 6), 60s, 23);
  SwingingBlocks traffic(17);
  const auto rate = [&](Time t) { return traffic(t); };
  before.feed(std::chrono::hours{24 * 21 + 5}, rate);
  std::string saved = save_baselines(before.engine);
  const std::size_t lull_line = saved.find("qwl1\t");
  EXPECT_NE(lull_line, std::string::npos);
  if (!keep_lull_record && lull_line != std::string::npos)
    saved.erase(lull_line, saved.find('\n', lull_line) + 1 - lull_line);

  Driver after({}, Timezone(), before.now, 60s, 41);
  const RestoreResult r = restore_baselines(after.engine, saved);
  EXPECT_TRUE(r.errors.empty());
  after.feed(std::chrono::hours{2}, rate);
  const Time stall = after.now;
  const auto fired =
      after.run_until("throughput_collapse", 1h, [&](Time t) { return 0.01 * traffic(t); });
  if (!fired) return std::nullopt;
  return seconds_between(stall, *fired);
}

TEST(DeepLulls, TheRecordSurvivesARestart) {
  const auto with_record = stall_after_restart(true);
  ASSERT_TRUE(with_record);
  EXPECT_LE(*with_record, 10 * 60);
  const auto without = stall_after_restart(false);
  EXPECT_TRUE(!without || *without > 10 * 60) << "the test must show what the saved record buys";
}

TEST(DeepLulls, ARecordThatCannotBeOneIsReportedAndSkipped) {
  Engine e({}, Timezone());
  const RestoreResult r = restore_baselines(e,
                                            "qwl1\tp\tjobs\tq\t100\t10,9,8\t0,0,0\n"
                                            "qwl1\tp\tjobs\tq\t100\t10,9,8\t0,11,0\n"
                                            "qwl1\tp\tjobs\tq\t100\t10,9,nan\t0,0,0\n"
                                            "qwl1\tp\tjobs\tq\t100\t10,9\t0,0\n"
                                            "qwl1\tp\tjobs\tq\t100\t99999,9,8\t0,0,0\n");
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0], "line 2: malformed lull record");  // more deep runs than runs
  EXPECT_EQ(r.errors[3], "line 5: malformed lull record");  // more than a week's fading allows
  const QueueState* q = e.queue(QueueKey{"p", "jobs", "q"});
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->deep_lulls.runs_counted(2), 9);
}

}  // namespace
}  // namespace qw::rules
