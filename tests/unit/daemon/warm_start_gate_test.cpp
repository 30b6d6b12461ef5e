// The alerting pipeline decides which warm starts run: each source at most once, one read per
// target at a time, none for a source whose history the rules already hold, and none more on a
// target where a read found the database slow. A monitor must not pile scans onto a database.
#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include <filesystem>

#include "daemon/alerting_pipeline.hpp"

namespace qw::daemon {
namespace {

using probes::HistoryAnswer;

class WarmStartGate : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qw-gate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    config_.state_dir = dir_.string();
    config_.rules.timezone = "UTC";
    pipeline_ = std::make_unique<AlertingPipeline>(config_, registry_);
  }
  void TearDown() override {
    pipeline_.reset();
    std::filesystem::remove_all(dir_);
  }
  void finished(const std::string& target, const std::string& source, bool ok,
                probes::FailureReason reason = probes::FailureReason::none, double seconds = 1) {
    probes::QueueHistorySample h;
    h.seconds = seconds;
    h.target = target;
    h.source = source;
    h.ok = ok;
    h.reason = reason;
    h.until = 1716800400;  // 2024-05-27 09:00 UTC
    if (ok) {
      for (int i = 1; i <= 3; ++i) h.hours.push_back({"q", h.until - 3600 * (i + 1), 100});
    }
    pipeline_->publish(h);
  }

  std::filesystem::path dir_;
  config::Config config_;
  prometheus::Registry registry_;
  std::unique_ptr<AlertingPipeline> pipeline_;
};

TEST_F(WarmStartGate, OneReadPerTargetAtATimeAndEachSourceOnce) {
  EXPECT_EQ(pipeline_->wants_history("db", "a"), HistoryAnswer::yes);
  EXPECT_EQ(pipeline_->wants_history("db", "b"), HistoryAnswer::later);   // a is reading
  EXPECT_EQ(pipeline_->wants_history("other", "c"), HistoryAnswer::yes);  // another target
  finished("db", "a", true);
  EXPECT_EQ(pipeline_->wants_history("db", "b"), HistoryAnswer::yes);
  EXPECT_EQ(pipeline_->wants_history("db", "a"), HistoryAnswer::no) << "read once already";
}

TEST_F(WarmStartGate, NoReadAfterARestartThatRestoredTheBaselines) {
  EXPECT_EQ(pipeline_->wants_history("db", "a"), HistoryAnswer::yes);
  finished("db", "a", true);  // the rules now hold hours of db/a
  pipeline_.reset();          // stopping saves baselines.tsv in state_dir
  pipeline_ = std::make_unique<AlertingPipeline>(config_, registry_);
  EXPECT_EQ(pipeline_->wants_history("db", "a"), HistoryAnswer::no) << "restored: no scan";
  EXPECT_EQ(pipeline_->wants_history("db", "b"), HistoryAnswer::yes) << "b has none";
}

TEST_F(WarmStartGate, ASlowDatabaseStopsFurtherWarmStartsOnItsTarget) {
  EXPECT_EQ(pipeline_->wants_history("db", "a"), HistoryAnswer::yes);
  finished("db", "a", false, probes::FailureReason::query_timeout);
  EXPECT_EQ(pipeline_->wants_history("db", "b"), HistoryAnswer::no);
  EXPECT_EQ(pipeline_->wants_history("other", "c"), HistoryAnswer::yes);
}

TEST_F(WarmStartGate, WarmStartsStopOnceATargetsBudgetIsSpent) {
  EXPECT_EQ(pipeline_->wants_history("db", "a"), HistoryAnswer::yes);
  finished("db", "a", true, probes::FailureReason::none, 70);
  EXPECT_EQ(pipeline_->wants_history("db", "b"), HistoryAnswer::yes);  // 70 s of 120 spent
  finished("db", "b", true, probes::FailureReason::none, 70);
  EXPECT_EQ(pipeline_->wants_history("db", "c"), HistoryAnswer::no) << "140 s: budget spent";
  EXPECT_EQ(pipeline_->wants_history("other", "d"), HistoryAnswer::yes);
}

}  // namespace
}  // namespace qw::daemon
