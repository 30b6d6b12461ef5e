// A restart must not un-page a stall: the rules say "unknown" rather than "clear" while the
// evidence a restart erased is missing, the rate a stall is judged against survives in the
// state file, and the stall is judged again from the rounds after the restart.
#include "rules/baseline_store.hpp"
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

const Time kStart = at_utc(2024, 5, 6);

Labels alert_labels(const QueueKey& key, const std::string& alertname) {
  return {{"alertname", alertname}, {"target", key.target}, {"source", key.source},
          {"queue", key.queue},     {"region", "eu"},       {"severity", "critical"}};
}

// 10 jobs/s for an hour, then a stall with 500 jobs waiting since it began: returns the time
// no_throughput fired.
Time stall_until_it_fires(Driver& d) {
  d.feed(1h, [](Time) { return 10.0; });
  const Time stall = d.now;
  for (int i = 0; i < 40; ++i) {
    if (find(d.step(0, 500, seconds_between(stall, d.now + 15s)), "no_throughput")) return stall;
  }
  throw std::logic_error("the stall never fired");
}

TEST(VerdictAfterRestart, StallFiresAgainAndIsUndecidedMeanwhile) {
  Driver before({}, Timezone(), kStart, 15s);
  const Time stall = stall_until_it_fires(before);
  const std::string saved = save_baselines(before.engine);

  // The restarted daemon: baselines and the rate come back, minutes and rounds do not.
  Driver after({}, Timezone(), before.now + 20s, 15s);
  ASSERT_TRUE(restore_baselines(after.engine, saved).errors.empty());
  const Labels labels = alert_labels(after.key, "no_throughput");
  after.engine.evaluate(after.now);
  EXPECT_TRUE(after.engine.undecided(labels)) << "before any round after the restart";

  const Time restarted = after.now;
  std::optional<Time> fired;
  for (int i = 0; i < 12 && !fired; ++i) {
    const auto conditions = after.step(0, 520, seconds_between(stall, after.now + 15s));
    if (find(conditions, "no_throughput")) {
      fired = after.now;
    } else {
      EXPECT_TRUE(after.engine.undecided(labels))
          << "not firing yet after the restart must not read as clear (round " << i << ")";
    }
  }
  ASSERT_TRUE(fired) << "the stall outlived the restart but was never judged again";
  // The silence is counted from the first round after the restart: the 1-minute floor.
  EXPECT_LE(seconds_between(restarted, *fired), 90);

  // A completion is evidence: the rule now clears, and says so.
  const auto recovered = after.step(40, 480, 5);
  EXPECT_EQ(find(recovered, "no_throughput"), nullptr);
  EXPECT_FALSE(after.engine.undecided(labels));
}

TEST(VerdictAfterRestart, RateSurvivesInTheStateFile) {
  Driver before({}, Timezone(), kStart, 15s);
  stall_until_it_fires(before);
  const QueueState* q = before.engine.queue(before.key);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(q->rate_known);

  Driver after({}, Timezone(), before.now, 15s);
  ASSERT_TRUE(restore_baselines(after.engine, save_baselines(before.engine)).errors.empty());
  const QueueState* restored = after.engine.queue(after.key);
  ASSERT_NE(restored, nullptr);
  EXPECT_TRUE(restored->rate_known);
  EXPECT_DOUBLE_EQ(restored->rate_before_silence, q->rate_before_silence);
  EXPECT_FALSE(restored->completion_seen);
}

TEST(VerdictAfterRestart, MalformedRateRecordIsReportedAndSkipped) {
  Engine e({}, Timezone());
  const auto r = restore_baselines(e, "qwr1\tprimary\tjobs\tdefault\tNaN\nqwr1\tx\ty\n");
  EXPECT_EQ(r.errors.size(), 2U);
  EXPECT_EQ(e.queue({"primary", "jobs", "default"}), nullptr);
}

TEST(VerdictAfterRestart, NothingWaitingClearsEvenWithoutACompletionSeen) {
  Driver d({}, Timezone(), kStart, 15s);
  // A fresh daemon on an idle queue: no completion seen, nothing waits; that is a verdict.
  for (int i = 0; i < 10; ++i) d.step(0, 0);
  EXPECT_FALSE(d.engine.undecided(alert_labels(d.key, "no_throughput")));
}

TEST(VerdictAfterRestart, SubjectsNotYetMeasuredAreUndecidedThenDecided) {
  Engine e({}, Timezone());
  const QueueKey gone{"primary", "jobs", "gone"};
  e.evaluate(kStart);
  EXPECT_TRUE(e.undecided(alert_labels(gone, "stuck_in_progress")));
  EXPECT_TRUE(e.undecided({{"alertname", "database_unavailable"}, {"target", "primary"}}));
  // The source's first measured round does not show the queue: it is gone, that is decided.
  QueueTick t;
  t.key = {"primary", "jobs", "default"};
  t.at = kStart + 15s;
  e.ingest(t);
  e.evaluate(t.at);
  EXPECT_FALSE(e.undecided(alert_labels(gone, "stuck_in_progress")));
  // An alert of no rule (the Watchdog) is never held.
  EXPECT_FALSE(e.undecided({{"alertname", "Watchdog"}}));
}

TEST(VerdictAfterRestart, BelowBaselineWaitsForItsWindowAfterARestart) {
  Driver d({}, Timezone(), kStart, 60s);
  d.step(5, 0);
  // One minute of a one-hour window measured: too little to say the throughput is fine.
  EXPECT_TRUE(d.engine.undecided(alert_labels(d.key, "below_baseline")));
  EXPECT_TRUE(d.engine.undecided(alert_labels(d.key, "failure_ratio")));
  EXPECT_FALSE(d.engine.undecided(alert_labels(d.key, "stuck_in_progress")));
}

}  // namespace
}  // namespace qw::rules
