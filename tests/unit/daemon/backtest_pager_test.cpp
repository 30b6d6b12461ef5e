// The backtest prints pages, as the daemon sends them: an alert its built-in inhibition holds
// back is not a page until nothing holds it back.
#include "daemon/backtest_pager.hpp"

#include <gtest/gtest.h>

#include "config/alerting_config.hpp"

namespace qw::daemon {
namespace {

using alerts::Alert;
using alerts::AlertState;
using alerts::Transition;
using namespace std::chrono_literals;

const alerts::Time t0{std::chrono::hours(24 * 400)};

Alert alert(const std::string& name, AlertState state) {
  Alert a;
  a.fingerprint = "fp-" + name;
  a.labels = {{"alertname", name}, {"target", "backtest"}, {"source", "q"}, {"queue", "q"}};
  a.state = state;
  return a;
}

Transition change(alerts::Time at, const std::string& name, AlertState from, AlertState to) {
  return Transition{at, "fp-" + name, name, from, to, 0};
}

BacktestPager pager() {
  return BacktestPager(config::AlertingConfig{});
}

// Firing, its condition held at `at`.
Alert holding(const std::string& name, alerts::Time at) {
  Alert a = alert(name, AlertState::firing);
  a.last_active = at;
  return a;
}

std::vector<std::string> states(const std::vector<BacktestRow>& rows) {
  std::vector<std::string> out;
  for (const BacktestRow& r : rows) out.push_back(r.alertname + " " + r.state);
  return out;
}

TEST(BacktestPager, AnAlertHeldBackOnItsQueueIsNotAPage) {
  BacktestPager p = pager();
  const auto rows =
      p.rows(t0,
             {change(t0, "no_throughput", AlertState::pending, AlertState::firing),
              change(t0, "throughput_collapse", AlertState::pending, AlertState::firing)},
             {alert("no_throughput", AlertState::firing),
              alert("throughput_collapse", AlertState::firing)});
  EXPECT_EQ(states(rows),
            (std::vector<std::string>{"no_throughput firing", "throughput_collapse inhibited"}));
  EXPECT_TRUE(rows[0].fired);
  EXPECT_FALSE(rows[1].fired);

  // Both resolve: only the page resolves; the held-back one ends without having been sent.
  Alert nt = alert("no_throughput", AlertState::inactive);
  nt.resolved_at = t0 + 5min;
  Alert tc = alert("throughput_collapse", AlertState::inactive);
  tc.resolved_at = t0 + 5min;
  EXPECT_EQ(
      states(p.rows(
          t0 + 5min,
          {change(t0 + 5min, "no_throughput", AlertState::firing, AlertState::inactive),
           change(t0 + 5min, "throughput_collapse", AlertState::firing, AlertState::inactive)},
          {nt, tc})),
      (std::vector<std::string>{"no_throughput resolved", "throughput_collapse inactive"}));
}

TEST(BacktestPager, AHeldBackAlertStillHoldingPagesOnceReleased) {
  BacktestPager p = pager();
  p.rows(t0,
         {change(t0, "no_throughput", AlertState::pending, AlertState::firing),
          change(t0, "below_baseline", AlertState::pending, AlertState::firing)},
         {holding("no_throughput", t0), holding("below_baseline", t0)});
  Alert nt = alert("no_throughput", AlertState::inactive);
  nt.resolved_at = t0 + 5min;
  // Within the release delay (1 min by default) the resolved source still holds it back.
  EXPECT_EQ(
      states(p.rows(t0 + 5min,
                    {change(t0 + 5min, "no_throughput", AlertState::firing, AlertState::inactive)},
                    {nt, holding("below_baseline", t0 + 5min)})),
      (std::vector<std::string>{"no_throughput resolved"}));
  const auto later = p.rows(t0 + 7min, {}, {nt, holding("below_baseline", t0 + 7min)});
  ASSERT_EQ(states(later), (std::vector<std::string>{"below_baseline firing"}));
  EXPECT_TRUE(later[0].fired);
  EXPECT_EQ(later[0].at, t0 + 7min);
  // Sent once: it is not sent again meanwhile, and resolves as a page.
  EXPECT_TRUE(p.rows(t0 + 8min, {}, {nt, holding("below_baseline", t0 + 8min)}).empty());
  Alert bb = alert("below_baseline", AlertState::inactive);
  bb.resolved_at = t0 + 9min;
  EXPECT_EQ(
      states(p.rows(t0 + 9min,
                    {change(t0 + 9min, "below_baseline", AlertState::firing, AlertState::inactive)},
                    {nt, bb})),
      (std::vector<std::string>{"below_baseline resolved"}));
}

TEST(BacktestPager, AReleasedAlertFiringOnlyByKeepFiringForIsNotAPage) {
  BacktestPager p = pager();
  p.rows(t0,
         {change(t0, "no_throughput", AlertState::pending, AlertState::firing),
          change(t0, "throughput_collapse", AlertState::pending, AlertState::firing)},
         {holding("no_throughput", t0), holding("throughput_collapse", t0)});
  Alert nt = alert("no_throughput", AlertState::inactive);
  nt.resolved_at = t0 + 1min;
  // The queue recovered: the collapse fires on only by keep_firing_for. That news is over.
  EXPECT_TRUE(p.rows(t0 + 5min, {}, {nt, holding("throughput_collapse", t0)}).empty());
  Alert tc = alert("throughput_collapse", AlertState::inactive);
  tc.resolved_at = t0 + 15min;
  EXPECT_EQ(states(p.rows(t0 + 15min,
                          {change(t0 + 15min, "throughput_collapse", AlertState::firing,
                                  AlertState::inactive)},
                          {nt, tc})),
            (std::vector<std::string>{"throughput_collapse inactive"}));
}

TEST(BacktestPager, AlertsNothingHoldsBackPageWhenTheyFire) {
  BacktestPager p = pager();
  const auto rows =
      p.rows(t0,
             {change(t0, "below_baseline", AlertState::inactive, AlertState::pending),
              change(t0, "stuck_in_progress", AlertState::pending, AlertState::firing)},
             {alert("below_baseline", AlertState::pending),
              alert("stuck_in_progress", AlertState::firing)});
  EXPECT_EQ(states(rows),
            (std::vector<std::string>{"below_baseline pending", "stuck_in_progress firing"}));
}

}  // namespace
}  // namespace qw::daemon
