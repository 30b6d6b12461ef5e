// The per-queue series of what the shortfall rules expect: present once a queue has a baseline,
// following its recent level, and gone with the queue. Absent means "cannot judge", never 0.
#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/expectation_metrics.hpp"
#include "tests/unit/rules/rules_test_support.hpp"

namespace qw::daemon {
namespace {

using namespace std::chrono_literals;
using rules::test::at_utc;
using rules::test::Driver;
using rules::test::zone;

// The value of `name` for the driver's queue, if the registry holds it: labelled exactly as the
// probe's queue series are (target, source, queue and the target's region), so they join.
std::optional<double> gauge(prometheus::Registry& registry, const std::string& name,
                            const rules::QueueKey& key, const std::string& region = "eu") {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::size_t matched = 0;
      for (const auto& label : metric.label) {
        matched += (label.name == "target" && label.value == key.target) ||
                   (label.name == "source" && label.value == key.source) ||
                   (label.name == "queue" && label.value == key.queue) ||
                   (label.name == "region" && label.value == region);  // the Driver's: eu
      }
      if (matched == 4 && metric.label.size() == 4) return metric.gauge.value;
    }
  }
  return std::nullopt;
}

constexpr const char* kExpected = "queuewatch_queue_expected_completions_per_second";
constexpr const char* kNoise = "queuewatch_queue_level_noise";

class ExpectationMetricsTest : public ::testing::Test {
 protected:
  config::RulesConfig rules_;
  Driver driver_{rules_, zone("UTC"), at_utc(2024, 3, 4), 60s};
  prometheus::Registry registry_;
  ExpectationMetrics metrics_{registry_};

  void evaluate() {
    driver_.engine.evaluate(driver_.now);
    metrics_.update(driver_.engine, driver_.now);
  }
};

TEST_F(ExpectationMetricsTest, AbsentUntilTheQueueHasABaseline) {
  driver_.feed(6h, [](rules::Time) { return 2.0; });
  evaluate();
  EXPECT_EQ(gauge(registry_, kExpected, driver_.key), std::nullopt) << "six hours: no baseline";
  EXPECT_EQ(gauge(registry_, kNoise, driver_.key), std::nullopt) << "the noise is a guess yet";
}

TEST_F(ExpectationMetricsTest, ShowsTheBaselineRateAndTheQueuesNoise) {
  driver_.feed(8 * 24h, [](rules::Time) { return 2.0; });
  evaluate();
  const auto expected = gauge(registry_, kExpected, driver_.key);
  ASSERT_TRUE(expected.has_value());
  EXPECT_NEAR(*expected, 2.0, 0.1);
  const auto noise = gauge(registry_, kNoise, driver_.key);
  ASSERT_TRUE(noise.has_value());
  EXPECT_GE(*noise, 0.1) << "the floor: no queue is steadier";
  EXPECT_LT(*noise, 0.2) << "a steady Poisson queue strays little from its baseline";
}

TEST_F(ExpectationMetricsTest, FollowsARecentLevelDownAsTheRulesDo) {
  driver_.feed(8 * 24h, [](rules::Time) { return 2.0; });
  // A day at half, and the six hours after it (the level is read from the day before the
  // last six hours, so that a stall does not lower its own expectation): a trend down.
  driver_.feed(30h, [](rules::Time) { return 1.0; });
  evaluate();
  const auto expected = gauge(registry_, kExpected, driver_.key);
  ASSERT_TRUE(expected.has_value());
  EXPECT_NEAR(*expected, 1.0, 0.1) << "the seasonal median (2/s) x the day's level (0.5)";
}

TEST_F(ExpectationMetricsTest, GoneWithTheQueue) {
  driver_.feed(8 * 24h, [](rules::Time) { return 2.0; });
  evaluate();
  ASSERT_TRUE(gauge(registry_, kExpected, driver_.key).has_value());
  driver_.engine.forget(driver_.key);
  metrics_.update(driver_.engine, driver_.now);
  EXPECT_EQ(gauge(registry_, kExpected, driver_.key), std::nullopt);
  EXPECT_EQ(gauge(registry_, kNoise, driver_.key), std::nullopt);
}

TEST_F(ExpectationMetricsTest, ATargetMovedToAnotherRegionByAReloadLeavesNoOldSeries) {
  driver_.feed(8 * 24h, [](rules::Time) { return 2.0; });
  evaluate();
  ASSERT_TRUE(gauge(registry_, kExpected, driver_.key, "eu").has_value());
  rules::QueueTick t;  // the next round, after a reload set the target's region to "us"
  t.key = driver_.key;
  t.region = "us";
  t.at = driver_.now + 60s;
  t.completed = 120;
  driver_.engine.ingest(t);
  driver_.now = t.at;
  evaluate();
  EXPECT_EQ(gauge(registry_, kExpected, driver_.key, "eu"), std::nullopt);
  EXPECT_EQ(gauge(registry_, kNoise, driver_.key, "eu"), std::nullopt);
  EXPECT_TRUE(gauge(registry_, kExpected, driver_.key, "us").has_value());
  EXPECT_TRUE(gauge(registry_, kNoise, driver_.key, "us").has_value());
}

TEST_F(ExpectationMetricsTest, QueuesLeavingAndArrivingKeepTheOthersSeries) {
  // Three queues in key order (a, b, c), fed alike; then b leaves and d arrives: the walk over
  // the ordered queues must drop exactly b's series and keep a's and c's.
  rules::Engine& engine = driver_.engine;
  auto key = [](const std::string& queue) { return rules::QueueKey{"primary", "jobs", queue}; };
  auto feed = [&](const std::vector<std::string>& queues, std::chrono::seconds duration) {
    for (const rules::Time end = driver_.now + duration; driver_.now < end;) {
      driver_.now += 60s;
      for (const auto& queue : queues) {
        rules::QueueTick t;
        t.key = key(queue);
        t.region = "eu";
        t.at = driver_.now;
        t.completed = 120;  // 2/s
        engine.ingest(t);
      }
    }
  };
  feed({"a", "b", "c"}, 8 * 24h);
  evaluate();
  for (const char* queue : {"a", "b", "c"})
    EXPECT_TRUE(gauge(registry_, kExpected, key(queue)).has_value()) << queue;
  engine.forget(key("b"));
  feed({"a", "c", "d"}, 1h);
  evaluate();
  EXPECT_NEAR(gauge(registry_, kExpected, key("a")).value_or(0), 2.0, 0.01);
  EXPECT_EQ(gauge(registry_, kExpected, key("b")), std::nullopt) << "b left the engine";
  EXPECT_NEAR(gauge(registry_, kExpected, key("c")).value_or(0), 2.0, 0.01);
  EXPECT_EQ(gauge(registry_, kExpected, key("d")), std::nullopt) << "an hour: no baseline yet";
  EXPECT_TRUE(gauge(registry_, kNoise, key("c")).has_value());
}

}  // namespace
}  // namespace qw::daemon
