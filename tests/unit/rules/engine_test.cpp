// The engine across restarts, reloads and warm starts.
#include "rules/baseline_store.hpp"
#include "rules/condition.hpp"
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

const Time kStart = at_utc(2024, 5, 6);

std::vector<std::string> verdicts(const std::vector<ActiveCondition>& c) {
  std::vector<std::string> out;
  // Names only: the value is the ratio on the shortest window that holds, and which window that
  // is depends on the burstiness learnt from minutes, which are not persisted.
  for (const auto& x : c) out.push_back(x.alertname);
  return out;
}

TEST(Engine, PersistedBaselineGivesTheSameVerdictsAfterARestart) {
  Driver before({}, Timezone(), kStart, 60s, 9);
  before.feed(std::chrono::hours{24 * 22 + 8}, daily_wave);
  const std::string saved = save_baselines(before.engine);
  ASSERT_FALSE(saved.empty());

  // "Restart": a new engine restores the file; both then see the same day, with a drop.
  Engine after({}, Timezone());
  const RestoreResult restored = restore_baselines(after, saved);
  EXPECT_EQ(restored.restored, 1u);
  EXPECT_TRUE(restored.errors.empty());
  EXPECT_EQ(save_baselines(after), saved);

  std::mt19937 rng(3);
  int differing = 0, alerts = 0;
  Time now = before.now;
  for (int i = 0; i < 60 * 12; ++i) {
    now += 60s;
    const double rate = i > 180 && i < 400 ? 0.1 : daily_wave(now);
    QueueTick t;
    t.key = before.key;
    t.region = "eu";
    t.at = now;
    t.completed = std::poisson_distribution<long>(rate * 60)(rng);
    before.engine.ingest(t);
    after.ingest(t);
    const auto a = verdicts(before.engine.evaluate(now));
    const auto b = verdicts(after.evaluate(now));
    alerts += static_cast<int>(a.size());
    // The minute history is not persisted: compare once the restarted engine has an hour.
    if (i >= 60 && a != b) ++differing;
  }
  EXPECT_GT(alerts, 0);     // the drop was seen...
  EXPECT_EQ(differing, 0);  // ...identically by both
}

TEST(Engine, RestoreReportsBadLinesAndKeepsGoodOnes) {
  Engine e({}, Timezone());
  const auto r = restore_baselines(
      e, "qwb1\tp\tjobs\tq1\t1000\t_839,5:3600\nnonsense\nqwb1\tp\tjobs\tq2\t1000\t_5\n");
  EXPECT_EQ(r.restored, 1u);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0], "line 2: not a qwb1 baseline record");
  EXPECT_EQ(r.errors[1], "line 3: malformed baseline record");  // 5 slots, not 840
}

TEST(Engine, ReloadedThresholdsChangeVerdictsWithoutLosingHistory) {
  Driver d({}, Timezone(), kStart, 60s, 4);
  d.feed(std::chrono::hours{24 * 21 + 10}, daily_wave);
  auto at_80_percent = [](Time t) { return daily_wave(t) * 0.8; };
  EXPECT_FALSE(d.run_until("below_baseline", 2h, at_80_percent));  // 80% is above 0.6

  config::RulesConfig stricter;
  config::RuleOverride o;
  o.queues = {"def*"};
  o.patch.below_baseline.ratio = 0.9;
  o.patch.below_baseline.sigmas = 1;  // 80% is 2 level-noise deviations (the 0.1 floor) short
  stricter.overrides = {o};
  d.engine.reconfigure(stricter, Timezone());
  EXPECT_EQ(d.engine.queue(d.key)->rules.below_baseline.ratio, 0.9);
  // The same traffic now holds at once: the baseline was kept, nothing relearned.
  const Time reload = d.now;
  const auto fired = d.run_until("below_baseline", 10min, at_80_percent);
  ASSERT_TRUE(fired);
  EXPECT_LE(seconds_between(reload, *fired), 60);
}

