// What gets notified to whom, evaluation by evaluation: the book, inhibition and the planner
// together, as the daemon drives them.
#include "alerts/alert_engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "alert_test_support.hpp"

namespace qw::alerts::test {
namespace {

using Op = config::LabelMatcher::Op;

config::AlertingConfig one_receiver() {
  config::AlertingConfig c;
  c.receivers = {receiver("pager")};
  c.default_receiver = "pager";
  c.repeat_interval = 1h;
  return c;
}

std::vector<std::string> kinds(const std::vector<Notification>& ns) {
  std::vector<std::string> out;
  for (const Notification& n : ns) {
    out.push_back(std::string(to_string(n.kind)) + " " + n.labels.at("alertname") + " " +
                  n.labels.at("target") + " -> " + n.receiver);
  }
  std::sort(out.begin(), out.end());  // the planner's order follows fingerprints
  return out;
}

using Strings = std::vector<std::string>;

TEST(AlertEngine, FiringIsNotifiedOnceThenRemindedAtTheRepeatInterval) {
  AlertEngine engine(one_receiver());
  const auto c = condition("no_throughput", "a", "q");
  const EngineStep first = engine.evaluate(at(0s), {c});
  EXPECT_EQ(kinds(first.notifications), Strings{"firing no_throughput a -> pager"});
  const Notification& n = first.notifications[0];
  EXPECT_EQ(n.starts_at, at(0s));
  EXPECT_FALSE(n.ends_at.has_value());
  EXPECT_EQ(n.annotations.at("summary"), "no_throughput on a");
  EXPECT_TRUE(engine.evaluate(at(30min), {c}).notifications.empty());
  EXPECT_TRUE(engine.evaluate(at(59min), {c}).notifications.empty());
  EXPECT_EQ(kinds(engine.evaluate(at(60min), {c}).notifications),
            Strings{"repeat no_throughput a -> pager"});
  EXPECT_TRUE(engine.evaluate(at(90min), {c}).notifications.empty());
  EXPECT_EQ(kinds(engine.evaluate(at(120min), {c}).notifications),
            Strings{"repeat no_throughput a -> pager"});
}

// The provider's status page speaks after the page went out (it is often the last to know): the
// receiver hears a repeat at once with the quote, once per new quote, never for its removal.
TEST(AlertEngine, TheProvidersQuoteIsNewsForAPageAlreadyOut) {
  AlertEngine engine(one_receiver());
  auto c = condition("database_unavailable", "primary-db");
  EXPECT_EQ(kinds(engine.evaluate(at(0s), {c}).notifications),
            Strings{"firing database_unavailable primary-db -> pager"});
  EXPECT_TRUE(engine.evaluate(at(5s), {c}).notifications.empty());
  c.annotations["summary"] += "; provider reports 'SQL Database – degraded' since 07:10 UTC";
  c.annotations["provider_incident"] = "SQL Database – degraded";
  const EngineStep quoted = engine.evaluate(at(10s), {c});
  ASSERT_EQ(kinds(quoted.notifications),
            Strings{"repeat database_unavailable primary-db -> pager"});
  EXPECT_EQ(quoted.notifications[0].annotations.at("provider_incident"), "SQL Database – degraded");
  EXPECT_EQ(quoted.notifications[0].starts_at, at(0s));  // the same incident
  EXPECT_TRUE(engine.evaluate(at(15s), {c}).notifications.empty());
  c.annotations["provider_incident"] = "SQL Database – unavailable";  // another incident
  EXPECT_EQ(kinds(engine.evaluate(at(20s), {c}).notifications),
            Strings{"repeat database_unavailable primary-db -> pager"});
  c.annotations.erase("provider_incident");  // the provider's incident ended, ours did not
  EXPECT_TRUE(engine.evaluate(at(25s), {c}).notifications.empty());
  // A page that starts with a quote is not repeated for it.
  AlertEngine fresh(one_receiver());
  c.annotations["provider_incident"] = "SQL Database – degraded";
  EXPECT_EQ(kinds(fresh.evaluate(at(0s), {c}).notifications),
            Strings{"firing database_unavailable primary-db -> pager"});
  EXPECT_TRUE(fresh.evaluate(at(5s), {c}).notifications.empty());
}

TEST(AlertEngine, ResolvedIsNotifiedOnce) {
  AlertEngine engine(one_receiver());
  const auto c = condition("no_throughput", "a", "q");
  engine.evaluate(at(0s), {c});
  const EngineStep resolved = engine.evaluate(at(10s), {});
  EXPECT_EQ(kinds(resolved.notifications), Strings{"resolved no_throughput a -> pager"});
  EXPECT_EQ(resolved.notifications[0].ends_at, at(10s));
  EXPECT_EQ(resolved.notifications[0].starts_at, at(0s));
  EXPECT_TRUE(engine.evaluate(at(20s), {}).notifications.empty());
  EXPECT_TRUE(engine.evaluate(at(2h), {}).notifications.empty());
}

TEST(AlertEngine, PendingThatClearsNeverNotifies) {
  AlertEngine engine(one_receiver());
  const auto c = condition("queue_latency", "a", "q", 5min);
  EXPECT_TRUE(engine.evaluate(at(0s), {c}).notifications.empty());
  EXPECT_TRUE(engine.evaluate(at(1min), {c}).notifications.empty());
  EXPECT_TRUE(engine.evaluate(at(2min), {}).notifications.empty());
  EXPECT_TRUE(engine.evaluate(at(3min), {}).notifications.empty());
}

TEST(AlertEngine, ANewIncidentPagesAgain) {
  AlertEngine engine(one_receiver());
  const auto c = condition("no_throughput", "a", "q");
  engine.evaluate(at(0s), {c});
  engine.evaluate(at(10s), {});
  const EngineStep again = engine.evaluate(at(20s), {c});
  EXPECT_EQ(kinds(again.notifications), Strings{"firing no_throughput a -> pager"});
  EXPECT_EQ(again.notifications[0].starts_at, at(20s));
}

TEST(AlertEngine, DatabaseDownPagesOnceWithTheQueueAlertsInhibited) {
  AlertEngine engine(one_receiver());
  const std::vector<rules::ActiveCondition> down = {
      condition("database_unavailable", "a"), condition("no_throughput", "a", "q1"),
      condition("cannot_measure", "a", "q2"), condition("no_throughput", "b", "q1")};
  const EngineStep step = engine.evaluate(at(0s), down);
  EXPECT_EQ(kinds(step.notifications),
            (Strings{"firing database_unavailable a -> pager", "firing no_throughput b -> pager"}))
      << "nothing for a's queues: the database being down is the news";
  EXPECT_EQ(step.inhibited.size(), 2u);
  EXPECT_TRUE(engine.evaluate(at(10s), down).notifications.empty());
}

TEST(AlertEngine, InhibitedAlertIsNotifiedWhenTheInhibitionEnds) {
  config::AlertingConfig c = one_receiver();
  c.inhibit_release_delay = 1min;
  AlertEngine engine(c);
  const auto db = condition("database_unavailable", "a");
  const auto queue = condition("no_throughput", "a", "q");
  EXPECT_EQ(kinds(engine.evaluate(at(0s), {db, queue}).notifications),
            Strings{"firing database_unavailable a -> pager"});
  EXPECT_EQ(kinds(engine.evaluate(at(10s), {queue}).notifications),
            Strings{"resolved database_unavailable a -> pager"});
  EXPECT_TRUE(engine.evaluate(at(69s), {queue}).notifications.empty())
      << "the queue may just be waiting for its next probe round";
  // A minute after the database came back the queue is still stalled: now it is news.
  EXPECT_EQ(kinds(engine.evaluate(at(70s), {queue}).notifications),
            Strings{"firing no_throughput a -> pager"});
}

TEST(AlertEngine, InhibitedAlertThatResolvesIsNeverMentioned) {
  AlertEngine engine(one_receiver());
  const auto db = condition("database_unavailable", "a");
  const auto queue = condition("no_throughput", "a", "q");
  engine.evaluate(at(0s), {db, queue});
  EXPECT_EQ(kinds(engine.evaluate(at(10s), {}).notifications),
            Strings{"resolved database_unavailable a -> pager"});
}

// A queue stalled (no_throughput) and also collapsed; the collapse was held back as its
// consequence. The stall ends, and so does the collapse's condition, but keep_firing_for keeps
// it firing for 15 minutes: when the inhibition ends it is not news (its condition is over), and
// the recovered queue must not page. Had the condition still held, it would page (test above).
TEST(AlertEngine, AHeldBackAlertKeptFiringOnlyByKeepFiringForNeverPages) {
  config::AlertingConfig c = one_receiver();
  c.inhibit_release_delay = 1min;
  AlertEngine engine(c);
  const auto stall = condition("no_throughput", "a", "q");
  const auto collapse = condition("throughput_collapse", "a", "q", 0ms, 15min);
  EXPECT_EQ(kinds(engine.evaluate(at(0s), {stall, collapse}).notifications),
            Strings{"firing no_throughput a -> pager"});
  EXPECT_EQ(kinds(engine.evaluate(at(30s), {}).notifications),
            Strings{"resolved no_throughput a -> pager"});
  for (auto t = 40s; t < 20min; t += 10s) {
    const EngineStep step = engine.evaluate(at(t), {});
    EXPECT_TRUE(step.notifications.empty())
        << "at " << t.count() << " s: " << kinds(step.notifications).front();
  }
}

TEST(AlertEngine, ResolvedGoesOnlyToReceiversToldItWasFiring) {
  config::AlertingConfig c = one_receiver();
  c.receivers.push_back(receiver("slack"));
  c.routes.push_back({{{"queue", Op::equal, "q"}}, "slack", false, std::nullopt});
  AlertEngine engine(c);
  const auto queue = condition("no_throughput", "a", "q");
  EXPECT_EQ(kinds(engine.evaluate(at(0s), {queue}).notifications),
            Strings{"firing no_throughput a -> slack"});
  EXPECT_EQ(kinds(engine.evaluate(at(10s), {}).notifications),
            Strings{"resolved no_throughput a -> slack"});
}

TEST(AlertEngine, NotificationIdsAreUnique) {
  config::AlertingConfig c = one_receiver();
  c.receivers.push_back(receiver("audit"));
  c.routes.push_back({{}, "audit", true, std::nullopt});
  c.routes.push_back({{}, "pager", false, std::nullopt});
  AlertEngine engine(c);
  std::set<std::string> ids;
  std::size_t total = 0;
  const auto cond = condition("no_throughput", "a", "q");
  for (auto step : {engine.evaluate(at(0s), {cond}), engine.evaluate(at(1h), {cond}),
                    engine.evaluate(at(2h), {})}) {
    for (const Notification& n : step.notifications) {
      ids.insert(n.id);
      ++total;
    }
  }
  EXPECT_EQ(total, 6u);  // firing, repeat, resolved to each of two receivers
  EXPECT_EQ(ids.size(), total);
}

TEST(AlertEngine, WatchdogAlwaysFires) {
  config::AlertingConfig c = one_receiver();
  c.heartbeat.watchdog_alert = true;
  c.external_labels = {{"cluster", "eu1"}};
  AlertEngine engine(c);
  const EngineStep step = engine.evaluate(at(0s), {});
  ASSERT_EQ(step.notifications.size(), 1u);
  const Notification& n = step.notifications[0];
  EXPECT_EQ(n.labels.at("alertname"), "Watchdog");
  EXPECT_EQ(n.labels.at("severity"), "none");
  EXPECT_EQ(n.labels.at("cluster"), "eu1");
  EXPECT_TRUE(engine.evaluate(at(30min), {}).notifications.empty());
  EXPECT_EQ(engine.evaluate(at(1h), {}).notifications.size(), 1u);  // its reminder
}

TEST(AlertEngine, NoReceiversMeansNoNotifications) {
  AlertEngine engine(config::AlertingConfig{});
  EXPECT_TRUE(
      engine.evaluate(at(0s), {condition("no_throughput", "a", "q")}).notifications.empty());
}

}  // namespace
}  // namespace qw::alerts::test

