// provider_incident (one alert per open incident of a provider's feed, kept while the feed cannot
// be read) and the incident a database_unavailable page quotes. The clock is injected: every
// time here is a value, never the wall clock.
#include "rules/provider_state.hpp"

#include "rules/rule_table.hpp"
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using namespace test;

const Time kStart = at_utc(2026, 12, 1, 7, 30);

ProviderIncidentInfo sql_incident() {
  ProviderIncidentInfo i;
  i.id = "inc0sqlweu01";
  i.title = "SQL Database – West Europe – degraded";
  i.link = "http://stspg.io/qwsql01";
  i.status = "investigating";
  i.impact = "major";
  i.components = {"SQL Database", "West Europe"};
  i.started_at = at_utc(2026, 12, 1, 7, 10);
  i.summary = "Customers may experience connection timeouts.";
  return i;
}

ProviderIncidentInfo storage_incident() {
  ProviderIncidentInfo i;
  i.id = "inc0stoeus01";
  i.title = "Storage – East US – elevated errors";
  i.link = "http://stspg.io/qwsto01";
  i.impact = "minor";
  i.components = {"Storage", "East US"};
  i.started_at = at_utc(2026, 12, 1, 6, 40);
  return i;
}

ProviderTick read(Time at, std::vector<ProviderIncidentInfo> incidents) {
  ProviderTick t;
  t.provider = "cloud";
  t.at = at;
  t.up = true;
  t.known = true;
  t.incidents = std::move(incidents);
  return t;
}

ProviderTick failed(Time at) {
  ProviderTick t;
  t.provider = "cloud";
  t.at = at;
  t.up = false;
  t.known = false;  // as after a restart: the probe has not read the feed either
  t.failure = "http_status: 500";
  return t;
}

std::vector<const ActiveCondition*> all(const std::vector<ActiveCondition>& conditions,
                                        const std::string& alertname) {
  std::vector<const ActiveCondition*> out;
  for (const auto& c : conditions)
    if (c.alertname == alertname) out.push_back(&c);
  return out;
}

Labels incident_alert(const std::string& provider, const std::string& incident) {
  return {{"alertname", "provider_incident"}, {"provider", provider}, {"incident", incident}};
}

TEST(ProviderIncident, OneAlertPerOpenIncidentWithTitleAndLink) {
  Engine e({}, Timezone());
  e.ingest(read(kStart, {sql_incident(), storage_incident()}));
  const auto conditions = e.evaluate(kStart);
  const auto alerts = all(conditions, "provider_incident");
  ASSERT_EQ(alerts.size(), 2u);
  const ActiveCondition& c = *alerts[0];
  EXPECT_EQ(c.labels.at("provider"), "cloud");
  EXPECT_EQ(c.labels.at("incident"), "inc0sqlweu01");
  EXPECT_EQ(c.labels.at("severity"), "warning");
  EXPECT_FALSE(c.labels.contains("target"));
  EXPECT_EQ(c.annotations.at("title"), "SQL Database – West Europe – degraded");
  EXPECT_EQ(c.annotations.at("link"), "http://stspg.io/qwsql01");
  EXPECT_EQ(c.annotations.at("impact"), "major");
  EXPECT_EQ(c.annotations.at("components"), "SQL Database, West Europe");
  EXPECT_EQ(c.annotations.at("since"), "2026-12-01 07:10:00Z");
  EXPECT_EQ(c.annotations.at("summary"),
            "cloud: SQL Database – West Europe – degraded (impact major) since 07:10 UTC");
  EXPECT_NE(c.annotations.at("description").find("http://stspg.io/qwsql01"), std::string::npos);
  EXPECT_EQ(c.value, 20 * 60);  // open for 20 minutes
  EXPECT_EQ(c.for_duration, 0s);
  EXPECT_EQ(alerts[1]->labels.at("incident"), "inc0stoeus01");
  EXPECT_FALSE(e.undecided(incident_alert("cloud", "inc0sqlweu01")));
}

