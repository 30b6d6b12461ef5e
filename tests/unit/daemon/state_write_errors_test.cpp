// The state policy at the daemon's level: a state file that cannot be written (here its
// temporary file's name is taken by a directory, as good as a full disk) is counted in
// queuewatch_state_write_errors_total{file}, the daemon carries on, and the write is retried.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <filesystem>

#include "daemon/alerting_pipeline.hpp"

namespace qw::daemon {
namespace {

namespace fs = std::filesystem;

double errors(prometheus::Registry& registry, const std::string& file) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "queuewatch_state_write_errors_total") continue;
    for (const auto& m : family.metric) {
      if (m.label.size() == 1 && m.label[0].value == file) return m.counter.value;
    }
  }
  return -1;
}

class StateWriteErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("qw-state-errors-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    config_.state_dir = dir_.string();
    config_.rules.timezone = "UTC";
    config_.alerting.heartbeat.watchdog_alert = true;  // a transition at the first evaluation
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  config::Config config_;
  prometheus::Registry registry_;
};

TEST_F(StateWriteErrors, AlertStateAndBaselinesAreCountedAndRetried) {
  AlertingPipeline pipeline(config_, registry_);
  EXPECT_EQ(errors(registry_, "outbox"), 0);
  EXPECT_EQ(errors(registry_, "alerts"), 0);
  EXPECT_EQ(errors(registry_, "baselines"), 0);

  fs::create_directories(dir_ / "alerts.json.tmp");
  fs::create_directories(dir_ / "baselines.tsv.tmp");
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  EXPECT_NO_THROW(pipeline.evaluate(now));
  EXPECT_EQ(errors(registry_, "alerts"), 1);
  EXPECT_NO_THROW(pipeline.save_baselines());
  EXPECT_EQ(errors(registry_, "baselines"), 1);

  fs::remove(dir_ / "alerts.json.tmp");
  fs::remove(dir_ / "baselines.tsv.tmp");
  pipeline.evaluate(now + std::chrono::seconds(1));  // nothing changed: the failed save retries
  EXPECT_TRUE(fs::exists(dir_ / "alerts.json"));
  pipeline.save_baselines();
  EXPECT_TRUE(fs::exists(dir_ / "baselines.tsv"));
  EXPECT_EQ(errors(registry_, "alerts"), 1);
  EXPECT_EQ(errors(registry_, "baselines"), 1);
}

}  // namespace
}  // namespace qw::daemon