namespace qw::alerts::test {
namespace {

// The scenario with the rules' default `for`s: PostgreSQL stops, its queues cannot be
// measured; then it comes back. One page that names the reason, then its resolution.
TEST(AlertEngine, DatabaseOutageScenario) {
  AlertEngine engine(one_receiver());
  auto db = condition("database_unavailable", "a", "", 15s);
  db.annotations["summary"] = "PostgreSQL a is unavailable: connection_refused";
  const auto q1 = condition("cannot_measure", "a", "q1", 1min);
  const auto q2 = condition("cannot_measure", "a", "q2", 1min);
  std::vector<Notification> sent;
  auto run = [&](std::chrono::milliseconds t, const std::vector<rules::ActiveCondition>& active) {
    EngineStep step = engine.evaluate(at(t), active);
    sent.insert(sent.end(), step.notifications.begin(), step.notifications.end());
    return step;
  };
  for (auto t = 0s; t <= 300s; t += 5s) run(t, {db, q1, q2});
  ASSERT_EQ(sent.size(), 1u) << "exactly one page for the outage";
  EXPECT_EQ(sent[0].kind, NotificationKind::firing);
  EXPECT_EQ(sent[0].labels.at("alertname"), "database_unavailable");
  EXPECT_EQ(sent[0].annotations.at("summary"), "PostgreSQL a is unavailable: connection_refused");
  // PostgreSQL is back; the queue probes catch up a round later, one queue later still.
  run(305s, {q1, q2});
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].kind, NotificationKind::resolved);
  EXPECT_EQ(sent[1].labels.at("alertname"), "database_unavailable");
  run(320s, {q2});
  for (auto t = 335s; t <= 400s; t += 5s) run(t, {});
  EXPECT_EQ(sent.size(), 2u) << "the inhibited queue alerts were never news";
}