TEST(ProviderIncident, ResolvesWhenTheIncidentLeavesTheFeed) {
  Engine e({}, Timezone());
  e.ingest(read(kStart, {sql_incident(), storage_incident()}));
  ASSERT_EQ(all(e.evaluate(kStart), "provider_incident").size(), 2u);
  e.ingest(read(kStart + 1min, {storage_incident()}));
  const auto conditions = e.evaluate(kStart + 1min);
  const auto alerts = all(conditions, "provider_incident");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->labels.at("incident"), "inc0stoeus01");
  // Seen gone on a read feed: decided, so the alert resolves.
  EXPECT_FALSE(e.undecided(incident_alert("cloud", "inc0sqlweu01")));
}

// "Cannot measure" is never "healthy": a feed that fails keeps its incidents as last read, and
// an alert the rules cannot judge is undecided (kept as it is).
TEST(ProviderIncident, AFailedFetchKeepsTheLastKnownIncidents) {
  Engine e({}, Timezone());
  e.ingest(read(kStart, {sql_incident()}));
  ASSERT_EQ(all(e.evaluate(kStart), "provider_incident").size(), 1u);
  e.ingest(failed(kStart + 1min));
  const auto conditions = e.evaluate(kStart + 1min);
  const auto alerts = all(conditions, "provider_incident");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->labels.at("incident"), "inc0sqlweu01");
  EXPECT_NE(alerts[0]->annotations.at("description").find("cannot be read now (http_status: 500)"),
            std::string::npos);
  EXPECT_TRUE(e.undecided(incident_alert("cloud", "inc0sqlweu01")));
  EXPECT_TRUE(e.undecided(incident_alert("cloud", "some_other")));
  // Read again, without it: now it is over.
  e.ingest(read(kStart + 2min, {}));
  EXPECT_TRUE(all(e.evaluate(kStart + 2min), "provider_incident").empty());
  EXPECT_FALSE(e.undecided(incident_alert("cloud", "inc0sqlweu01")));
}

TEST(ProviderIncident, UndecidedUntilTheFeedIsRead) {
  Engine e({}, Timezone());
  EXPECT_TRUE(e.undecided(incident_alert("cloud", "inc0sqlweu01")));
  e.ingest(failed(kStart));
  EXPECT_TRUE(all(e.evaluate(kStart), "provider_incident").empty());
  EXPECT_TRUE(e.undecided(incident_alert("cloud", "inc0sqlweu01")));
}

TEST(ProviderIncident, AProviderThatLeftTheConfigIsForgotten) {
  Engine e({}, Timezone());
  e.ingest(read(kStart, {sql_incident()}));
  e.set_providers({"cloud"});
  EXPECT_EQ(all(e.evaluate(kStart), "provider_incident").size(), 1u);
  e.set_providers({"other"});
  EXPECT_TRUE(all(e.evaluate(kStart), "provider_incident").empty());
}

TEST(ProviderIncident, SeverityAndLabelsAreConfigurable) {
  config::RulesConfig cfg;
  cfg.provider_incident.common.severity = config::Severity::info;
  cfg.provider_incident.common.labels = {{"team", "platform"}};
  Engine e(cfg, Timezone());
  e.ingest(read(kStart, {sql_incident()}));
  const auto conditions = e.evaluate(kStart);
  const ActiveCondition& c = get(conditions, "provider_incident");
  EXPECT_EQ(c.labels.at("severity"), "info");
  EXPECT_EQ(c.labels.at("team"), "platform");
  cfg.provider_incident.common.enabled = false;
  e.reconfigure(cfg, Timezone());
  EXPECT_FALSE(find(e.evaluate(kStart), "provider_incident"));
}

