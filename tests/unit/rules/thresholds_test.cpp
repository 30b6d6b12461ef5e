#include <gtest/gtest.h>

#include "rules/thresholds.hpp"

namespace qw::rules {
namespace {

using namespace std::chrono_literals;

config::RuleOverride override_for(std::vector<std::string> queues,
                                  std::vector<std::string> sources = {}) {
  config::RuleOverride o;
  o.queues = std::move(queues);
  o.sources = std::move(sources);
  return o;
}

TEST(Thresholds, DefaultsApplyWithoutOverrides) {
  config::RulesConfig cfg;
  cfg.defaults.queue_latency.max_age = 42s;
  EXPECT_EQ(resolve(cfg, "jobs", "default").queue_latency.max_age, 42s);
}

TEST(Thresholds, LastMatchWinsPerField) {
  config::RulesConfig cfg;
  auto broad = override_for({"mail*"});
  broad.patch.queue_latency.max_age = 1h;
  broad.patch.no_throughput.min_silence = 5min;
  auto exact = override_for({"mailers"});
  exact.patch.queue_latency.max_age = 2h;  // later: wins for max_age only
  cfg.overrides = {broad, exact};

  const ResolvedQueueRules r = resolve(cfg, "jobs", "mailers");
  EXPECT_EQ(r.queue_latency.max_age, 2h);
  EXPECT_EQ(r.no_throughput.min_silence, 5min);  // from the earlier, broader match

  const ResolvedQueueRules other = resolve(cfg, "jobs", "mailbox");
  EXPECT_EQ(other.queue_latency.max_age, 1h);
  const ResolvedQueueRules none = resolve(cfg, "jobs", "billing");
  EXPECT_EQ(none.queue_latency.max_age, config::QueueLatencyRule{}.max_age);
}

TEST(Thresholds, OrderMattersNotSpecificity) {
  config::RulesConfig cfg;
  auto exact = override_for({"mailers"});
  exact.patch.queue_latency.max_age = 2h;
  auto broad = override_for({"*"});
  broad.patch.queue_latency.max_age = 1h;
  cfg.overrides = {exact, broad};
  EXPECT_EQ(resolve(cfg, "jobs", "mailers").queue_latency.max_age, 1h);
}

TEST(Thresholds, SourcesRestrictTheMatch) {
  config::RulesConfig cfg;
  auto o = override_for({"*"}, {"oban_*"});
  o.patch.stuck_in_progress.running_for = 3h;
  cfg.overrides = {o};
  EXPECT_EQ(resolve(cfg, "oban_jobs", "default").stuck_in_progress.running_for, 3h);
  EXPECT_EQ(resolve(cfg, "river", "default").stuck_in_progress.running_for,
            config::StuckInProgressRule{}.running_for);
}

TEST(Thresholds, LabelsMergeKeyByKey) {
  config::RulesConfig cfg;
  cfg.defaults.no_throughput.common.labels = {{"team", "core"}, {"tier", "1"}};
  auto o = override_for({"billing"});
  o.patch.no_throughput.common.labels = {{"team", "payments"}};
  cfg.overrides = {o};
  const auto labels = resolve(cfg, "jobs", "billing").no_throughput.common.labels;
  EXPECT_EQ(labels.at("team"), "payments");
  EXPECT_EQ(labels.at("tier"), "1");
}

}  // namespace
}  // namespace qw::rules
