// The exporter's output, line by line: these lines are what dashboards and alerts query.
#include "daemon/metrics_exporter.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace qw::daemon {
namespace {

using probes::FailureReason;
using probes::QueueProbeSample;
using probes::QueueSample;
using probes::TargetHealthSample;

config::Config two_targets() {
  config::Config c;
  for (const auto& [name, region] : {std::pair{"primary", "eu-west"}, {"replica", "us-east"}}) {
    config::TargetConfig t;
    t.name = name;
    t.dsn = std::string("host=") + name;
    t.region = region;
    c.targets.push_back(t);
  }
  config::QueueConfig jobs;
  jobs.name = "app_jobs";
  jobs.target = "primary";
  jobs.table = "jobs";
  jobs.queue_column = "queue";
  jobs.timestamps.heartbeat = "heartbeat_at";
  c.queues.push_back(jobs);
  config::QueueConfig mailer;
  mailer.name = "mailer";
  mailer.target = "replica";
  mailer.table = "mail_jobs";
  mailer.completed_rows = config::CompletedRows::deleted;
  c.queues.push_back(mailer);
  return c;
}

TargetHealthSample primary_up() {
  TargetHealthSample s;
  s.target = "primary";
  s.up = true;
  s.connect_seconds = 0.0125;
  s.query_seconds = 0.003;
  s.server_version = "15.4";
  s.in_recovery = false;
  return s;
}

TargetHealthSample replica_down(FailureReason reason) {
  TargetHealthSample s;
  s.target = "replica";
  s.up = false;
  s.reason = reason;
  s.detail = "could not connect";
  s.connect_seconds = 0.001;
  return s;
}

QueueProbeSample app_jobs_ok(std::uint64_t completed, std::uint64_t failed) {
  QueueProbeSample s;
  s.target = "primary";
  s.source = "app_jobs";
  s.ok = true;
  QueueSample def;
  def.queue = "default";
  def.ready = 12;
  def.running = 2;
  def.oldest_ready_age_seconds = 3.5;
  def.oldest_running_age_seconds = 40;
  def.oldest_heartbeat_age_seconds = 5;
  def.completed_delta = completed;
  def.failed_delta = failed;
  QueueSample critical;
  critical.queue = "critical";
  critical.ready = 100000;
  critical.ready_capped = true;
  s.queues = {def, critical};
  return s;
}

QueueProbeSample failed_source(std::string target, std::string source) {
  QueueProbeSample s;
  s.target = std::move(target);
  s.source = std::move(source);
  s.ok = false;
  s.reason = FailureReason::connection_refused;
  return s;
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

// Lines of sample data (not comments) whose series starts with `prefix`.
std::vector<std::string> series(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.starts_with(prefix)) out.push_back(l);
  return out;
}

const std::string kDefault =
    R"({queue="default",region="eu-west",source="app_jobs",target="primary"})";
const std::string kCritical =
    R"({queue="critical",region="eu-west",source="app_jobs",target="primary"})";
const std::string kAppJobs = R"({region="eu-west",source="app_jobs",target="primary"})";
const std::string kMailer = R"({region="us-east",source="mailer",target="replica"})";
const std::string kPrimary = R"({region="eu-west",target="primary"})";
const std::string kReplica = R"({region="us-east",target="replica"})";

class MetricsExporterTest : public ::testing::Test {
 protected:
  void publish_all() {
    exporter.publish(primary_up());
    exporter.publish(replica_down(FailureReason::connection_refused));
    exporter.publish(app_jobs_ok(7, 1));
    exporter.publish(failed_source("replica", "mailer"));
  }
  MetricsExporter exporter{two_targets()};
};

TEST_F(MetricsExporterTest, ExportsQueueGaugesWithExactLabels) {
  publish_all();
  const auto text = exporter.text();
  EXPECT_TRUE(has_line(text, "queuewatch_queue_ready_jobs" + kDefault + " 12")) << text;
  EXPECT_TRUE(has_line(text, "queuewatch_queue_ready_capped" + kDefault + " 0"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_running_jobs" + kDefault + " 2"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_running_capped" + kDefault + " 0"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_oldest_ready_age_seconds" + kDefault + " 3.5"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_oldest_running_age_seconds" + kDefault + " 40"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_oldest_heartbeat_age_seconds" + kDefault + " 5"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_completed_jobs_total" + kDefault + " 7"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_failed_jobs_total" + kDefault + " 1"));

  EXPECT_TRUE(has_line(text, "queuewatch_queue_ready_jobs" + kCritical + " 100000"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_ready_capped" + kCritical + " 1"));
  // Nothing waits or runs there: ages are 0, not absent.
  EXPECT_TRUE(has_line(text, "queuewatch_queue_oldest_running_age_seconds" + kCritical + " 0"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_oldest_heartbeat_age_seconds" + kCritical + " 0"));

  EXPECT_TRUE(has_line(text, "queuewatch_queue_probe_success" + kAppJobs + " 1"));
  EXPECT_EQ(series(text, "queuewatch_queue_last_success_timestamp_seconds" + kAppJobs).size(), 1u);
}

TEST_F(MetricsExporterTest, FailingSourceHasNoQueueGauges) {
  publish_all();
  const auto text = exporter.text();
  EXPECT_TRUE(has_line(text, "queuewatch_queue_probe_success" + kMailer + " 0"));
  EXPECT_TRUE(series(text, "queuewatch_queue_last_success_timestamp_seconds" + kMailer).empty());
  // Every per-queue series of the failing source is gone (its per-source ones remain).
  for (const auto& line : series(text, "queuewatch_queue_"))
    if (line.find("queue=\"") != std::string::npos) {
      EXPECT_EQ(line.find("source=\"mailer\""), std::string::npos) << line;
    }
}

TEST_F(MetricsExporterTest, ExportsTargetHealth) {
  publish_all();
  const auto text = exporter.text();
  EXPECT_TRUE(has_line(text, "queuewatch_target_up" + kPrimary + " 1")) << text;
  EXPECT_TRUE(has_line(text, "queuewatch_target_up" + kReplica + " 0"));
  EXPECT_TRUE(has_line(
      text,
      R"(queuewatch_target_down_reason{reason="connection_refused",region="us-east",target="replica"} 1)"));
  EXPECT_EQ(series(text, "queuewatch_target_down_reason").size(), 1u);
  EXPECT_TRUE(has_line(text, "queuewatch_target_connect_duration_seconds" + kPrimary + " 0.0125"));
  EXPECT_TRUE(has_line(text, "queuewatch_target_connect_duration_seconds" + kReplica + " 0.001"));
  EXPECT_TRUE(has_line(text, "queuewatch_target_in_recovery" + kPrimary + " 0"));
  EXPECT_TRUE(series(text, "queuewatch_target_in_recovery" + kReplica).empty());
  EXPECT_TRUE(has_line(
      text,
      R"(queuewatch_target_info{region="eu-west",server_version="15.4",target="primary"} 1)"));
  EXPECT_TRUE(has_line(text, "queuewatch_target_query_duration_seconds_count" + kPrimary + " 1"));
  EXPECT_TRUE(has_line(
      text,
      R"(queuewatch_target_query_duration_seconds_bucket{region="eu-west",target="primary",le="0.0025"} 0)"));
  EXPECT_TRUE(has_line(
      text,
      R"(queuewatch_target_query_duration_seconds_bucket{region="eu-west",target="primary",le="0.005"} 1)"));
  EXPECT_TRUE(has_line(
      text,
      R"(queuewatch_target_query_duration_seconds_bucket{region="eu-west",target="primary",le="0.0005"} 0)"));
}

TEST_F(MetricsExporterTest, DownReasonFollowsTheLatestFailureAndVanishesWhenUp) {
  exporter.publish(replica_down(FailureReason::connection_refused));
  exporter.publish(replica_down(FailureReason::auth_failed));
  auto text = exporter.text();
  const auto reasons = series(text, "queuewatch_target_down_reason");
  ASSERT_EQ(reasons.size(), 1u) << text;
  EXPECT_EQ(
      reasons[0],
      R"(queuewatch_target_down_reason{reason="auth_failed",region="us-east",target="replica"} 1)");

  auto up = primary_up();
  up.target = "replica";
  exporter.publish(up);
  text = exporter.text();
  EXPECT_TRUE(series(text, "queuewatch_target_down_reason").empty()) << text;
  EXPECT_TRUE(has_line(text, "queuewatch_target_up" + kReplica + " 1"));
}

TEST_F(MetricsExporterTest, CountersAccumulateAcrossPublishes) {
  exporter.publish(app_jobs_ok(7, 1));
  exporter.publish(app_jobs_ok(5, 0));
  QueueProbeSample mailer;
  mailer.target = "replica";
  mailer.source = "mailer";
  mailer.ok = true;
  mailer.table_completed_delta = 30;
  exporter.publish(mailer);
  mailer.table_completed_delta = 12;
  exporter.publish(mailer);
  const auto text = exporter.text();
  EXPECT_TRUE(has_line(text, "queuewatch_queue_completed_jobs_total" + kDefault + " 12")) << text;
  EXPECT_TRUE(has_line(text, "queuewatch_queue_failed_jobs_total" + kDefault + " 1"));
  EXPECT_TRUE(has_line(text, "queuewatch_source_completed_jobs_total" + kMailer + " 42"));
}

TEST_F(MetricsExporterTest, UnknownFailuresExportNoFailureCounter) {
  auto sample = app_jobs_ok(7, 0);
  for (auto& q : sample.queues) q.failures_known = false;
  exporter.publish(sample);
  const auto text = exporter.text();
  EXPECT_TRUE(series(text, "queuewatch_queue_failed_jobs_total{").empty()) << text;
  EXPECT_TRUE(has_line(text, "queuewatch_queue_completed_jobs_total" + kDefault + " 7")) << text;
}

TEST_F(MetricsExporterTest, UnknownCompletionsExportNoQueueCounter) {
  auto sample = app_jobs_ok(7, 1);
  for (auto& q : sample.queues) q.completions_known = false;
  exporter.publish(sample);
  const auto text = exporter.text();
  EXPECT_TRUE(series(text, "queuewatch_queue_completed_jobs_total{").empty()) << text;
  // Failures are measured apart from completions (kept, stamped failed rows): still counted.
  EXPECT_TRUE(has_line(text, "queuewatch_queue_failed_jobs_total" + kDefault + " 1")) << text;
  EXPECT_TRUE(has_line(text, "queuewatch_queue_ready_jobs" + kDefault + " 12"));
  // ... and says so, instead of a counter that stays 0.
  EXPECT_TRUE(has_line(text, "queuewatch_queue_completions_measured" + kDefault + " 0")) << text;
}

TEST_F(MetricsExporterTest, ObservedProgressIsItsOwnCounterNeverCompletions) {
  auto sample = app_jobs_ok(7, 1);
  for (auto& q : sample.queues) q.completions_known = false;
  exporter.publish(sample);  // the first round compares nothing: no progress counter yet
  EXPECT_TRUE(series(exporter.text(), "queuewatch_queue_progress_observed_total{").empty());
  for (auto& q : sample.queues) q.progress_observed = 4;
  exporter.publish(sample);
  exporter.publish(sample);
  const auto text = exporter.text();
  EXPECT_TRUE(has_line(text, "queuewatch_queue_progress_observed_total" + kDefault + " 8")) << text;
  EXPECT_TRUE(series(text, "queuewatch_queue_completed_jobs_total{").empty()) << text;
}

TEST_F(MetricsExporterTest, CountedCompletionsAreMarkedMeasured) {
  exporter.publish(app_jobs_ok(7, 1));
  EXPECT_TRUE(has_line(exporter.text(), "queuewatch_queue_completions_measured" + kDefault + " 1"));
}

TEST_F(MetricsExporterTest, FailureRemovesQueueGaugesButKeepsCounters) {
  exporter.publish(app_jobs_ok(7, 1));
  exporter.publish(failed_source("primary", "app_jobs"));
  auto text = exporter.text();
  EXPECT_TRUE(series(text, "queuewatch_queue_ready_jobs{").empty()) << text;
  EXPECT_TRUE(series(text, "queuewatch_queue_oldest_ready_age_seconds{").empty());
  EXPECT_TRUE(series(text, "queuewatch_queue_oldest_heartbeat_age_seconds{").empty());
  EXPECT_TRUE(has_line(text, "queuewatch_queue_completed_jobs_total" + kDefault + " 7"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_probe_success" + kAppJobs + " 0"));
  // The last success stays: "how long since we last saw this queue" is the point of it.
  EXPECT_EQ(series(text, "queuewatch_queue_last_success_timestamp_seconds" + kAppJobs).size(), 1u);

  exporter.publish(app_jobs_ok(1, 0));
  text = exporter.text();
  EXPECT_TRUE(has_line(text, "queuewatch_queue_ready_jobs" + kDefault + " 12"));
  EXPECT_TRUE(has_line(text, "queuewatch_queue_completed_jobs_total" + kDefault + " 8"));
}

TEST_F(MetricsExporterTest, VanishedQueueLosesItsGauges) {
  exporter.publish(app_jobs_ok(7, 1));
  auto only_default = app_jobs_ok(0, 0);
  only_default.queues.pop_back();  // "critical" is gone
  exporter.publish(only_default);
  const auto text = exporter.text();
  for (const auto& line : series(text, "queuewatch_queue_"))
    if (line.find("_total{") == std::string::npos) {
      EXPECT_EQ(line.find("queue=\"critical\""), std::string::npos) << line;
    }
  EXPECT_TRUE(has_line(text, "queuewatch_queue_ready_jobs" + kDefault + " 12"));
  // Its counters stay: the jobs it completed did happen.
  EXPECT_TRUE(has_line(text, "queuewatch_queue_completed_jobs_total" + kCritical + " 0"));
}

TEST_F(MetricsExporterTest, HeartbeatAgeOnlyForSourcesThatMapIt) {
  QueueProbeSample mailer;
  mailer.target = "replica";
  mailer.source = "mailer";
  mailer.ok = true;
  QueueSample q;
  q.queue = "mailer";
  q.oldest_heartbeat_age_seconds = 9;
  mailer.queues = {q};
  exporter.publish(mailer);
  const auto text = exporter.text();
  EXPECT_TRUE(has_line(
      text,
      R"(queuewatch_queue_ready_jobs{queue="mailer",region="us-east",source="mailer",target="replica"} 0)"));
  EXPECT_TRUE(series(text, "queuewatch_queue_oldest_heartbeat_age_seconds{").empty()) << text;
}

TEST_F(MetricsExporterTest, ProbeRunMetricsStartEveryReasonAtZero) {
  exporter.observe_probe_run("postgres_health", "replica", 0.2, FailureReason::connection_refused);
  exporter.observe_probe_run("postgres_health", "replica", 0.1, FailureReason::none);
  exporter.count_overrun("postgres_health", "replica");
  exporter.count_backoff_skip("postgres_health", "replica");
  exporter.count_backoff_skip("postgres_health", "replica");
  const auto text = exporter.text();
  EXPECT_TRUE(has_line(
      text,
      R"(queuewatch_probe_errors_total{probe="postgres_health",reason="connection_refused",target="replica"} 1)"))
      << text;
  EXPECT_TRUE(has_line(
      text,
      R"(queuewatch_probe_errors_total{probe="postgres_health",reason="auth_failed",target="replica"} 0)"));
  EXPECT_EQ(series(text, "queuewatch_probe_errors_total{").size(),
            probes::kAllFailureReasons.size());
  EXPECT_TRUE(has_line(
      text,
      R"(queuewatch_probe_duration_seconds_count{probe="postgres_health",target="replica"} 2)"));
  EXPECT_TRUE(has_line(
      text, R"(queuewatch_probe_overruns_total{probe="postgres_health",target="replica"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(queuewatch_probe_backoff_skips_total{probe="postgres_health",target="replica"} 2)"));
}

TEST_F(MetricsExporterTest, BuildInfoIsSetAtConstruction) {
  const auto lines = series(exporter.text(), "queuewatch_build_info{");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("version=\""), std::string::npos);
  EXPECT_NE(lines[0].find("compiler=\""), std::string::npos);
  EXPECT_TRUE(lines[0].ends_with("} 1"));
}

TEST_F(MetricsExporterTest, ReconfigureDropsRemovedTargetsAndSourcesAndIgnoresLateSamples) {
  publish_all();
  exporter.observe_probe_run("postgres_health", "replica", 0.2, FailureReason::none);
  exporter.publish(app_jobs_ok(7, 1));

  auto without_replica = two_targets();
  without_replica.targets.pop_back();
  without_replica.queues.pop_back();
  exporter.reconfigure(without_replica);
  auto text = exporter.text();
  EXPECT_EQ(text.find("replica"), std::string::npos) << text;
  EXPECT_EQ(text.find("mailer"), std::string::npos);
  EXPECT_TRUE(has_line(text, "queuewatch_queue_completed_jobs_total" + kDefault + " 14"));

  // A worker that was mid-run during the reload reports afterwards: nothing comes back.
  exporter.publish(replica_down(FailureReason::dns));
  exporter.publish(failed_source("replica", "mailer"));
  exporter.observe_probe_run("postgres_health", "replica", 0.2, FailureReason::dns);
  text = exporter.text();
  EXPECT_EQ(text.find("replica"), std::string::npos) << text;
}

TEST_F(MetricsExporterTest, ReconfigureMovingARegionRelabels) {
  publish_all();
  auto moved = two_targets();
  moved.targets[0].region = "eu-central";
  exporter.reconfigure(moved);
  exporter.publish(primary_up());
  const auto text = exporter.text();
  EXPECT_EQ(text.find("eu-west"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, R"(queuewatch_target_up{region="eu-central",target="primary"} 1)"));
}

// promtool is the reference linter: names, suffixes, HELP text, histogram shape.
TEST_F(MetricsExporterTest, PromtoolFindsNothingToComplainAbout) {
  constexpr const char* kPromtool = "/usr/bin/promtool";
  ASSERT_EQ(::access(kPromtool, X_OK), 0) << kPromtool << " is missing: run scripts/install-deps";
  publish_all();
  exporter.observe_probe_run("postgres_queue", "primary", 0.2, FailureReason::query_timeout);
  exporter.count_overrun("postgres_queue", "primary");

  const auto path = std::filesystem::temp_directory_path() /
                    ("qw_metrics_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << exporter.text();
  const std::string command =
      std::string(kPromtool) + " check metrics < " + path.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (const auto n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  const int status = ::pclose(pipe);
  std::filesystem::remove(path);
  EXPECT_EQ(output, "");
  EXPECT_EQ(status, 0) << output;
}

}  // namespace
}  // namespace qw::daemon
