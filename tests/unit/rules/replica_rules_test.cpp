// replica_lag and replica_not_streaming over the engine (docs/clusters.md, "Replication"): a
// standby's lag from both ends against max_lag, its streaming state from both ends, and both
// silent while the cluster has no primary. Time is the injected clock of each round.
#include <gtest/gtest.h>

#include "rules/cluster_state.hpp"
#include "rules/engine.hpp"
#include "rules_test_support.hpp"

namespace qw::rules::test {
namespace {

using namespace std::chrono_literals;

class ReplicaRules : public ::testing::Test {
 protected:
  ReplicaRules() : engine(config::RulesConfig{}, Timezone()) {
    engine.set_clusters({{"main", {"pg-a", "pg-b"}}});
  }

  void health(const std::string& member, bool up, bool in_recovery, Time when) {
    TargetTick t;
    t.target = member;
    t.region = member == "pg-a" ? "eu-west" : "eu-north";
    t.cluster = "main";
    t.at = when;
    t.up = up;
    if (!up) t.reason = "connection_refused";
    if (up) t.in_recovery = in_recovery;
    engine.ingest(t);
  }

  // The primary pg-a's round: one WAL sender for "pg-b" in `state`, or none.
  void primary_round(Time when, std::optional<std::string> state, double replay_seconds = 0,
                     double replay_bytes = 0, bool visible = true) {
    ReplicationTick r;
    r.target = "pg-a";
    r.at = when;
    r.up = true;
    r.in_recovery = false;
    r.stats_visible = visible;
    if (state)
      r.senders.push_back({"pg-b", visible ? *state : "",
                           visible ? std::optional<double>(replay_bytes) : std::nullopt,
                           visible ? std::optional<double>(replay_seconds) : std::nullopt});
    engine.ingest(r);
  }

  // The standby pg-b's own round.
  void standby_round(Time when, std::optional<double> lag, std::string receiver = "streaming",
                     bool visible = true) {
    ReplicationTick r;
    r.target = "pg-b";
    r.at = when;
    r.up = true;
    r.in_recovery = true;
    r.stats_visible = visible;
    r.receiver_status = visible ? receiver : "";
    r.application_name = visible ? "pg-b" : "";
    r.replay_lag_seconds = lag;
    r.receive_replay_bytes = 4096;
    r.replay_paused = false;
    engine.ingest(r);
  }

  void healthy_pair(Time when) {
    health("pg-a", true, false, when);
    health("pg-b", true, true, when);
  }

