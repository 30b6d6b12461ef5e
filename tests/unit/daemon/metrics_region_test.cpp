// A target's region is optional (issue 9): without one, its series have no `region` label at
// all, not `region=""`; a reload that removes the region relabels them.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "daemon/metrics_exporter.hpp"

namespace qw::daemon {
namespace {

config::Config one_target(const std::string& region) {
  config::Config c;
  config::TargetConfig t;
  t.name = "primary";
  t.dsn = "host=primary";
  t.region = region;
  c.targets.push_back(t);
  config::QueueConfig jobs;
  jobs.name = "app_jobs";
  jobs.target = "primary";
  jobs.table = "jobs";
  c.queues.push_back(jobs);
  return c;
}

void publish(MetricsExporter& exporter) {
  probes::TargetHealthSample health;
  health.target = "primary";
  health.up = true;
  health.query_seconds = 0.003;
  exporter.publish(health);
  probes::QueueProbeSample source;
  source.target = "primary";
  source.source = "app_jobs";
  source.ok = true;
  probes::QueueSample q;
  q.queue = "default";
  q.ready = 3;
  source.queues = {q};
  exporter.publish(source);
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

TEST(MetricsRegion, NoRegionLabelWhenTheTargetHasNone) {
  MetricsExporter exporter{one_target("")};
  publish(exporter);
  const std::string text = exporter.text();
  EXPECT_EQ(text.find("region"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, R"(queuewatch_target_up{target="primary"} 1)")) << text;
  EXPECT_TRUE(has_line(
      text, R"(queuewatch_queue_ready_jobs{queue="default",source="app_jobs",target="primary"} 3)"))
      << text;
}

TEST(MetricsRegion, RemovingTheRegionOnReloadRelabels) {
  MetricsExporter exporter{one_target("eu-west")};
  publish(exporter);
  EXPECT_TRUE(
      has_line(exporter.text(), R"(queuewatch_target_up{region="eu-west",target="primary"} 1)"));
  exporter.reconfigure(one_target(""));
  publish(exporter);
  const std::string text = exporter.text();
  EXPECT_EQ(text.find("region"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, R"(queuewatch_target_up{target="primary"} 1)")) << text;
}

}  // namespace
}  // namespace qw::daemon
