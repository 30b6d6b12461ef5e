// Receiver payloads, compared as exact JSON: a field renamed or missing breaks real receivers.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "alerts/notifiers/alertmanager/alertmanager_encoder.hpp"
#include "alerts/notifiers/log/log_encoder.hpp"
#include "alerts/notifiers/pagerduty/pagerduty_encoder.hpp"
#include "alerts/notifiers/payload_common.hpp"
#include "alerts/notifiers/slack/slack_encoder.hpp"
#include "alerts/notifiers/webhook/webhook_encoder.hpp"

namespace qw::alerts::notifiers {
namespace {

using namespace std::chrono_literals;

// 2026-01-01T00:00:00Z
Time t0() {
  return Time{1767225600000ms};
}

Notification firing() {
  Notification n;
  n.id = "abc-firing-1";
  n.receiver = "hook";
  n.kind = NotificationKind::firing;
  n.fingerprint = "a1b2c3d4e5f60708";
  n.labels = {{"alertname", "no_throughput"},
              {"severity", "warning"},
              {"target", "prod-db"},
              {"queue", "mailers"}};
  n.annotations = {{"summary", "Queue mailers has not finished a job in 10m"},
                   {"runbook_url", "https://runbooks.example/no_throughput"}};
  n.starts_at = t0() + 250ms;
  n.value = 42;
  n.created_at = t0() + 1s;
  return n;
}

Notification resolved() {
  Notification n = firing();
  n.kind = NotificationKind::resolved;
  n.ends_at = t0() + 10min;
  return n;
}

EncodeContext context() {
  EncodeContext ctx;
  ctx.receiver = "hook";
  ctx.external_url = "http://queuewatch.example:9187";
  ctx.now = t0() + 5min;
  ctx.resend_interval = 60s;
  return ctx;
}

void expect_json(const boost::json::value& actual, const char* expected) {
  EXPECT_EQ(actual, boost::json::parse(expected)) << boost::json::serialize(actual);
}

TEST(Rfc3339, WholeSecondsAndMilliseconds) {
  EXPECT_EQ(rfc3339(t0()), "2026-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339(t0() + 250ms), "2026-01-01T00:00:00.25Z");
  EXPECT_EQ(rfc3339(t0() + 1001ms), "2026-01-01T00:00:01.001Z");
}

TEST(WebhookEncoder, FiringIsAlertmanagerVersion4) {
  expect_json(encode_webhook(firing(), context()), R"({
    "version": "4",
    "groupKey": "{}:{fingerprint=\"a1b2c3d4e5f60708\"}",
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "hook",
    "groupLabels": {"alertname": "no_throughput"},
    "commonLabels": {"alertname": "no_throughput", "queue": "mailers", "severity": "warning",
                     "target": "prod-db"},
    "commonAnnotations": {"runbook_url": "https://runbooks.example/no_throughput",
                          "summary": "Queue mailers has not finished a job in 10m"},
    "externalURL": "http://queuewatch.example:9187",
    "alerts": [{
      "status": "firing",
      "labels": {"alertname": "no_throughput", "queue": "mailers", "severity": "warning",
                 "target": "prod-db"},
      "annotations": {"runbook_url": "https://runbooks.example/no_throughput",
                      "summary": "Queue mailers has not finished a job in 10m"},
      "startsAt": "2026-01-01T00:00:00.25Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://queuewatch.example:9187",
      "fingerprint": "a1b2c3d4e5f60708"
    }]
  })");
}

TEST(WebhookEncoder, ResolvedCarriesEndsAt) {
  const auto v = encode_webhook(resolved(), context());
  EXPECT_EQ(v.at("status"), "resolved");
  EXPECT_EQ(v.at("alerts").at(0).at("status"), "resolved");
  EXPECT_EQ(v.at("alerts").at(0).at("endsAt"), "2026-01-01T00:10:00Z");
}

TEST(AlertmanagerEncoder, FiringEndsFourResendIntervalsAhead) {
  expect_json(encode_alertmanager({firing()}, context()), R"([{
    "labels": {"alertname": "no_throughput", "queue": "mailers", "severity": "warning",
               "target": "prod-db"},
    "annotations": {"runbook_url": "https://runbooks.example/no_throughput",
                    "summary": "Queue mailers has not finished a job in 10m"},
    "startsAt": "2026-01-01T00:00:00.25Z",
    "endsAt": "2026-01-01T00:09:00Z",
    "generatorURL": "http://queuewatch.example:9187"
  }])");
}

