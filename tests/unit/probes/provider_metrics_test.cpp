// queuewatch_provider_incidents as /metrics prints it: the `component` label is a configured
// `components:` term (never a name from the feed), each term an incident matches counts it, every
// term and impact is present at 0 once the feed was read, and nothing is present before that.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "probes/provider_status/provider_metrics.hpp"
#include "probes/provider_status/provider_probe.hpp"

namespace qw::probes::provider {
namespace {

constexpr const char* kFamily = "queuewatch_provider_incidents";

ProviderIncident incident(std::string id, std::string title, std::string impact,
                          std::vector<std::string> components) {
  ProviderIncident i;
  i.id = std::move(id);
  i.title = std::move(title);
  i.impact = std::move(impact);
  i.components = std::move(components);
  return i;
}

// What a Statuspage summary like tests/fixtures/provider_status/statuspage_summary.json parses
// to: each incident's components and their region groups.
std::vector<ProviderIncident> feed() {
  return {incident("sql", "SQL Database – West Europe – degraded", "major",
                   {"SQL Database", "West Europe"}),
          incident("sto", "Storage – East US – elevated errors", "minor", {"Storage", "East US"}),
          incident("sqle", "Replication delays", "critical", {"SQL Database", "East US"})};
}

config::ProviderConfig provider(const std::string& name, std::vector<std::string> components) {
  config::ProviderConfig p;
  p.name = name;
  p.kind = config::ProviderKind::statuspage;
  p.components = std::move(components);
  return p;
}

// A round as ProviderProbe publishes it: the incidents its filter lets through.
ProviderStatusSample round(const config::ProviderConfig& p, bool up, bool known) {
  ProviderStatusSample s;
  s.provider = p.name;
  s.up = up;
  s.failure = up ? FetchFailure::none : FetchFailure::http_status;
  s.known = known;
  if (known) s.incidents = open_incidents(p, feed(), 0);
  s.components = p.components;
  return s;
}

class ProviderMetricsTest : public ::testing::Test {
 protected:
  void apply(std::vector<config::ProviderConfig> providers) {
    config::Config c;
    c.providers = std::move(providers);
    metrics->apply(c);
  }
  void publish(const ProviderStatusSample& s) { metrics->publish(Sample{s}); }
  // The family's sample lines, as the exporter serializes them.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(prometheus::TextSerializer().Serialize(registry.Collect()));
    for (std::string l; std::getline(in, l);)
      if (l.starts_with(std::string(kFamily) + "{")) out.push_back(l);
    return out;
  }
  bool has(const std::string& line) const {
    for (const auto& l : lines())
      if (l == line) return true;
    return false;
  }
  // The values of the component label printed for this provider ("" for a series without one).
  std::multiset<std::string> components_of(const std::string& name) const {
    std::multiset<std::string> out;
    for (const auto& l : lines()) {
      if (l.find("provider=\"" + name + "\"") == std::string::npos) continue;
      const auto at = l.find("component=\"");
      if (at == std::string::npos) {
        out.insert("");
        continue;
      }
      const auto from = at + std::string("component=\"").size();
      out.insert(l.substr(from, l.find('"', from) - from));
    }
    return out;
  }

