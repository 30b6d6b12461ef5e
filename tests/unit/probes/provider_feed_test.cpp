// The status-feed parsers against fixtures written in the published formats (Statuspage v2,
// RSS 2.0 as Azure's status feed publishes it, Atom 1.0): what an incident is, and what is
// refused. tests/fixtures/provider_status/ is also what script.provider_status serves.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "probes/provider_status/feed.hpp"
#include "probes/provider_status/xml_tree.hpp"

namespace qw::probes::provider {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(QW_SOURCE_DIR) + "/tests/fixtures/provider_status/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

TEST(ProviderStatuspage, SummaryListsOpenIncidentsWithComponentsAndGroups) {
  const FeedResult r = parse_statuspage(fixture("statuspage_summary.json"));
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.incidents.size(), 2u);
  const ProviderIncident& sql = r.incidents[0];
  EXPECT_EQ(sql.id, "inc0sqlweu01");
  EXPECT_EQ(sql.title, "SQL Database – West Europe – degraded");
  EXPECT_EQ(sql.link, "http://stspg.io/qwsql01");
  EXPECT_EQ(sql.status, "investigating");
  EXPECT_EQ(sql.impact, "major");
  // The component and its group, by name: a filter on either matches.
  EXPECT_EQ(sql.components, (std::vector<std::string>{"SQL Database", "West Europe"}));
  ASSERT_TRUE(sql.started_at);
  EXPECT_EQ(*sql.started_at, 1796109000);  // 2026-12-01T07:10:00Z: started_at, not created_at
  EXPECT_EQ(sql.summary,
            "Customers may experience connection timeouts to databases in West Europe.");
  EXPECT_EQ(r.incidents[1].components, (std::vector<std::string>{"Storage", "East US"}));
}

TEST(ProviderStatuspage, UnresolvedSkipsResolvedAndFallsBackToCreatedAt) {
  const FeedResult r = parse_statuspage(fixture("statuspage_unresolved.json"));
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.incidents.size(), 1u);
  EXPECT_EQ(r.incidents[0].title, "API latency");
  EXPECT_EQ(r.incidents[0].impact, "critical");
  EXPECT_TRUE(r.incidents[0].components.empty());
  ASSERT_TRUE(r.incidents[0].started_at);
  EXPECT_EQ(*r.incidents[0].started_at, 1796122800);  // 05:00-06:00 is 11:00Z
  EXPECT_EQ(r.incidents[0].summary, "A fix has been applied; we are monitoring.");
}

TEST(ProviderStatuspage, RefusesWhatIsNotAStatuspageDocument) {
  EXPECT_FALSE(parse_statuspage("{\"incidents\": [").ok);
  EXPECT_FALSE(parse_statuspage("[]").ok);
  EXPECT_FALSE(parse_statuspage("{\"incidents\": {}}").ok);
  EXPECT_FALSE(parse_statuspage("<html>502 Bad Gateway</html>").ok);
  // Deeper than any Statuspage document: refused, not recursed into.
  EXPECT_FALSE(parse_statuspage(std::string(10000, '[') + std::string(10000, ']')).ok);
  const FeedResult odd = parse_statuspage(
      R"({"incidents": [1, "x", {"name": 5, "status": "investigating", "components": [7]}]})");
  ASSERT_TRUE(odd.ok);
  ASSERT_EQ(odd.incidents.size(), 1u);  // wrong types read as empty, never thrown
  EXPECT_EQ(odd.incidents[0].impact, "unknown");
}

TEST(ProviderFeed, AzureStyleRssItemsAreIncidentsUnlessResolved) {
  const FeedResult r = parse_feed(fixture("azure_rss.xml"));
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.incidents.size(), 2u);
  const ProviderIncident& sql = r.incidents[0];
  EXPECT_EQ(sql.id, "QW-SQL-WEU-1");
  EXPECT_EQ(sql.title, "SQL Database – West Europe – degraded");
  EXPECT_EQ(sql.link, "https://azure.status.microsoft/en-us/status/#QW-SQL-WEU-1");
  EXPECT_EQ(sql.components, (std::vector<std::string>{"SQL Database", "West Europe"}));
  EXPECT_EQ(sql.impact, "unknown");
  ASSERT_TRUE(sql.started_at);
  EXPECT_EQ(*sql.started_at, 1796109000);
  // Entity-encoded HTML, decoded and stripped to its words.
  EXPECT_EQ(sql.summary,
            "Summary of impact: Starting at 07:10 UTC on 01 Dec 2026, customers may experience "
            "connection timeouts &amp; failures.");
  EXPECT_EQ(r.incidents[1].title, "Storage – East US – elevated errors");  // CDATA
  EXPECT_EQ(*r.incidents[1].started_at, 1796107200);
}

