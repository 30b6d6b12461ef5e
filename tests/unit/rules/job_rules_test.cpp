// stuck_in_progress, queue_latency, failure_ratio, cannot_measure, database_unavailable.
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

const Time kStart = at_utc(2024, 5, 6, 12);

QueueTick tick(Time at) {
  QueueTick t;
  t.key = {"primary", "jobs", "default"};
  t.region = "eu";
  t.at = at;
  return t;
}

TEST(StuckInProgress, CarriesCountOldestAgeAndAtMostTenIdsInAnnotations) {
  Engine e({}, Timezone());
  QueueTick t = tick(kStart);
  t.running = 40;
  t.oldest_running_age_seconds = 7200;
  t.stuck = 12;
  for (int i = 0; i < 12; ++i) t.stuck_job_ids.push_back(std::to_string(1000 + i));
  e.ingest(t);
  const auto conditions = e.evaluate(kStart);
  const ActiveCondition* c = find(conditions, "stuck_in_progress");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->value, 12);
  EXPECT_EQ(c->severity, "critical");
  EXPECT_EQ(c->annotations.at("job_ids"), "1000,1001,1002,1003,1004,1005,1006,1007,1008,1009");
  EXPECT_EQ(c->annotations.at("oldest_age_seconds"), "7200");
  EXPECT_NE(c->annotations.at("summary").find("12 jobs stuck"), std::string::npos);
  EXPECT_NE(c->annotations.at("summary").find("2h"), std::string::npos);
  for (const auto& [k, v] : c->labels) EXPECT_EQ(v.find("1000"), std::string::npos) << k;
}

TEST(StuckInProgress, QuietWhenRunningJobsAreWithinLimits) {
  Engine e({}, Timezone());
  QueueTick t = tick(kStart);
  t.running = 5;
  t.oldest_running_age_seconds = 60;
  t.oldest_heartbeat_age_seconds = 10;
  e.ingest(t);
  EXPECT_FALSE(find(e.evaluate(kStart), "stuck_in_progress"));
}

TEST(StuckInProgress, StaleHeartbeatCountsEvenWhenTheProbeDidNot) {
  Engine e({}, Timezone());
  QueueTick t = tick(kStart);
  t.running = 1;
  t.oldest_running_age_seconds = 400;
  t.oldest_heartbeat_age_seconds = 301;  // timeout 5m
  e.ingest(t);
  const auto conditions = e.evaluate(kStart);
  ASSERT_TRUE(find(conditions, "stuck_in_progress"));
  EXPECT_EQ(get(conditions, "stuck_in_progress").value, 1);
}

TEST(QueueLatency, FiresOnlyOverTheMaximumAge) {
  Engine e({}, Timezone());
  QueueTick t = tick(kStart);
  t.ready = 3;
  t.oldest_ready_age_seconds = 600;  // exactly the limit: not over
  e.ingest(t);
  EXPECT_FALSE(find(e.evaluate(kStart), "queue_latency"));
  t.at += 15s;
  t.oldest_ready_age_seconds = 601;
  e.ingest(t);
  const auto c = e.evaluate(t.at);
  ASSERT_TRUE(find(c, "queue_latency"));
  EXPECT_EQ(get(c, "queue_latency").value, 601);
  EXPECT_EQ(get(c, "queue_latency").for_duration, 5min);
}

TEST(FailureRatio, NeedsVolumeAndRatio) {
  Driver d({}, Timezone(), kStart, 60s);
  auto step_with = [&](double ok, double failed) {
    d.now += 60s;
    QueueTick t = tick(d.now);
    t.completed = ok;
    t.failed = failed;
    d.engine.ingest(t);
    return d.engine.evaluate(d.now);
  };
  for (int i = 0; i < 15; ++i) step_with(1, 0);
  // 15 minutes at 1 ok + 0 failed; now failures, but little volume: 2 failed of 17.
  EXPECT_FALSE(find(step_with(0, 2), "failure_ratio"));
  std::vector<ActiveCondition> c;
  for (int i = 0; i < 5; ++i) c = step_with(1, 1);
  ASSERT_TRUE(find(c, "failure_ratio"));
  EXPECT_GT(get(c, "failure_ratio").value, 0.1);
  EXPECT_LT(get(c, "failure_ratio").value, 0.5);
}

