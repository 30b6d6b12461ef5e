// A target's region is optional (issue 9): without one, alerts carry no `region` label at all,
// never an empty one; with one, every alert of the target carries it.
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

const Time kStart = at_utc(2024, 5, 6, 12);

std::vector<ActiveCondition> stuck_and_down(const std::string& region) {
  Engine e({}, Timezone());
  QueueTick q;
  q.key = {"primary", "jobs", "default"};
  q.region = region;
  q.at = kStart;
  q.running = 1;
  q.oldest_running_age_seconds = 7200;
  q.stuck = 1;
  e.ingest(q);
  TargetTick t;
  t.target = "primary";
  t.region = region;
  t.at = kStart;
  t.up = false;
  t.reason = "connection_refused";
  e.ingest(t);
  t.at += 20s;
  e.ingest(t);
  return e.evaluate(t.at);
}

TEST(RegionLabel, AbsentWhenTheTargetHasNone) {
  const auto c = stuck_and_down("");
  ASSERT_TRUE(find(c, "stuck_in_progress"));
  ASSERT_TRUE(find(c, "database_unavailable"));
  for (const ActiveCondition& a : c) {
    EXPECT_FALSE(a.labels.contains("region")) << a.alertname;
    for (const auto& [name, value] : a.labels) EXPECT_FALSE(value.empty()) << a.alertname << name;
  }
}

TEST(RegionLabel, CarriedWhenSet) {
  const auto c = stuck_and_down("eu");
  EXPECT_EQ(get(c, "stuck_in_progress").labels.at("region"), "eu");
  EXPECT_EQ(get(c, "database_unavailable").labels.at("region"), "eu");
}

}  // namespace
}  // namespace qw::rules