TEST(ProviderFeed, AtomEntriesUsePublishedAlternateLinkAndTerms) {
  const FeedResult r = parse_feed(fixture("status_atom.xml"));
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.incidents.size(), 2u);
  EXPECT_EQ(r.incidents[0].id, "tag:status.example.test,2026:Incident/42");
  EXPECT_EQ(r.incidents[0].link, "https://status.example.test/incidents/42");
  EXPECT_EQ(r.incidents[0].components, (std::vector<std::string>{"West Europe", "SQL Database"}));
  EXPECT_EQ(*r.incidents[0].started_at, 1796109000);  // published, not updated
  EXPECT_EQ(r.incidents[0].summary,
            "Dec 1 , 07:12 UTC Investigating - Connection timeouts in West Europe.");
  EXPECT_EQ(r.incidents[1].link, "https://status.example.test/incidents/41");  // no rel
  EXPECT_EQ(*r.incidents[1].started_at, 1796107200);
  EXPECT_EQ(r.incidents[1].summary, "Storage errors in East US.");
}

TEST(ProviderFeed, MalformedFeedsAreRefusedWithAReason) {
  const FeedResult bad = parse_feed(fixture("malformed.xml"));
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("mismatched end tag </channel>, expected </item>"), std::string::npos)
      << bad.error;
  EXPECT_TRUE(bad.incidents.empty());
  EXPECT_FALSE(parse_feed("").ok);
  EXPECT_FALSE(parse_feed("<html><body>502</body></html>").ok);
  EXPECT_FALSE(parse_feed("<rss version=\"2.0\"/>").ok);  // no channel
  EXPECT_FALSE(parse_feed("<rss><channel></channel></rss><rss/>").ok);
  EXPECT_FALSE(parse_feed("<rss><channel>&nbsp;</channel></rss>").ok);
  EXPECT_FALSE(parse_feed("<rss><channel>&#0;</channel></rss>").ok);
  EXPECT_FALSE(parse_feed("<rss><channel>&#x110000;</channel></rss>").ok);
  EXPECT_FALSE(parse_feed("<rss a=b><channel/></rss>").ok);
  EXPECT_FALSE(parse_feed("<rss><channel><![CDATA[x</channel></rss>").ok);
  EXPECT_TRUE(parse_feed("<rss><channel/></rss>").ok);
}

TEST(ProviderFeed, BillionLaughsIsRefusedBeforeAnyExpansion) {
  const std::string doc =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
      "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\n<rss><channel><item><title>&lol2;"
      "</title></item></channel></rss>";
  const FeedResult r = parse_feed(doc);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("DOCTYPE"), std::string::npos) << r.error;
}

TEST(ProviderFeed, NestingAndSizeAreBounded) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  const XmlParse p = parse_xml(deep);
  EXPECT_FALSE(p.root);
  EXPECT_NE(p.error.find("nested deeper than 32"), std::string::npos) << p.error;

  std::string many = "<rss><channel>";
  for (int i = 0; i < 1000; ++i)
    many += "<item><title>t" + std::to_string(i) + "</title><category>c</category></item>";
  many += "</channel></rss>";
  const FeedResult r = parse_feed(many);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.incidents.size(), kMaxIncidents);

  const std::string long_title =
      "<rss><channel><item><title>" + std::string(100000, 'x') + "</title></item></channel></rss>";
  const FeedResult l = parse_feed(long_title);
  ASSERT_TRUE(l.ok);
  EXPECT_EQ(l.incidents[0].title.size(), kMaxFieldBytes);
}

TEST(ProviderFeedText, DatesAsPublished) {
  EXPECT_EQ(parse_rfc3339("2026-12-01T07:10:00Z"), 1796109000);
  EXPECT_EQ(parse_rfc3339("2026-12-01T08:10:00.123+01:00"), 1796109000);
  EXPECT_FALSE(parse_rfc3339("2026-12-01T07:10:00"));  // no zone
  EXPECT_FALSE(parse_rfc3339("2026-02-30T07:10:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-12-01T07:10:00Zjunk"));
  EXPECT_EQ(parse_rfc822("Tue, 01 Dec 2026 07:10:00 GMT"), 1796109000);
  EXPECT_EQ(parse_rfc822("1 Dec 2026 02:10:00 EST"), 1796109000);
  EXPECT_EQ(parse_rfc822("Tue, 01 Dec 2026 09:10 +0200"), 1796109000);
  EXPECT_FALSE(parse_rfc822("Tue, 01 Dez 2026 07:10:00 GMT"));
  EXPECT_FALSE(parse_rfc822("Tue, 01 Dec 2026 07:10:00"));
  EXPECT_FALSE(parse_rfc822("yesterday"));
}

TEST(ProviderFeedText, CleanTextKeepsOneLineOfValidUtf8) {
  EXPECT_EQ(clean_text("  a\n\tb  "), "a b");
  EXPECT_EQ(clean_text("a\xff"
                       "b"),
            "a?b");
  EXPECT_EQ(clean_text("\xc0\xaf"), "??");  // overlong '/'
  EXPECT_EQ(clean_text("ab–", 3), "ab");    // never half of the dash
}

}  // namespace
}  // namespace qw::probes::provider
