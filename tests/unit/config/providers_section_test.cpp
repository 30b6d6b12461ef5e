// `providers` and the target -> provider link (issue 11, section 3): what loads, and what is
// refused at its key path and line:column.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

TEST_F(ConfigTest, ProvidersLoadAndTargetsLinkToThem) {
  const LoadResult r = load(
      "providers:\n"
      "  - name: azure\n"
      "    kind: rss\n"
      "    url: https://azure.status.microsoft/en-us/status/feed/\n"
      "    components: [SQL Database]\n"
      "    interval: 2m\n"
      "    timeout: 5s\n"
      "    max_bytes: 65536\n"
      "    max_age: 3h\n"
      "  - {name: cloud, url: 'http://127.0.0.1:1/api/v2/summary.json'}\n"
      "targets:\n"
      "  - name: primary\n"
      "    dsn: host=localhost dbname=app\n"
      "    provider: azure\n"
      "    provider_components: [SQL Database, West Europe]\n"
      "  - {name: other, dsn: host=localhost dbname=app}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config.providers.size(), 2u);
  const ProviderConfig& azure = r.config.providers[0];
  EXPECT_EQ(azure.kind, ProviderKind::rss);
  EXPECT_EQ(azure.components, std::vector<std::string>{"SQL Database"});
  EXPECT_EQ(azure.interval, std::chrono::minutes(2));
  EXPECT_EQ(azure.timeout, std::chrono::seconds(5));
  EXPECT_EQ(azure.max_bytes, 65536);
  EXPECT_EQ(azure.max_age, std::chrono::hours(3));
  EXPECT_EQ(r.config.providers[1].kind, ProviderKind::statuspage);
  EXPECT_EQ(r.config.providers[1].interval, std::chrono::minutes(5));
  EXPECT_EQ(r.config.targets[0].provider, "azure");
  EXPECT_EQ(r.config.targets[0].provider_components,
            (std::vector<std::string>{"SQL Database", "West Europe"}));
  EXPECT_EQ(r.config.targets[1].provider, "");
  EXPECT_EQ(r.config.find_provider("cloud"), &r.config.providers[1]);
}

TEST_F(ConfigTest, ProviderMistakesAreReportedWhereTheyAre) {
  const LoadResult r = load(
      "providers:\n"
      "  - {name: a, url: 'ftp://x/feed'}\n"
      "  - {name: a, url: 'http://x/feed'}\n"
      "  - {name: b, kind: json, url: 'http://x/'}\n"
      "  - {name: c, url: 'http://x/', interval: 10s}\n"
      "  - {name: d, url: 'http://x/', components: ['']}\n"
      "targets:\n"
      "  - {name: t1, dsn: host=x, provider: azure}\n"
      "  - {name: t2, dsn: host=x, provider_components: [West Europe]}\n");
  EXPECT_FALSE(r.ok());
  const ConfigError url = error_at(r, "providers[0].url");
  EXPECT_EQ(url.line, 2);
  EXPECT_EQ(url.message, "not an http:// or https:// URL with a host");
  EXPECT_EQ(error_at(r, "providers[1].name").line, 3);
  EXPECT_NE(error_at(r, "providers[1].name").message.find("duplicate provider name"),
            std::string::npos);
  EXPECT_EQ(error_at(r, "providers[2].kind").line, 4);
  EXPECT_EQ(error_at(r, "providers[3].interval").message, "must be at least 1m, got 10s");
  EXPECT_EQ(error_at(r, "providers[4].components[0]").line, 6);
  const ConfigError link = error_at(r, "targets[0].provider");
  EXPECT_EQ(link.line, 8);
  EXPECT_EQ(link.column, 39);
  EXPECT_EQ(link.message, "no provider named \"azure\" in providers");
  EXPECT_EQ(error_at(r, "targets[1].provider_components").message,
            "needs provider: it narrows that provider's incidents");
}

}  // namespace
}  // namespace qw::config::test
