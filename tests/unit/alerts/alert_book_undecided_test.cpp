// An alert resolves on evidence: one whose fingerprint the rules could not judge this evaluation
// (after a restart, before its subject is measured again) keeps its state, incident and all.
#include <gtest/gtest.h>

#include "alert_test_support.hpp"
#include "alerts/alert_book.hpp"

namespace qw::alerts::test {
namespace {

TEST(AlertBookUndecided, FiringAlertIsKeptWhileUndecidedAndResolvesOnEvidence) {
  AlertBook book;
  book.evaluate(at(0s), {condition("no_throughput", "a", "q")});
  const Alert fired = book.alerts().at(0);
  ASSERT_EQ(fired.state, AlertState::firing);

  // The condition is absent, but the rules had no verdict: nothing changes.
  const std::set<std::string> undecided{fired.fingerprint};
  EXPECT_TRUE(book.evaluate(at(10s), {}, undecided).empty());
  EXPECT_TRUE(book.evaluate(at(90s), {}, undecided).empty());
  ASSERT_EQ(book.alerts().size(), 1u);
  EXPECT_EQ(book.alerts()[0].state, AlertState::firing);
  EXPECT_EQ(book.alerts()[0].active_at, fired.active_at);  // the same incident

  // Judged again and holding: still the same incident.
  EXPECT_TRUE(book.evaluate(at(100s), {condition("no_throughput", "a", "q")}).empty());
  EXPECT_EQ(book.alerts()[0].active_at, fired.active_at);

  // Seen not to hold: resolved.
  const auto tr = book.evaluate(at(110s), {});
  ASSERT_EQ(tr.size(), 1u);
  EXPECT_EQ(tr[0].to, AlertState::inactive);
}

TEST(AlertBookUndecided, PendingAlertStaysPendingWhileUndecided) {
  AlertBook book;
  book.evaluate(at(0s), {condition("queue_latency", "a", "q", 60s)});
  const Alert pending = book.alerts().at(0);
  ASSERT_EQ(pending.state, AlertState::pending);
  EXPECT_TRUE(book.evaluate(at(70s), {}, {pending.fingerprint}).empty());
  EXPECT_EQ(book.alerts().at(0).state, AlertState::pending);
}

TEST(AlertBookUndecided, OtherAlertsStillResolve) {
  AlertBook book;
  book.evaluate(at(0s), {condition("no_throughput", "a", "q"), condition("no_throughput", "b")});
  const std::vector<Alert> before = book.alerts();
  const Alert* a = find_alert(before, "no_throughput", "a");
  ASSERT_NE(a, nullptr);
  const auto tr = book.evaluate(at(10s), {}, {a->fingerprint});
  ASSERT_EQ(tr.size(), 1u);
  const std::vector<Alert> after = book.alerts();
  EXPECT_EQ(find_alert(after, "no_throughput", "a")->state, AlertState::firing);
  EXPECT_EQ(find_alert(after, "no_throughput", "b")->state, AlertState::inactive);
}

}  // namespace
}  // namespace qw::alerts::test
