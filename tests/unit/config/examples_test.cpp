// The shipped example files must load: operators copy them, and scripts/demo runs demo.yaml.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

const std::string kExamples = std::string(QW_SOURCE_DIR) + "/config/examples/";

TEST_F(ConfigTest, DemoExampleLoads) {
  fake_vars()["QW_DEMO_PGPORT"] = "54321";
  fake_vars()["QW_DEMO_HTTP_PORT"] = "19187";
  const LoadResult r = load_file(kExamples + "demo.yaml", &fake_env);
  ASSERT_TRUE(r.ok()) << all_errors(r);

  const Config& c = r.config;
  EXPECT_EQ(c.http.listen, "127.0.0.1:19187");
  EXPECT_EQ(c.state_dir, "/tmp/queuewatch-demo");
  EXPECT_EQ(c.probes.health.interval, Duration{2000});
  EXPECT_EQ(c.probes.queue.interval, Duration{3000});
  ASSERT_EQ(c.targets.size(), 1u);
  EXPECT_EQ(c.targets[0].name, "demo-db");
  EXPECT_EQ(c.targets[0].region, "local");
  EXPECT_EQ(c.targets[0].dsn, "host=127.0.0.1 port=54321 dbname=queuewatch_demo user=postgres");

  ASSERT_EQ(c.queues.size(), 2u);
  const QueueConfig& kept = c.queues[0];
  EXPECT_EQ(kept.table, "demo_jobs");
  EXPECT_EQ(kept.queue_column, "queue");
  EXPECT_EQ(kept.completed_rows, CompletedRows::kept);
  EXPECT_EQ(kept.state.completed, std::vector<std::string>{"done"});
  EXPECT_EQ(kept.timestamps.finished, "finished_at");
  EXPECT_EQ(kept.settle_delay, Duration{2000});

  const QueueConfig& deleted = c.queues[1];
  EXPECT_EQ(deleted.name, "demo_deleted");
  EXPECT_EQ(deleted.table, "demo_deleted_jobs");
  EXPECT_FALSE(deleted.queue_column.has_value());
  EXPECT_EQ(deleted.completed_rows, CompletedRows::deleted);
}

TEST_F(ConfigTest, DemoExampleWithoutItsPortIsAnError) {
  const LoadResult r = load_file(kExamples + "demo.yaml", &fake_env);
  ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
  EXPECT_EQ(r.errors[0].path, "targets[0].dsn");
  EXPECT_NE(r.errors[0].message.find("QW_DEMO_PGPORT"), std::string::npos);
}

TEST_F(ConfigTest, ProductionExampleLoads) {
  // Under systemd, LoadCredential= puts the password file in $CREDENTIALS_DIRECTORY, under the
  // name the unit gives it (tests/scripts/package_install.sh checks the two agree).
  const std::filesystem::path creds =
      std::filesystem::temp_directory_path() / ("qw_creds_" + std::to_string(::getpid()));
  std::filesystem::create_directories(creds);
  std::ofstream(creds / "db-password") << "p\n";
  fake_vars()["CREDENTIALS_DIRECTORY"] = creds.string();

  const LoadResult r = load_file(kExamples + "production.yaml", &fake_env);
  std::filesystem::remove_all(creds);
  ASSERT_TRUE(r.ok()) << all_errors(r);

  const Config& c = r.config;
  ASSERT_EQ(c.targets.size(), 2u);
  EXPECT_EQ(c.targets[0].expect, ExpectedRole::primary);
  EXPECT_EQ(c.targets[1].expect, ExpectedRole::replica);
  EXPECT_EQ(c.targets[0].password_file, (creds / "db-password").string());
  EXPECT_EQ(c.targets[1].password_file, (creds / "db-password").string());
  ASSERT_EQ(c.queues.size(), 2u);
  EXPECT_EQ(c.queues[0].table, "river_job");
  EXPECT_EQ(c.queues[1].schema, "billing");
  EXPECT_EQ(c.queues[1].timestamps.kind, TimestampKind::timestamp_utc);
  EXPECT_EQ(c.queues[1].interval, Duration{30000});
  EXPECT_EQ(c.probes.queue.max_backoff, Duration{120000});
}

}  // namespace
}  // namespace qw::config::test