TEST(AlertmanagerEncoder, ResolvedEndsWhenItResolved) {
  const auto v = encode_alertmanager({resolved(), firing()}, context());
  ASSERT_EQ(v.as_array().size(), 2u);
  EXPECT_EQ(v.at(0).at("endsAt"), "2026-01-01T00:10:00Z");
  EXPECT_EQ(v.at(1).at("endsAt"), "2026-01-01T00:09:00Z");
}

TEST(PagerDutyEncoder, TriggerUsesFingerprintAsDedupKey) {
  expect_json(encode_pagerduty(firing(), context(), "R0UT1NGK3Y"), R"({
    "routing_key": "R0UT1NGK3Y",
    "dedup_key": "a1b2c3d4e5f60708",
    "event_action": "trigger",
    "payload": {
      "summary": "Queue mailers has not finished a job in 10m",
      "source": "prod-db",
      "severity": "warning",
      "timestamp": "2026-01-01T00:00:00.25Z",
      "component": "mailers",
      "group": "prod-db",
      "class": "no_throughput",
      "custom_details": {
        "labels": {"alertname": "no_throughput", "queue": "mailers", "severity": "warning",
                   "target": "prod-db"},
        "annotations": {"runbook_url": "https://runbooks.example/no_throughput",
                        "summary": "Queue mailers has not finished a job in 10m"},
        "value": 42.0,
        "fingerprint": "a1b2c3d4e5f60708"
      }
    },
    "client": "queuewatch",
    "client_url": "http://queuewatch.example:9187",
    "links": [{"href": "https://runbooks.example/no_throughput", "text": "Runbook"}]
  })");
}

TEST(PagerDutyEncoder, ResolveClosesTheSameIncident) {
  expect_json(encode_pagerduty(resolved(), context(), "K"), R"({
    "routing_key": "K", "dedup_key": "a1b2c3d4e5f60708", "event_action": "resolve"
  })");
}

TEST(PagerDutyEncoder, SeverityMappingAndSummaryLimit) {
  EXPECT_EQ(pagerduty_severity("critical"), "critical");
  EXPECT_EQ(pagerduty_severity("warning"), "warning");
  EXPECT_EQ(pagerduty_severity("info"), "info");
  EXPECT_EQ(pagerduty_severity("page"), "error");
  EXPECT_EQ(pagerduty_severity(""), "error");

  Notification n = firing();
  n.annotations["summary"] = std::string(5000, 'x');
  const auto v = encode_pagerduty(n, context(), "K");
  EXPECT_EQ(v.at("payload").at("summary").as_string().size(), kPagerDutyMaxSummary);
}

TEST(SlackEncoder, OneReadableMessage) {
  expect_json(encode_slack(firing(), context()), R"({"text":
    "[FIRING] no_throughput: Queue mailers has not finished a job in 10m\ntarget=prod-db queue=mailers severity=warning\nRunbook: https://runbooks.example/no_throughput"})");
  EXPECT_EQ(slack_text(resolved()).rfind("[RESOLVED] no_throughput: ", 0), 0u);
}

TEST(LogEncoder, OneLineWithLabelsAndSummary) {
  EXPECT_EQ(log_line(firing(), "ops-log"),
            "alert firing: no_throughput receiver=ops-log fingerprint=a1b2c3d4e5f60708 "
            "queue=\"mailers\" severity=\"warning\" target=\"prod-db\" value=42 "
            "summary=\"Queue mailers has not finished a job in 10m\"");
  EXPECT_EQ(log_line(resolved(), "ops-log").rfind("alert resolved: ", 0), 0u);
}

}  // namespace
}  // namespace qw::alerts::notifiers
