#include "alerts/alert_metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "alert_test_support.hpp"
#include "alerts/alert_engine.hpp"

namespace qw::alerts::test {
namespace {

std::string scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(AlertMetrics, CountsPendingFiringAndInhibited) {
  AlertEngine engine(config::AlertingConfig{});
  const EngineStep step = engine.evaluate(
      at(0s), {condition("database_unavailable", "a"), condition("no_throughput", "a", "q1"),
               condition("no_throughput", "b", "q1"), condition("no_throughput", "b", "q2"),
               condition("queue_latency", "b", "q1", 5min)});
  const auto counts = count_alerts(engine.alerts(), step.inhibited);
  EXPECT_EQ(counts.at({"database_unavailable", "critical", "firing"}), 1);
  EXPECT_EQ(counts.at({"no_throughput", "warning", "firing"}), 2);
  EXPECT_EQ(counts.at({"no_throughput", "warning", "inhibited"}), 1);
  EXPECT_EQ(counts.at({"queue_latency", "warning", "pending"}), 1);
  EXPECT_EQ(counts.size(), 4u);
}

TEST(AlertMetrics, SeriesStayAtZeroInsteadOfVanishing) {
  prometheus::Registry registry;
  AlertMetrics metrics(registry);
  metrics.declare("no_throughput", "critical");
  std::string text = scrape(registry);
  EXPECT_NE(text.find("queuewatch_alerts{alertname=\"no_throughput\",severity=\"critical\",state="
                      "\"firing\"} 0"),
            std::string::npos)
      << text;

  AlertEngine engine(config::AlertingConfig{});
  auto c = condition("no_throughput", "a", "q");
  c.severity = "critical";
  EngineStep step = engine.evaluate(at(0s), {c});
  metrics.update(engine.alerts(), step.inhibited);
  text = scrape(registry);
  EXPECT_NE(text.find("queuewatch_alerts{alertname=\"no_throughput\",severity=\"critical\",state="
                      "\"firing\"} 1"),
            std::string::npos)
      << text;

  step = engine.evaluate(at(10s), {});
  metrics.update(engine.alerts(), step.inhibited);
  text = scrape(registry);
  EXPECT_NE(text.find("queuewatch_alerts{alertname=\"no_throughput\",severity=\"critical\",state="
                      "\"firing\"} 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("state=\"inhibited\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("state=\"pending\"} 0"), std::string::npos) << text;
}

}  // namespace
}  // namespace qw::alerts::test