TEST(ProviderIncident, TheIncidentLabelIsBoundedAndStable) {
  const std::string guid = "https://status.example.com/incidents/" + std::string(200, 'x');
  const std::string label = incident_label(guid);
  EXPECT_LE(label.size(), kMaxIncidentLabel);
  EXPECT_EQ(label, incident_label(guid));
  EXPECT_NE(label, incident_label(guid + "y"));
  EXPECT_EQ(incident_label("QW-SQL-WEU-1"), "QW-SQL-WEU-1");
  Engine e({}, Timezone());
  ProviderIncidentInfo i = sql_incident();
  i.id = guid;
  e.ingest(read(kStart, {i, i}));  // listed twice: one alert
  const auto conditions = e.evaluate(kStart);
  ASSERT_EQ(all(conditions, "provider_incident").size(), 1u);
  EXPECT_EQ(get(conditions, "provider_incident").annotations.at("incident_id"), guid);
}

TEST(ProviderIncident, AFeedItemWithoutImpactOrDate) {
  Engine e({}, Timezone());
  ProviderIncidentInfo i;
  i.id = "QW-SQL-WEU-1";
  i.title = "SQL Database – West Europe – degraded";
  i.impact = "unknown";
  e.ingest(read(kStart, {i}));
  const auto conditions = e.evaluate(kStart);
  const ActiveCondition& c = get(conditions, "provider_incident");
  EXPECT_EQ(c.annotations.at("summary"), "cloud: SQL Database – West Europe – degraded");
  EXPECT_FALSE(c.annotations.contains("since"));
  EXPECT_FALSE(c.annotations.contains("link"));
  EXPECT_EQ(c.value, 0);
}

TEST(FormatSince, TheDayOnlyWhenItIsNotToday) {
  EXPECT_EQ(format_since(at_utc(2026, 12, 1, 7, 10, 59), at_utc(2026, 12, 1, 23)), "07:10 UTC");
  EXPECT_EQ(format_since(at_utc(2026, 11, 30, 23, 5), at_utc(2026, 12, 1, 0, 30)),
            "2026-11-30 23:05 UTC");
}

// --- database_unavailable quotes the provider -----------------------------------------------

TargetTick down(Time at) {
  TargetTick t;
  t.target = "primary-db";
  t.endpoint = "10.0.0.5:5432";
  t.at = at;
  t.up = false;
  t.reason = "connect_timeout";
  t.provider = "cloud";
  t.provider_components = {"SQL Database", "West Europe"};
  return t;
}

TEST(DatabaseUnavailable, QuotesTheProvidersMatchingIncident) {
  Engine e({}, Timezone());
  e.ingest(read(kStart, {storage_incident(), sql_incident()}));
  e.ingest(down(kStart));
  const auto conditions = e.evaluate(kStart + 20s);
  const ActiveCondition& c = get(conditions, "database_unavailable");
  EXPECT_EQ(c.annotations.at("summary"),
            "primary-db (10.0.0.5:5432): connection timed out; provider reports 'SQL Database – "
            "West Europe – degraded' since 07:10 UTC");
  EXPECT_EQ(c.annotations.at("provider"), "cloud");
  EXPECT_EQ(c.annotations.at("provider_incident"), "SQL Database – West Europe – degraded");
  EXPECT_EQ(c.annotations.at("provider_incident_link"), "http://stspg.io/qwsql01");
  EXPECT_EQ(c.annotations.at("provider_incident_since"), "2026-12-01 07:10:00Z");
  EXPECT_EQ(c.annotations.at("provider_incident_impact"), "major");
  EXPECT_NE(c.annotations.at("description").find("Provider cloud reports an open incident"),
            std::string::npos);
  // Labels are unchanged: the quote never changes the alert's identity.
  EXPECT_EQ(c.labels, (Labels{{"alertname", "database_unavailable"},
                              {"severity", "critical"},
                              {"target", "primary-db"}}));
}

