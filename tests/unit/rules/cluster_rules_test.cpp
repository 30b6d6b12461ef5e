// The cluster rules over the engine (docs/clusters.md): who is primary, a failover with its
// regions, no_primary for a window without one, split_brain for two writable members, parity of
// the capacity a standby reports, and a queue's silence across the window without a primary.
#include <gtest/gtest.h>

#include "rules/cluster_state.hpp"
#include "rules/engine.hpp"
#include "rules_test_support.hpp"

namespace qw::rules::test {
namespace {

class ClusterRules : public ::testing::Test {
 protected:
  ClusterRules() : engine(config::RulesConfig{}, Timezone()) {
    engine.set_clusters({{"main", {"pg-a", "pg-b"}}});
  }

  enum class Role { primary, standby, down, read_only };

  void report(const std::string& member, Role role, Time when,
              std::map<std::string, std::string> capacity = {}) {
    TargetTick t;
    t.target = member;
    t.region = member == "pg-a" ? "eu-west" : "eu-north";
    t.endpoint = member + ":5432";
    t.cluster = "main";
    t.at = when;
    t.up = role != Role::down;
    if (role == Role::down) t.reason = "connection_refused";
    if (t.up) t.in_recovery = role == Role::standby;
    t.read_only = role == Role::read_only;
    t.capacity = std::move(capacity);
    engine.ingest(t);
  }

