// The lifecycle, evaluation by evaluation, on a fake clock.
#include "alerts/alert_book.hpp"

#include <gtest/gtest.h>

#include "alert_test_support.hpp"

namespace qw::alerts::test {
namespace {

std::vector<Alert> step(AlertBook& book, std::chrono::milliseconds t,
                        const std::vector<rules::ActiveCondition>& active) {
  book.evaluate(at(t), active);
  return book.alerts();
}

TEST(AlertBook, ForZeroFiresAtOnce) {
  AlertBook book;
  const std::vector<Transition> tr = book.evaluate(at(0s), {condition("no_throughput", "a", "q")});
  ASSERT_EQ(tr.size(), 1u);
  EXPECT_EQ(tr[0].from, AlertState::inactive);
  EXPECT_EQ(tr[0].to, AlertState::firing);
  EXPECT_EQ(tr[0].alertname, "no_throughput");
  const std::vector<Alert> alerts = book.alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].state, AlertState::firing);
  EXPECT_EQ(alerts[0].fired_at, at(0s));
  EXPECT_EQ(alerts[0].active_at, at(0s));
}

TEST(AlertBook, PendingForThenFiring) {
  AlertBook book;
  const auto c = condition("queue_latency", "a", "q", 30s);
  EXPECT_EQ(step(book, 0s, {c})[0].state, AlertState::pending);
  EXPECT_EQ(step(book, 15s, {c})[0].state, AlertState::pending);
  EXPECT_EQ(step(book, 29999ms, {c})[0].state, AlertState::pending);
  const std::vector<Transition> tr = book.evaluate(at(30s), {c});
  ASSERT_EQ(tr.size(), 1u);
  EXPECT_EQ(tr[0].from, AlertState::pending);
  EXPECT_EQ(tr[0].to, AlertState::firing);
  const Alert a = book.alerts()[0];
  EXPECT_EQ(a.active_at, at(0s));  // the incident began when pending began
  EXPECT_EQ(a.fired_at, at(30s));
}

TEST(AlertBook, PendingThatClearsIsForgotten) {
  AlertBook book;
  const auto c = condition("queue_latency", "a", "q", 30s);
  step(book, 0s, {c});
  const std::vector<Transition> tr = book.evaluate(at(10s), {});
  ASSERT_EQ(tr.size(), 1u);
  EXPECT_EQ(tr[0].from, AlertState::pending);
  EXPECT_EQ(tr[0].to, AlertState::inactive);
  EXPECT_TRUE(book.alerts().empty());  // nothing to resolve: it never fired
  // Active again later: `for` starts over.
  EXPECT_EQ(step(book, 20s, {c})[0].active_at, at(20s));
}

TEST(AlertBook, KeepFiringForHoldsThenResolves) {
  AlertBook book;
  const auto c = condition("no_throughput", "a", "q", 0s, 60s);
  step(book, 0s, {c});
  step(book, 10s, {c});  // last active at 10s
  EXPECT_EQ(step(book, 20s, {})[0].state, AlertState::firing);
  EXPECT_EQ(step(book, 69999ms, {})[0].state, AlertState::firing);
  const std::vector<Transition> tr = book.evaluate(at(70s), {});
  ASSERT_EQ(tr.size(), 1u);
  EXPECT_EQ(tr[0].from, AlertState::firing);
  EXPECT_EQ(tr[0].to, AlertState::inactive);
  const Alert a = book.alerts()[0];
  EXPECT_EQ(a.state, AlertState::inactive);
  EXPECT_EQ(a.resolved_at, at(70s));
}

TEST(AlertBook, ActiveAgainWithinKeepFiringForIsTheSameIncident) {
  AlertBook book;
  const auto c = condition("no_throughput", "a", "q", 0s, 60s);
  step(book, 0s, {c});
  step(book, 10s, {});
  const std::vector<Transition> tr = book.evaluate(at(20s), {c});
  EXPECT_TRUE(tr.empty());
  EXPECT_EQ(book.alerts()[0].active_at, at(0s));
  EXPECT_EQ(book.alerts()[0].fired_at, at(0s));
}

TEST(AlertBook, FiringWithoutKeepFiringForResolvesAtOnce) {
  AlertBook book;
  step(book, 0s, {condition("no_throughput", "a", "q")});
  const Alert a = step(book, 5s, {})[0];
  EXPECT_EQ(a.state, AlertState::inactive);
  EXPECT_EQ(a.resolved_at, at(5s));
}