TEST(DatabaseUnavailable, NoQuoteWithoutAMatchingIncident) {
  Engine e({}, Timezone());
  e.ingest(read(kStart, {storage_incident()}));  // another service in another region
  e.ingest(down(kStart));
  const auto conditions = e.evaluate(kStart + 20s);
  const ActiveCondition& c = get(conditions, "database_unavailable");
  EXPECT_EQ(c.annotations.at("summary"), "primary-db (10.0.0.5:5432): connection timed out");
  EXPECT_FALSE(c.annotations.contains("provider_incident"));
  // The incident arrives while the target is down: the next evaluation quotes it.
  e.ingest(read(kStart + 1min, {storage_incident(), sql_incident()}));
  EXPECT_NE(get(e.evaluate(kStart + 1min), "database_unavailable")
                .annotations.at("summary")
                .find("; provider reports 'SQL Database"),
            std::string::npos);
  // ... and the quote goes when the incident leaves the feed.
  e.ingest(read(kStart + 2min, {storage_incident()}));
  EXPECT_FALSE(
      get(e.evaluate(kStart + 2min), "database_unavailable").annotations.contains("provider"));
}

TEST(DatabaseUnavailable, NoQuoteForATargetWithoutProvider) {
  Engine e({}, Timezone());
  e.ingest(read(kStart, {sql_incident()}));
  TargetTick t = down(kStart);
  t.provider.clear();
  t.provider_components.clear();
  e.ingest(t);
  EXPECT_FALSE(
      get(e.evaluate(kStart + 20s), "database_unavailable").annotations.contains("provider"));
}

TEST(DatabaseUnavailable, QuotesTheMostSevereThenLongestOpen) {
  Engine e({}, Timezone());
  ProviderIncidentInfo minor = sql_incident();
  minor.id = "minor";
  minor.title = "SQL Database – West Europe – slow backups";
  minor.impact = "minor";
  minor.started_at = at_utc(2026, 12, 1, 5, 0);
  ProviderIncidentInfo critical = sql_incident();
  critical.id = "critical";
  critical.title = "SQL Database – West Europe – unavailable";
  critical.impact = "critical";
  critical.started_at = at_utc(2026, 12, 1, 7, 20);
  ProviderIncidentInfo older_critical = critical;
  older_critical.id = "older";
  older_critical.title = "West Europe – networking – SQL Database unreachable";
  older_critical.components = {};  // matched by its title alone
  older_critical.started_at = at_utc(2026, 12, 1, 7, 0);
  e.ingest(read(kStart, {minor, critical, older_critical}));
  e.ingest(down(kStart));
  EXPECT_EQ(get(e.evaluate(kStart + 20s), "database_unavailable").annotations.at("summary"),
            "primary-db (10.0.0.5:5432): connection timed out; provider reports 'West Europe – "
            "networking – SQL Database unreachable' since 07:00 UTC");
}

TEST(DatabaseUnavailable, KeepsQuotingWhileTheFeedCannotBeRead) {
  Engine e({}, Timezone());
  e.ingest(read(kStart, {sql_incident()}));
  e.ingest(failed(kStart + 1min));
  e.ingest(down(kStart + 1min));
  const auto conditions = e.evaluate(kStart + 2min);
  const ActiveCondition& c = get(conditions, "database_unavailable");
  EXPECT_NE(c.annotations.at("summary").find("provider reports 'SQL Database"), std::string::npos);
  EXPECT_NE(c.annotations.at("description").find("its feed cannot be read now"), std::string::npos);
}

// The decision of docs/rules.md: neither inhibits the other. database_unavailable stays the one
// critical page and quotes the incident; provider_incident is a warning about the provider.
TEST(DatabaseUnavailable, NeitherHoldsTheOtherBack) {
  const RuleDef* incident = find_rule("provider_incident");
  ASSERT_NE(incident, nullptr);
  EXPECT_EQ(incident->scope, RuleScope::provider);
  EXPECT_FALSE(incident->inhibited_by_database_unavailable);
  EXPECT_FALSE(incident->held_back_by_any());
  EXPECT_EQ(default_severity(*incident), "warning");
}

}  // namespace
}  // namespace qw::rules