  Engine engine;
  Time t0 = at_utc(2026, 12, 1, 6, 0, 0);
};

TEST_F(ReplicaRules, CaughtUpIsNoLagAndStreamingIsQuiet) {
  healthy_pair(t0);
  primary_round(t0, "streaming", 0.001, 0);
  standby_round(t0, 0.0);
  const auto c = engine.evaluate(t0 + 1s);
  EXPECT_EQ(find(c, "replica_lag"), nullptr);
  EXPECT_EQ(find(c, "replica_not_streaming"), nullptr);
}

TEST_F(ReplicaRules, LagOverMaxLagFiresWithTheStandbysLabelsAndBothEnds) {
  healthy_pair(t0);
  primary_round(t0, "streaming", 0.2, 5.0 * 1024 * 1024);
  standby_round(t0, 60.0);  // exactly max_lag: not over it
  EXPECT_EQ(find(engine.evaluate(t0), "replica_lag"), nullptr);
  standby_round(t0 + 10s, 95.0);
  const auto c = engine.evaluate(t0 + 10s);
  const ActiveCondition& lag = get(c, "replica_lag");
  EXPECT_DOUBLE_EQ(lag.value, 95.0);
  EXPECT_EQ(lag.severity, "warning");
  EXPECT_EQ(lag.labels.at("cluster"), "main");
  EXPECT_EQ(lag.labels.at("target"), "pg-b");
  EXPECT_EQ(lag.labels.at("region"), "eu-north");
  EXPECT_EQ(lag.for_duration, 120000ms);
  EXPECT_NE(lag.annotations.at("summary").find("standby pg-b replays"), std::string::npos)
      << lag.annotations.at("summary");
  EXPECT_NE(lag.annotations.at("description").find("5.0 MiB of WAL behind the primary"),
            std::string::npos)
      << lag.annotations.at("description");
  EXPECT_NE(lag.annotations.at("description").find("4.0 KiB received and not replayed"),
            std::string::npos);
}

// The primary's replay_lag counts too: the larger end decides.
TEST_F(ReplicaRules, ThePrimarysMeasureCountsWhenLarger) {
  healthy_pair(t0);
  primary_round(t0, "streaming", 120.0, 1e6);
  standby_round(t0, 0.0);
  EXPECT_DOUBLE_EQ(get(engine.evaluate(t0), "replica_lag").value, 120.0);
}

TEST_F(ReplicaRules, AThresholdFromTheConfig) {
  config::RulesConfig rc;
  rc.replica_lag.max_lag = config::Duration{300000};
  engine.reconfigure(rc, Timezone());
  healthy_pair(t0);
  primary_round(t0, "streaming");
  standby_round(t0, 120.0);
  EXPECT_EQ(find(engine.evaluate(t0), "replica_lag"), nullptr);
  standby_round(t0 + 5s, 301.0);
  EXPECT_NE(find(engine.evaluate(t0 + 5s), "replica_lag"), nullptr);
}

// Not measurable (hidden on the primary, nothing replayed on the standby) is no verdict.
TEST_F(ReplicaRules, NotMeasurableIsNoLag) {
  healthy_pair(t0);
  primary_round(t0, "streaming", 0, 0, /*visible=*/false);
  standby_round(t0, std::nullopt);
  const auto c = engine.evaluate(t0);
  EXPECT_EQ(find(c, "replica_lag"), nullptr);
}

TEST_F(ReplicaRules, AReceiverThatDoesNotStreamFires) {
  healthy_pair(t0);
  primary_round(t0, std::nullopt);
  standby_round(t0, 0.0, "waiting");
  const auto c = engine.evaluate(t0);
  const ActiveCondition& ns = get(c, "replica_not_streaming");
  EXPECT_EQ(ns.labels.at("target"), "pg-b");
  EXPECT_EQ(ns.annotations.at("reasons"),
            "its WAL receiver is waiting; primary pg-a has no WAL sender for \"pg-b\"");
  EXPECT_DOUBLE_EQ(ns.value, 2);
  // Streaming again: clear.
  primary_round(t0 + 10s, "streaming");
  standby_round(t0 + 10s, 0.0);
  EXPECT_EQ(find(engine.evaluate(t0 + 10s), "replica_not_streaming"), nullptr);
}

// A receiver that stopped shows no conninfo: the name it streamed under is kept, so the primary's
// end still says it has no sender by that name.
TEST_F(ReplicaRules, AStoppedReceiverKeepsItsNameForThePrimarysEnd) {
  healthy_pair(t0);
  primary_round(t0, "streaming");
  standby_round(t0, 0.0);
  primary_round(t0 + 5s, std::nullopt);
  ReplicationTick r;
  r.target = "pg-b";
  r.at = t0 + 5s;
  r.up = true;
  r.in_recovery = true;
  r.stats_visible = true;
  r.replay_lag_seconds = 0.0;
  engine.ingest(r);
  EXPECT_EQ(get(engine.evaluate(t0 + 5s), "replica_not_streaming").annotations.at("reasons"),
            "it runs no WAL receiver; primary pg-a has no WAL sender for \"pg-b\"");
}

TEST_F(ReplicaRules, NoReceiverAtAllFires) {
  healthy_pair(t0);
  primary_round(t0, std::nullopt);
  standby_round(t0, 0.0, "");
  EXPECT_NE(get(engine.evaluate(t0), "replica_not_streaming")
                .annotations.at("reasons")
                .find("it runs no WAL receiver"),
            std::string::npos);
}

TEST_F(ReplicaRules, ThePrimarysSenderInCatchupFires) {
  healthy_pair(t0);
  primary_round(t0, "catchup");
  standby_round(t0, 0.0);
  EXPECT_EQ(get(engine.evaluate(t0), "replica_not_streaming").annotations.at("reasons"),
            "primary pg-a's WAL sender for \"pg-b\" is in state catchup");
}

// A standby whose own receiver streams but that the primary does not list streams from another
// standby (cascading): no page.
TEST_F(ReplicaRules, ACascadingStandbyIsNotPaged) {
  healthy_pair(t0);
  primary_round(t0, std::nullopt);
  standby_round(t0, 0.0, "streaming");
  EXPECT_EQ(find(engine.evaluate(t0), "replica_not_streaming"), nullptr);
}

// Without pg_read_all_stats on both ends nothing is known of streaming: no page.
TEST_F(ReplicaRules, HiddenEndsSayNothing) {
  healthy_pair(t0);
  primary_round(t0, "", 0, 0, /*visible=*/false);
  standby_round(t0, 0.0, "", /*visible=*/false);
  EXPECT_EQ(find(engine.evaluate(t0), "replica_not_streaming"), nullptr);
}

// One outage, one page: while the primary is down (no_primary, or its database_unavailable),
// the standby that lost its stream and falls behind is a consequence, not news.
TEST_F(ReplicaRules, SilentWhileTheClusterHasNoPrimary) {
  healthy_pair(t0);
  primary_round(t0, "streaming");
  standby_round(t0, 0.0);
  health("pg-a", false, false, t0 + 5s);
  standby_round(t0 + 5s, 500.0, "waiting");
  auto c = engine.evaluate(t0 + 5s);
  EXPECT_EQ(find(c, "replica_lag"), nullptr);
  EXPECT_EQ(find(c, "replica_not_streaming"), nullptr);
  EXPECT_NE(find(engine.evaluate(t0 + 20s), "no_primary"), nullptr);
  // The primary is back: judged again.
  health("pg-a", true, false, t0 + 30s);
  c = engine.evaluate(t0 + 30s);
  EXPECT_NE(find(c, "replica_lag"), nullptr);
  EXPECT_NE(find(c, "replica_not_streaming"), nullptr);
}

// A standby that is down is database_unavailable's; one promoted is split_brain's.
TEST_F(ReplicaRules, OnlyStandbysThatAnswerInRecoveryAreJudged) {
  healthy_pair(t0);
  primary_round(t0, std::nullopt);
  standby_round(t0, 500.0, "stopping");
  health("pg-b", false, false, t0 + 5s);
  auto c = engine.evaluate(t0 + 5s);
  EXPECT_EQ(find(c, "replica_lag"), nullptr);
  EXPECT_EQ(find(c, "replica_not_streaming"), nullptr);
  health("pg-b", true, false, t0 + 10s);
  c = engine.evaluate(t0 + 10s);
  EXPECT_EQ(find(c, "replica_lag"), nullptr);
  EXPECT_EQ(find(c, "replica_not_streaming"), nullptr);
}

TEST_F(ReplicaRules, UndecidedUntilTheStandbysFirstReplicationRound) {
  healthy_pair(t0);
  engine.evaluate(t0);
  const Labels labels{{"alertname", "replica_lag"}, {"cluster", "main"}, {"target", "pg-b"}};
  EXPECT_TRUE(engine.undecided(labels));
  standby_round(t0, 0.0);
  engine.evaluate(t0);
  EXPECT_FALSE(engine.undecided(labels));
  // Without a primary there is no verdict either: a firing alert is kept (and inhibited by
  // no_primary), not resolved by the outage.
  health("pg-a", false, false, t0 + 5s);
  engine.evaluate(t0 + 5s);
  EXPECT_TRUE(engine.undecided(labels));
  health("pg-a", true, false, t0 + 10s);
  engine.evaluate(t0 + 10s);
  EXPECT_FALSE(engine.undecided(labels));
}

// A late round does not rewind the state.
TEST_F(ReplicaRules, ALateRoundIsIgnored) {
  healthy_pair(t0);
  primary_round(t0, "streaming");
  standby_round(t0 + 10s, 0.0);
  standby_round(t0, 500.0);
  EXPECT_EQ(find(engine.evaluate(t0 + 10s), "replica_lag"), nullptr);
}

TEST_F(ReplicaRules, DisabledRulesSayNothing) {
  config::RulesConfig rc;
  rc.replica_lag.common.enabled = false;
  rc.replica_not_streaming.common.enabled = false;
  engine.reconfigure(rc, Timezone());
  healthy_pair(t0);
  primary_round(t0, std::nullopt);
  standby_round(t0, 500.0, "waiting");
  const auto c = engine.evaluate(t0);
  EXPECT_EQ(find(c, "replica_lag"), nullptr);
  EXPECT_EQ(find(c, "replica_not_streaming"), nullptr);
}

}  // namespace
}  // namespace qw::rules::test