TEST(AlertBook, ReactivationAfterResolveIsANewIncident) {
  AlertBook book;
  const auto c = condition("queue_latency", "a", "q", 10s);
  step(book, 0s, {c});
  step(book, 10s, {c});  // firing
  step(book, 20s, {});   // resolved
  const std::vector<Transition> tr = book.evaluate(at(30s), {c});
  ASSERT_EQ(tr.size(), 1u);
  EXPECT_EQ(tr[0].from, AlertState::inactive);
  EXPECT_EQ(tr[0].to, AlertState::pending);
  const Alert a = book.alerts()[0];
  EXPECT_EQ(a.active_at, at(30s));
  EXPECT_FALSE(a.fired_at.has_value());
  EXPECT_FALSE(a.resolved_at.has_value());
}

TEST(AlertBook, ResolvedAlertsAreKeptForRetentionThenDropped) {
  BookOptions options;
  options.resolved_retention = 15min;
  AlertBook book(options);
  step(book, 0s, {condition("no_throughput", "a", "q")});
  step(book, 1min, {});  // resolved at 1m
  EXPECT_EQ(step(book, 15min, {}).size(), 1u);
  EXPECT_TRUE(step(book, 16min, {}).empty());
}

TEST(AlertBook, ValueAndAnnotationsFollowTheLatestEvaluation) {
  AlertBook book;
  auto c = condition("no_throughput", "a", "q");
  c.annotations["description"] = "silent for 1m";
  c.value = 60;
  step(book, 0s, {c});
  c.value = 303;
  c.annotations["description"] = "silent for 5m 3s";
  const Alert a = step(book, 5s, {c})[0];
  EXPECT_EQ(a.value, 303);
  EXPECT_EQ(a.annotations.at("description"), "silent for 5m 3s");
  EXPECT_EQ(a.annotations.at("summary"), "no_throughput on a");
}

// Issue 7: a queue named like a template was expanded in the page, because the rules' text
// (which quotes the name) was expanded once more here. Table data is never template source.
TEST(AlertBook, AnnotationsAreTakenVerbatimNeverExpandedAgain) {
  const std::string name = "{{ $labels.target }}/{{ $value | humanizeDuration }}";
  auto c = condition("no_throughput", "a", name);
  c.value = 303;
  c.annotations["summary"] = "jobs/" + name + ": no job completed for 5m";
  c.annotations["description"] = "{{ $labels.queue }} {{ $value }} {{ $externalURL }} {{";
  AlertBook book(BookOptions{{{"cluster", "{{ $value }}"}}, 15min});
  const Alert a = step(book, 0s, {c})[0];
  EXPECT_EQ(a.labels.at("queue"), name);
  EXPECT_EQ(a.annotations.at("summary"), "jobs/" + name + ": no job completed for 5m");
  EXPECT_EQ(a.annotations.at("description"),
            "{{ $labels.queue }} {{ $value }} {{ $externalURL }} {{");
}

TEST(AlertBook, IdentityIsTheLabelsIncludingExternalOnes) {
  BookOptions options;
  options.external_labels = {{"cluster", "eu1"}, {"target", "ignored"}};
  AlertBook book(options);
  const std::vector<Alert> alerts =
      step(book, 0s,
           {condition("no_throughput", "a", "q1"), condition("no_throughput", "a", "q2"),
            condition("no_throughput", "b", "q1")});
  ASSERT_EQ(alerts.size(), 3u);
  for (const Alert& a : alerts) {
    EXPECT_EQ(a.labels.at("cluster"), "eu1");
    EXPECT_NE(a.labels.at("target"), "ignored");  // the alert's own label wins
    EXPECT_EQ(a.labels.at("severity"), "warning");
    EXPECT_EQ(a.labels.at("alertname"), "no_throughput");
  }
  EXPECT_NE(alerts[0].fingerprint, alerts[1].fingerprint);
  EXPECT_NE(alerts[1].fingerprint, alerts[2].fingerprint);
}

TEST(AlertBook, DuplicateConditionsAreOneAlert) {
  AlertBook book;
  const auto c = condition("no_throughput", "a", "q");
  const std::vector<Transition> tr = book.evaluate(at(0s), {c, c});
  EXPECT_EQ(tr.size(), 1u);
  EXPECT_EQ(book.alerts().size(), 1u);
}

TEST(AlertBook, RestoredPendingAlertKeepsItsClock) {
  AlertBook first;
  const auto c = condition("queue_latency", "a", "q", 30s);
  step(first, 0s, {c});
  AlertBook second;
  second.restore(first.alerts());
  EXPECT_EQ(step(second, 20s, {c})[0].state, AlertState::pending);
  const Alert a = step(second, 30s, {c})[0];
  EXPECT_EQ(a.state, AlertState::firing);
  EXPECT_EQ(a.active_at, at(0s));
}

}  // namespace
}  // namespace qw::alerts::test