TEST(AlertEngine, NeedsSaveOnlyWhenARestartWouldCare) {
  AlertEngine engine(one_receiver());
  auto c = condition("queue_latency", "a", "q", 1min);
  EXPECT_TRUE(engine.evaluate(at(0s), {c}).needs_save());  // pending: active_at must survive
  c.value = 2;
  EXPECT_FALSE(engine.evaluate(at(5s), {c}).needs_save());
  EXPECT_TRUE(engine.evaluate(at(1min), {c}).needs_save());  // fired and notified
  EXPECT_FALSE(engine.evaluate(at(2min), {c}).needs_save());
}

TEST(AlertEngine, ReloadKeepsStateAndDropsRemovedReceivers) {
  config::AlertingConfig c = one_receiver();
  c.receivers.push_back(receiver("slack"));
  c.routes.push_back({{}, "slack", true, std::nullopt});
  c.routes.push_back({{}, "pager", false, std::nullopt});
  AlertEngine engine(c);
  const auto cond = condition("no_throughput", "a", "q");
  EXPECT_EQ(engine.evaluate(at(0s), {cond}).notifications.size(), 2u);  // slack and pager
  engine.reconfigure(one_receiver());                                   // slack is gone
  EXPECT_TRUE(engine.evaluate(at(5s), {cond}).notifications.empty()) << "no re-page on reload";
  EXPECT_EQ(kinds(engine.evaluate(at(10s), {}).notifications),
            Strings{"resolved no_throughput a -> pager"});
}

}  // namespace
}  // namespace qw::alerts::test