TEST(Engine, WarmStartFromTheTablesHistoryGivesABaselineAtOnce) {
  Engine e({}, Timezone());
  const QueueKey key{"primary", "jobs", "default"};
  std::vector<HourlyCount> hours;
  const Time now = at_utc(2024, 5, 27, 10);
  for (int h = 24 * 28; h >= 1; --h) {
    const Time start = now - std::chrono::hours{h};
    hours.push_back({start, daily_wave(start) * 3600});
  }
  e.warm_start(key, hours, now);
  // A fresh daemon, an hour of 10% traffic: judged against the imported weeks.
  std::optional<Time> fired;
  for (int i = 1; i <= 60 && !fired; ++i) {
    QueueTick t;
    t.key = key;
    t.at = now + std::chrono::minutes{i};
    t.completed = 6;  // 0.1/s
    e.ingest(t);
    if (find(e.evaluate(t.at), "below_baseline")) fired = t.at;
  }
  EXPECT_TRUE(fired);
}

// Started during a stall: nothing completes from the first round on, but the table says the
// queue did 1 job/s in the last complete hour, so waiting work is judged against that.
TEST(Engine, WarmStartCatchesAStallAlreadyUnderWayAtStartUp) {
  for (const bool busy_last_hour : {true, false}) {
    Engine e({}, Timezone());
    const QueueKey key{"primary", "jobs", "default"};
    const Time now = at_utc(2024, 5, 27, 10, 20);
    const Time hour = at_utc(2024, 5, 27, 10);
    std::vector<HourlyCount> hours{{hour - 2h, 3600}};
    if (busy_last_hour) hours.push_back({hour - 1h, 3600});
    e.warm_start(key, hours, hour);
    std::optional<Time> fired;
    for (int i = 1; i <= 60 && !fired; ++i) {
      QueueTick t;
      t.key = key;
      t.at = now + std::chrono::seconds{5 * i};
      t.ready = 40;
      t.oldest_ready_age_seconds = 600 + 5 * i;  // waiting since before the start
      e.ingest(t);
      if (find(e.evaluate(t.at), "no_throughput")) fired = t.at;
    }
    if (busy_last_hour) {
      ASSERT_TRUE(fired);
      EXPECT_LE(seconds_between(now, *fired), 90);
    } else {
      EXPECT_FALSE(fired) << "an hour with no completions gives no rate to miss";
    }
  }
}

TEST(Engine, TableHistoryRowsBecomeWholeHoursWithTheFirstDropped) {
  const Time h0 = at_utc(2024, 5, 27, 0);
  const std::vector<HourlyCount> rows{{h0, 5}, {h0 + 1h, 7}, {h0 + 4h, 9}};
  const auto hours = complete_hours(rows, h0 + 6h);
  ASSERT_EQ(hours.size(), 5u);  // 01:00 to 05:00; 00:00 may be cut by retention
  const double want[] = {7, 0, 0, 9, 0};
  for (std::size_t i = 0; i < hours.size(); ++i) {
    EXPECT_EQ(hours[i].hour_start, h0 + std::chrono::hours{i + 1});
    EXPECT_EQ(hours[i].completed, want[i]) << i;
  }
  EXPECT_TRUE(complete_hours({}, h0).empty());
}

TEST(Engine, HasHistoryOnlyOnceAnHourIsMeasuredEnough) {
  Engine e({}, Timezone());
  const QueueKey key{"primary", "jobs", "default"};
  QueueTick t;
  t.key = key;
  t.at = at_utc(2024, 5, 27, 10);
  e.ingest(t);  // a first round: the queue exists, its hours are empty
  EXPECT_FALSE(e.has_history("primary", "jobs"));
  const Time until = at_utc(2024, 5, 27, 10);
  const std::vector<HourlyCount> hours{{until - 1h, 100}};
  e.warm_start(key, hours, until);
  EXPECT_TRUE(e.has_history("primary", "jobs"));
  EXPECT_FALSE(e.has_history("primary", "other"));
}

TEST(Engine, OutOfOrderRoundsAreIgnored) {
  Engine e({}, Timezone());
  QueueTick t;
  t.key = {"p", "s", "q"};
  t.at = kStart + 60s;
  t.ready = 5;
  e.ingest(t);
  t.at = kStart;
  t.ready = 99;
  e.ingest(t);
  EXPECT_EQ(e.queue(t.key)->last->ready, 5);
}

}  // namespace
}  // namespace qw::rules