  Engine engine;
  Time t0 = at_utc(2026, 12, 1, 6, 0, 0);
};

TEST_F(ClusterRules, AFailoverNamesBothMembersAndRegionsAndResolvesLater) {
  report("pg-a", Role::primary, t0);
  report("pg-b", Role::standby, t0);
  EXPECT_EQ(engine.cluster("main")->primary, "pg-a");
  auto c = engine.evaluate(t0);
  EXPECT_EQ(find(c, "failover"), nullptr) << "the first primary seen is no failover";
  EXPECT_EQ(find(c, "no_primary"), nullptr);

  report("pg-a", Role::down, t0 + 5s);
  c = engine.evaluate(t0 + 6s);
  const ActiveCondition& none = get(c, "no_primary");
  EXPECT_EQ(none.labels.at("cluster"), "main");
  EXPECT_EQ(none.labels.at("target"), "main");
  EXPECT_NE(none.annotations.at("summary").find("pg-a (pg-a:5432): connection refused"),
            std::string::npos)
      << none.annotations.at("summary");
  const ActiveCondition& down = get(c, "database_unavailable");
  EXPECT_EQ(down.labels.at("cluster"), "main") << "no_primary holds it back by this label";

  report("pg-b", Role::primary, t0 + 25s);
  c = engine.evaluate(t0 + 26s);
  EXPECT_EQ(find(c, "no_primary"), nullptr);
  const ActiveCondition& moved = get(c, "failover");
  EXPECT_EQ(moved.severity, "warning");
  EXPECT_EQ(moved.annotations.at("summary"),
            "main: primary moved from pg-a (region eu-west) to pg-b (region eu-north)");
  EXPECT_DOUBLE_EQ(moved.value, 20) << "seconds without a primary";
  EXPECT_EQ(engine.cluster("main")->primary, "pg-b");

  // Announced for ten minutes, then resolved by itself.
  EXPECT_NE(find(engine.evaluate(t0 + 25s + 9min), "failover"), nullptr);
  EXPECT_EQ(find(engine.evaluate(t0 + 25s + 10min), "failover"), nullptr);
}

TEST_F(ClusterRules, ReadOnlyOrInRecoveryIsNoPrimary) {
  report("pg-a", Role::read_only, t0);
  report("pg-b", Role::standby, t0);
  EXPECT_NE(find(engine.evaluate(t0 + 1s), "no_primary"), nullptr);
  report("pg-a", Role::primary, t0 + 5s);
  const auto c = engine.evaluate(t0 + 6s);
  EXPECT_EQ(find(c, "no_primary"), nullptr);
  EXPECT_EQ(find(c, "failover"), nullptr) << "no primary was known before: nothing moved";
}

TEST_F(ClusterRules, TwoWritableMembersAreASplitBrainAndTheSourcesStay) {
  report("pg-a", Role::primary, t0);
  report("pg-b", Role::primary, t0 + 1s);
  const auto c = engine.evaluate(t0 + 2s);
  const ActiveCondition& split = get(c, "split_brain");
  EXPECT_EQ(split.severity, "critical");
  EXPECT_DOUBLE_EQ(split.value, 2);
  EXPECT_NE(split.annotations.at("summary").find("pg-a (region eu-west), pg-b (region eu-north)"),
            std::string::npos);
  EXPECT_EQ(engine.cluster("main")->primary, "pg-a") << "a split brain does not move the primary";
  EXPECT_EQ(find(c, "failover"), nullptr);
  report("pg-b", Role::down, t0 + 5s);
  EXPECT_EQ(find(engine.evaluate(t0 + 6s), "split_brain"), nullptr);
}

TEST_F(ClusterRules, ParityNamesEachDifferingSettingWithBothValues) {
  report(
      "pg-a", Role::primary, t0,
      {{"max_connections", "200"}, {"shared_buffers", "1GB"}, {"vcpu", "8"}, {"work_mem", "4MB"}});
  report("pg-b", Role::standby, t0,
         {{"max_connections", "100"}, {"shared_buffers", "128MB"}, {"vcpu", "8"}});
  const auto c = engine.evaluate(t0 + 1s);
  const ActiveCondition& parity = get(c, "replica_parity");
  EXPECT_EQ(parity.labels.at("target"), "pg-b");
  EXPECT_EQ(parity.labels.at("cluster"), "main");
  EXPECT_EQ(parity.annotations.at("differences"),
            "max_connections 100 (primary 200), shared_buffers 128MB (primary 1GB)")
      << "work_mem is not reported by the standby: not known to differ";
  EXPECT_DOUBLE_EQ(parity.value, 2);

  report("pg-b", Role::standby, t0 + 5s,
         {{"max_connections", "200"}, {"shared_buffers", "1GB"}, {"vcpu", "8"}});
  EXPECT_EQ(find(engine.evaluate(t0 + 6s), "replica_parity"), nullptr);
}

TEST_F(ClusterRules, UndecidedUntilAMemberReports) {
  const Labels labels{{"alertname", "no_primary"}, {"cluster", "main"}, {"target", "main"}};
  engine.evaluate(t0);
  EXPECT_TRUE(engine.undecided(labels));
  report("pg-a", Role::primary, t0);
  engine.evaluate(t0 + 1s);
  EXPECT_FALSE(engine.undecided(labels));
}

// A queue on the cluster: the 40 s without a primary are the cluster's outage, not the queue's
// silence. Without skipping them, 40 s on top of the silence before would reach no_throughput's
// min_silence of 60 s with a rate that makes it implausible.
TEST_F(ClusterRules, TheWindowWithoutAPrimaryIsNotTheQueuesSilence) {
  report("pg-a", Role::primary, t0);
  report("pg-b", Role::standby, t0);
  QueueTick q;
  q.key = {"main", "jobs", "default"};
  Time now = t0;
  // An hour at 2 completions per second, so the rate before a silence is known.
  for (int i = 0; i < 360; ++i) {
    now += 10s;
    q.at = now;
    q.completed = 20;
    engine.ingest(q);
  }
  EXPECT_EQ(find(engine.evaluate(now), "no_throughput"), nullptr);
  // pg-a dies; the source cannot run for 40 s; pg-b is promoted.
  report("pg-a", Role::down, now + 5s);
  for (int i = 1; i <= 4; ++i) {
    QueueTick failed = q;
    failed.at = now + std::chrono::seconds(10 * i);
    failed.measured = false;
    failed.error = "no_primary: no member of cluster main is primary";
    engine.ingest(failed);
  }
  report("pg-b", Role::primary, now + 45s);
  // The first round on pg-b, 25 s after the promotion, sees no completion yet (workers
  // reconnecting): 25 s + the 5 s before the outage are the queue's own silence, under 60 s.
  q.at = now + 70s;
  q.completed = 0;
  q.ready = 50;
  q.oldest_ready_age_seconds = 70;  // work waits since before the outage
  engine.ingest(q);
  const auto c = engine.evaluate(now + 70s);
  EXPECT_EQ(find(c, "no_throughput"), nullptr);
  EXPECT_NE(find(c, "failover"), nullptr);
  // ... while a queue that stays silent on the new primary is a stall after all.
  q.at = now + 130s;
  q.oldest_ready_age_seconds = 130;
  engine.ingest(q);
  EXPECT_NE(find(engine.evaluate(now + 130s), "no_throughput"), nullptr);
}

}  // namespace
}  // namespace qw::rules::test