  prometheus::Registry registry;
  std::unique_ptr<KindMetrics> metrics = make_provider_status_metrics(registry);
};

// One term's values, once per impact: every impact has its series.
std::multiset<std::string> every_impact(const std::string& term) {
  std::multiset<std::string> out;
  for (int i = 0; i < 6; ++i) out.insert(term);
  return out;
}

std::string series(const std::string& labels, int value) {
  return std::string(kFamily) + "{" + labels + "} " + std::to_string(value);
}

TEST_F(ProviderMetricsTest, CountsUnderEachConfiguredTermThatMatched) {
  const auto cloud = provider("cloud", {"SQL", "West Europe", "Compute"});
  apply({cloud});
  publish(round(cloud, true, true));

  // The West Europe SQL incident counts under both terms it matches; the East US one under SQL
  // only; Storage matches no term and counts nowhere. The label is the term ("SQL"), not the
  // name in the feed that it matched ("SQL Database").
  EXPECT_TRUE(has(series(R"(component="SQL",impact="major",provider="cloud")", 1)));
  EXPECT_TRUE(has(series(R"(component="SQL",impact="critical",provider="cloud")", 1)));
  EXPECT_TRUE(has(series(R"(component="West Europe",impact="major",provider="cloud")", 1)));
  EXPECT_TRUE(has(series(R"(component="West Europe",impact="critical",provider="cloud")", 0)));
  EXPECT_TRUE(has(series(R"(component="SQL",impact="minor",provider="cloud")", 0)));
  // A term nothing matches is there at 0: read, and nothing open.
  EXPECT_TRUE(has(series(R"(component="Compute",impact="major",provider="cloud")", 0)));

  // Only configured terms, each with every impact; no raw feed name ("SQL Database", "Storage",
  // "East US"), and
  // no series without the label for a provider that has a filter.
  std::multiset<std::string> want;
  for (const char* term : {"SQL", "West Europe", "Compute"}) want.merge(every_impact(term));
  EXPECT_EQ(components_of("cloud"), want);
}

TEST_F(ProviderMetricsTest, AProviderWithoutAFilterHasNoComponentLabel) {
  const auto plain = provider("plain", {});
  apply({plain});
  publish(round(plain, true, true));
  EXPECT_TRUE(has(series(R"(impact="major",provider="plain")", 1)));
  EXPECT_TRUE(has(series(R"(impact="minor",provider="plain")", 1)));
  EXPECT_TRUE(has(series(R"(impact="critical",provider="plain")", 1)));
  EXPECT_TRUE(has(series(R"(impact="unknown",provider="plain")", 0)));
  EXPECT_EQ(components_of("plain"), every_impact(""));
}

TEST_F(ProviderMetricsTest, ATermListedTwiceIsOneSeries) {
  const auto cloud = provider("cloud", {"Compute", "Compute"});
  apply({cloud});
  publish(round(cloud, true, true));
  EXPECT_EQ(components_of("cloud"), every_impact("Compute"));
}

TEST_F(ProviderMetricsTest, NeverReadIsAbsentAndAFailedRoundKeepsTheLastCounts) {
  const auto cloud = provider("cloud", {"SQL", "Compute"});
  apply({cloud});
  publish(round(cloud, false, false));
  EXPECT_TRUE(lines().empty()) << lines().front();

  publish(round(cloud, true, true));
  publish(round(cloud, false, true));  // a 500 after a read: the last known counts stay
  EXPECT_TRUE(has(series(R"(component="SQL",impact="major",provider="cloud")", 1)));
  EXPECT_TRUE(has(series(R"(component="Compute",impact="major",provider="cloud")", 0)));
}

TEST_F(ProviderMetricsTest, ANewFilterDropsTheOldTermsAndIgnoresTheReplacedProbe) {
  const auto before = provider("cloud", {"SQL Database"});
  apply({before});
  publish(round(before, true, true));
  ASSERT_FALSE(lines().empty());

  const auto after = provider("cloud", {"Storage"});
  apply({after});
  EXPECT_TRUE(lines().empty()) << lines().front();
  // A late round of the probe the reload replaced was filtered by SQL Database: Storage's
  // incident is not in it, and counting it as 0 under Storage would be false.
  publish(round(before, true, true));
  EXPECT_TRUE(lines().empty()) << lines().front();

  publish(round(after, true, true));
  EXPECT_TRUE(has(series(R"(component="Storage",impact="minor",provider="cloud")", 1)));
  EXPECT_EQ(components_of("cloud"), every_impact("Storage"));

  const auto unfiltered = provider("cloud", {});
  apply({unfiltered});
  EXPECT_TRUE(lines().empty()) << lines().front();
  publish(round(unfiltered, true, true));
  EXPECT_EQ(components_of("cloud"), every_impact(""));
}

}  // namespace
}  // namespace qw::probes::provider
