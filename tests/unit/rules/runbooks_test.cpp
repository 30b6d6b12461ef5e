// Issue 10: every alert queuewatch or its Prometheus rules can raise has a runbook,
// docs/runbooks/<alertname>.md, written for the person paged at 3 a.m., and links to it. A rule
// added to the rule table, or an alert added to deploy/prometheus/, without its page fails here;
// so does a page whose severity or `for` no longer matches the code.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/duration.hpp"
#include "config/loader.hpp"
#include "rules/rule_table.hpp"

namespace qw::rules {
namespace {

namespace fs = std::filesystem;

const fs::path kRunbooks = fs::path(QW_SOURCE_DIR) / "docs" / "runbooks";
// The four sections, in this order, each a `## ` heading of its own.
const std::vector<std::string> kSections = {"What it means", "Confirm it", "Likely causes",
                                            "What to do"};
// The placeholder base of deploy/prometheus/'s runbook_url annotations (docs/runbooks/README.md
// tells operators to replace it).
constexpr std::string_view kPrometheusBase = "https://queuewatch.example.com/docs/runbooks/";

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text of `## heading` up to the next `## `, or nullopt when the heading is missing.
std::optional<std::string> section(const std::string& page, const std::string& heading) {
  const std::string marker = "\n## " + heading + "\n";
  const auto start = page.find(marker);
  if (start == std::string::npos) return std::nullopt;
  const auto body = start + marker.size();
  const auto end = page.find("\n## ", body);
  return page.substr(body, end == std::string::npos ? std::string::npos : end - body);
}

// A runbook's common checks; `header` strings must all appear before the first section.
void expect_runbook(const std::string& alertname, const std::vector<std::string>& header) {
  SCOPED_TRACE(alertname);
  const fs::path path = kRunbooks / (alertname + ".md");
  ASSERT_TRUE(fs::exists(path)) << path << " is missing: every alert needs its runbook";
  const std::string page = read(path);
  EXPECT_TRUE(page.starts_with("# " + alertname + "\n")) << "the title is the alertname";
  std::size_t last = 0;
  for (const std::string& heading : kSections) {
    const auto at = page.find("\n## " + heading + "\n");
    ASSERT_NE(at, std::string::npos) << "no \"## " << heading << "\" section";
    EXPECT_GT(at, last) << "\"" << heading << "\" is out of order";
    last = at;
    const std::optional<std::string> body = section(page, heading);
    EXPECT_GT(body->size(), 40u) << "\"" << heading << "\" says next to nothing";
  }
  const std::string confirm = *section(page, "Confirm it");
  EXPECT_TRUE(confirm.find("```promql\n") != std::string::npos ||
              confirm.find("```sql\n") != std::string::npos)
      << "\"Confirm it\" needs a query (a ```promql or ```sql block)";
  const std::string intro = page.substr(0, page.find("\n## "));
  for (const std::string& fact : header) EXPECT_NE(intro.find(fact), std::string::npos) << fact;
  // The index lists every page.
  EXPECT_NE(read(kRunbooks / "README.md").find("](" + alertname + ".md)"), std::string::npos)
      << "docs/runbooks/README.md does not link " << alertname << ".md";
}

TEST(Runbooks, EveryRuleHasOneWithItsSeverityAndFor) {
  const config::RulesConfig built_in;
  for (const RuleDef& rule : rule_table()) {
    const config::RuleCommon& common = rule.common(built_in);
    expect_runbook(std::string(rule.name),
                   {"**Severity** " + default_severity(rule),
                    "`for: " + config::format_duration(common.for_duration) + "`"});
  }
}

TEST(Runbooks, TheWatchdogHasOne) {
  expect_runbook("Watchdog", {"**Severity** none"});  // alerts/alert_engine.cpp's
}

struct PrometheusAlert {
  std::string name, severity, for_duration, runbook_url, file;
};

std::vector<PrometheusAlert> prometheus_alerts() {
  std::vector<PrometheusAlert> alerts;
  for (const auto& entry :
       fs::directory_iterator(fs::path(QW_SOURCE_DIR) / "deploy" / "prometheus")) {
    if (entry.path().extension() != ".yml" && entry.path().extension() != ".yaml") continue;
    const YAML::Node file = YAML::LoadFile(entry.path().string());
    if (!file["groups"]) continue;
    for (const YAML::Node& group : file["groups"]) {
      for (const YAML::Node& rule : group["rules"]) {
        if (!rule["alert"]) continue;
        PrometheusAlert a;
        a.name = rule["alert"].as<std::string>();
        a.file = entry.path().filename().string();
        if (rule["labels"] && rule["labels"]["severity"])
          a.severity = rule["labels"]["severity"].as<std::string>();
        if (rule["for"]) a.for_duration = rule["for"].as<std::string>();
        if (rule["annotations"] && rule["annotations"]["runbook_url"])
          a.runbook_url = rule["annotations"]["runbook_url"].as<std::string>();
        alerts.push_back(a);
      }
    }
  }
  return alerts;
}

TEST(Runbooks, EveryQueuewatchAlertOfDeployHasOneAndLinksIt) {
  const std::vector<PrometheusAlert> alerts = prometheus_alerts();
  ASSERT_GE(alerts.size(), 5u) << "found too few alerts in deploy/prometheus/";
  for (const PrometheusAlert& a : alerts) {
    SCOPED_TRACE(a.file + ": " + a.name);
    EXPECT_TRUE(a.name.starts_with("Queuewatch")) << "queuewatch's own alerts are Queuewatch*";
    expect_runbook(a.name, {"**Severity** " + a.severity, a.for_duration.empty()
                                                              ? std::string("no `for`")
                                                              : "`for: " + a.for_duration + "`"});
    EXPECT_EQ(a.runbook_url, std::string(kPrometheusBase) + a.name + ".md");
  }
}

// rules.runbook_base_url gives every rule of the table its page; no rule is left without.
TEST(Runbooks, TheBaseUrlLinksEveryRuleOfTheTable) {
  const config::LoadResult r =
      config::load_string("rules:\n  runbook_base_url: https://runbooks.example/qw/\n", "test.yaml",
                          &config::real_env, config::Sections::rules_only);
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
  for (const RuleDef& rule : rule_table()) {
    EXPECT_EQ(rule.common(r.config.rules).runbook_url,
              "https://runbooks.example/qw/" + std::string(rule.name) + ".md");
  }
}

}  // namespace
}  // namespace qw::rules
