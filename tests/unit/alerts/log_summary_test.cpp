// Floods of one event (a full disk, a receiver's dropped notifications) make one log line, not
// one per event, and the last burst is still logged: by flush(), on the owner's timer or at stop.
#include "alerts/log_summary.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "alerts/state_errors.hpp"

namespace qw::alerts {
namespace {

using namespace std::chrono_literals;

TEST(LogSummary, AFloodIsOneLineThenASummaryOnFlush) {
  LogSummary log(spdlog::level::warn, 1h);
  for (int i = 0; i < 26048; ++i) log.note("pd", "dropped " + std::to_string(i));
  EXPECT_EQ(log.lines(), 1u);
  log.flush();  // not due yet
  EXPECT_EQ(log.lines(), 1u);
  log.flush(true);  // at stop: the last burst is logged
  EXPECT_EQ(log.lines(), 2u);
  log.flush(true);  // nothing left
  EXPECT_EQ(log.lines(), 2u);
}

TEST(LogSummary, ADueSummaryIsFlushedWithoutANextEvent) {
  LogSummary log(spdlog::level::warn, 0ms);
  log.note("pd", "first");
  EXPECT_EQ(log.lines(), 1u);
  LogSummary slow(spdlog::level::warn, 1h);
  slow.note("a", "x");
  slow.note("b", "y");  // kinds are limited separately
  EXPECT_EQ(slow.lines(), 2u);
}

TEST(StateErrors, CountsEveryErrorLogsFewLinesAndExportsTheCounter) {
  prometheus::Registry registry;
  StateErrors errors(registry, 1h);
  for (int i = 0; i < 100; ++i) errors.failed(StateErrors::kOutbox, "cannot write: ENOSPC");
  EXPECT_EQ(errors.count("outbox"), 100u);
  EXPECT_EQ(errors.count("alerts"), 0u);
  EXPECT_EQ(errors.log_lines(), 1u);
  double exported = -1;
  std::size_t series = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != "queuewatch_state_write_errors_total") continue;
    series = family.metric.size();
    for (const auto& m : family.metric) {
      if (m.label.at(0).value == "outbox") exported = m.counter.value;
    }
  }
  EXPECT_EQ(series, 3u) << "outbox, alerts and baselines exist from the start, at 0";
  EXPECT_EQ(exported, 100);
  errors.succeeded(StateErrors::kOutbox);  // flushes the summary before the recovery line
  EXPECT_EQ(errors.log_lines(), 2u);
}

}  // namespace
}  // namespace qw::alerts