TEST(CannotMeasure, ProbeErrorNamesTheReason) {
  Engine e({}, Timezone());
  QueueTick t = tick(kStart);
  t.measured = false;
  t.error = "permission_denied: permission denied for table jobs";
  e.ingest(t);
  const auto c = e.evaluate(kStart);
  ASSERT_TRUE(find(c, "cannot_measure"));
  EXPECT_NE(get(c, "cannot_measure").annotations.at("summary").find("permission_denied"),
            std::string::npos);
}

TEST(CannotMeasure, NoFreshSampleIsNotSilence) {
  Engine e({}, Timezone());
  for (int i = 0; i < 5; ++i) e.ingest(tick(kStart + i * 15s));
  const Time last = kStart + 60s;
  EXPECT_FALSE(find(e.evaluate(last + 30s), "cannot_measure"));
  const auto c = e.evaluate(last + 46s);  // over 3x the 15 s probe interval
  ASSERT_TRUE(find(c, "cannot_measure"));
  EXPECT_NE(get(c, "cannot_measure").annotations.at("summary").find("no fresh sample"),
            std::string::npos);
}

TEST(DatabaseUnavailable, SummaryNamesTargetHostAndReason) {
  Engine e({}, Timezone());
  TargetTick t;
  t.target = "primary-db";
  t.region = "eu";
  t.endpoint = "10.0.0.5:5432";
  t.at = kStart;
  t.up = false;
  t.reason = "connect_timeout";  // the probe's label
  t.detail = "timeout expired";
  e.ingest(t);
  t.at += 20s;
  e.ingest(t);
  const auto c = e.evaluate(t.at);
  const ActiveCondition* db = find(c, "database_unavailable");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->annotations.at("summary"), "primary-db (10.0.0.5:5432): connection timed out");
  EXPECT_EQ(db->value, 20);
  EXPECT_EQ(db->labels.at("target"), "primary-db");
  EXPECT_EQ(db->for_duration, 10s);
  t.at += 5s;
  t.up = true;
  e.ingest(t);
  EXPECT_FALSE(find(e.evaluate(t.at), "database_unavailable"));
}

TEST(Templates, OperatorTextAndRuleLabels) {
  config::RulesConfig cfg;
  cfg.defaults.queue_latency.common.summary = "{{ $labels.queue }} waits {{ $value }}s";
  cfg.defaults.queue_latency.common.runbook_url = "https://runbooks/{{$labels.team}}";
  cfg.defaults.queue_latency.common.labels = {{"team", "core"}};
  cfg.defaults.queue_latency.common.severity = config::Severity::critical;
  Engine e(cfg, Timezone());
  QueueTick t = tick(kStart);
  t.ready = 1;
  t.oldest_ready_age_seconds = 900;
  e.ingest(t);
  const auto c = e.evaluate(kStart);
  const ActiveCondition* q = find(c, "queue_latency");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->annotations.at("summary"), "default waits 900s");
  EXPECT_EQ(q->annotations.at("runbook_url"), "https://runbooks/core");
  EXPECT_EQ(q->labels.at("team"), "core");
  EXPECT_EQ(q->labels.at("severity"), "critical");
  EXPECT_EQ(q->severity, "critical");
}

TEST(Rules, DisabledRuleNeverHolds) {
  config::RulesConfig cfg;
  cfg.defaults.queue_latency.common.enabled = false;
  Engine e(cfg, Timezone());
  QueueTick t = tick(kStart);
  t.ready = 1;
  t.oldest_ready_age_seconds = 90000;
  e.ingest(t);
  EXPECT_FALSE(find(e.evaluate(kStart), "queue_latency"));
}

}  // namespace
}  // namespace qw::rules
