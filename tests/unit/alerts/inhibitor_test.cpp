// Inhibition with Alertmanager's semantics, through the built-in rule and configured ones.
#include "alerts/inhibitor.hpp"

#include <gtest/gtest.h>

#include "alert_test_support.hpp"
#include "alerts/alert_book.hpp"

namespace qw::alerts::test {
namespace {

using Op = config::LabelMatcher::Op;

config::AlertingConfig builtin_only() {
  config::AlertingConfig c;
  c.builtin_inhibit_rules = true;
  return c;
}

std::string fp(const std::vector<Alert>& alerts, const std::string& name, const std::string& t) {
  const Alert* a = find_alert(alerts, name, t);
  return a == nullptr ? "(missing)" : a->fingerprint;
}

TEST(Inhibitor, DatabaseDownOnAInhibitsAsQueueAlertsOnly) {
  AlertBook book;
  book.evaluate(at(0s),
                {condition("database_unavailable", "a"), condition("no_throughput", "a", "q"),
                 condition("no_throughput", "b", "q")});
  const std::vector<Alert> alerts = book.alerts();
  const std::set<std::string> inhibited =
      Inhibitor::from_config(builtin_only()).inhibited(at(0s), alerts);
  EXPECT_EQ(inhibited, std::set<std::string>{fp(alerts, "no_throughput", "a")});
}

// A cluster without a primary: its standbys' lag and streaming alerts are consequences of
// no_primary's outage, held back by the cluster label; another cluster's are not.
TEST(Inhibitor, NoPrimaryHoldsBackTheClustersReplicaAlerts) {
  auto in_cluster = [](rules::ActiveCondition c, const std::string& cluster) {
    c.labels["cluster"] = cluster;
    return c;
  };
  AlertBook book;
  book.evaluate(at(0s), {in_cluster(condition("no_primary", "main"), "main"),
                         in_cluster(condition("replica_lag", "pg-b"), "main"),
                         in_cluster(condition("replica_not_streaming", "pg-b"), "main"),
                         in_cluster(condition("replica_lag", "pg-z"), "other")});
  const std::vector<Alert> alerts = book.alerts();
  const std::set<std::string> inhibited =
      Inhibitor::from_config(builtin_only()).inhibited(at(0s), alerts);
  EXPECT_EQ(inhibited, (std::set<std::string>{fp(alerts, "replica_lag", "pg-b"),
                                              fp(alerts, "replica_not_streaming", "pg-b")}));
}

TEST(Inhibitor, PendingSourceDoesNotInhibit) {
  AlertBook book;
  book.evaluate(at(0s), {condition("database_unavailable", "a", "", 15s),
                         condition("no_throughput", "a", "q")});
  const std::vector<Alert> alerts = book.alerts();
  ASSERT_EQ(find_alert(alerts, "database_unavailable", "a")->state, AlertState::pending);
  EXPECT_TRUE(Inhibitor::from_config(builtin_only()).inhibited(at(0s), alerts).empty());
}

TEST(Inhibitor, BuiltinRuleCanBeTurnedOff) {
  AlertBook book;
  book.evaluate(at(0s),
                {condition("database_unavailable", "a"), condition("no_throughput", "a", "q")});
  config::AlertingConfig c;
  c.builtin_inhibit_rules = false;
  EXPECT_TRUE(Inhibitor::from_config(c).inhibited(at(1s), book.alerts()).empty());
}

TEST(Inhibitor, ConfiguredRuleWithEqualLabels) {
  config::AlertingConfig c;
  c.builtin_inhibit_rules = false;
  c.inhibit_rules.push_back({{{"severity", Op::equal, "critical"}},
                             {{"severity", Op::equal, "warning"}},
                             {"target", "queue"}});
  AlertBook book;
  auto critical = condition("stuck_in_progress", "a", "q1");
  critical.severity = "critical";
  book.evaluate(at(0s), {critical, condition("queue_latency", "a", "q1"),
                         condition("queue_latency", "a", "q2")});
  const std::vector<Alert> alerts = book.alerts();
  const std::set<std::string> inhibited = Inhibitor::from_config(c).inhibited(at(0s), alerts);
  ASSERT_EQ(inhibited.size(), 1u);
  const Alert* q1 = nullptr;
  for (const Alert& a : alerts) {
    if (a.labels.at("alertname") == "queue_latency" && a.labels.at("queue") == "q1") q1 = &a;
  }
  ASSERT_NE(q1, nullptr);
  EXPECT_TRUE(inhibited.contains(q1->fingerprint));
}

TEST(Inhibitor, AnAlertNeverInhibitsItselfNorDoTwoSidedMatchesSilenceEachOther) {
  config::AlertingConfig c;
  c.builtin_inhibit_rules = false;
  // Source and target sides both match every no_throughput alert.
  c.inhibit_rules.push_back({{{"alertname", Op::equal, "no_throughput"}},
                             {{"alertname", Op::equal, "no_throughput"}},
                             {"target"}});
  AlertBook book;
  book.evaluate(at(0s), {condition("no_throughput", "a", "q1")});
  EXPECT_TRUE(Inhibitor::from_config(c).inhibited(at(0s), book.alerts()).empty());
  book.evaluate(at(1s),
                {condition("no_throughput", "a", "q1"), condition("no_throughput", "a", "q2")});
  EXPECT_TRUE(Inhibitor::from_config(c).inhibited(at(1s), book.alerts()).empty());
}

TEST(Inhibitor, ResolvedSourceInhibitsForTheReleaseDelayOnly) {
  config::AlertingConfig c = builtin_only();
  c.inhibit_release_delay = 1min;
  const Inhibitor inhibitor = Inhibitor::from_config(c);
  AlertBook book;
  book.evaluate(at(0s),
                {condition("database_unavailable", "a"), condition("no_throughput", "a", "q")});
  book.evaluate(at(5s), {condition("no_throughput", "a", "q")});  // database back at 5s
  EXPECT_EQ(inhibitor.inhibited(at(5s), book.alerts()).size(), 1u);
  EXPECT_EQ(inhibitor.inhibited(at(64999ms), book.alerts()).size(), 1u);
  EXPECT_TRUE(inhibitor.inhibited(at(65s), book.alerts()).empty());

  c.inhibit_release_delay = 0ms;  // Alertmanager's semantics: only firing sources inhibit
  EXPECT_TRUE(Inhibitor::from_config(c).inhibited(at(5s), book.alerts()).empty());
}

}  // namespace
}  // namespace qw::alerts::test
