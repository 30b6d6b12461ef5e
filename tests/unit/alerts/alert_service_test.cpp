// The service as the daemon runs it, with a real state file: notifications reach the sink,
// and a restarted service (new objects, same file) does not page again.
#include "alerts/alert_service.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "alert_test_support.hpp"

namespace qw::alerts::test {
namespace {

// Collects what the service enqueues (the outbox's stand-in: durability is its own test's job).
class CollectingSink : public NotificationSink {
 public:
  void enqueue(std::vector<Notification> notifications) override {
    received.insert(received.end(), notifications.begin(), notifications.end());
  }
  std::vector<Notification> received;
};

class AlertServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qw-alert-service-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.receivers = {receiver("pager")};
    config_.default_receiver = "pager";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string state_path() const { return (dir_ / "alerts.json").string(); }

  std::filesystem::path dir_;
  config::AlertingConfig config_;
};

TEST_F(AlertServiceTest, RestartWithTheSameFileDoesNotPageAgain) {
  const auto db = condition("database_unavailable", "a");
  {
    CollectingSink sink;
    prometheus::Registry registry;
    AlertService service(config_, state_path(), sink, registry);
    EXPECT_EQ(service.restore(), "");  // first start: no file yet
    const AlertService::Result r = service.evaluate(at(0s), {db});
    EXPECT_EQ(r.save_error, "");
    ASSERT_EQ(sink.received.size(), 1u);
    EXPECT_TRUE(std::filesystem::exists(state_path()));
  }
  CollectingSink sink;
  prometheus::Registry registry;
  AlertService service(config_, state_path(), sink, registry);
  EXPECT_EQ(service.restore(), "");
  service.evaluate(at(10s), {db});
  EXPECT_TRUE(sink.received.empty()) << "already paged before the restart";
  service.evaluate(at(20s), {});
  ASSERT_EQ(sink.received.size(), 1u);
  EXPECT_EQ(sink.received[0].kind, NotificationKind::resolved);
}

TEST_F(AlertServiceTest, UnwritableStateIsReportedAndRetried) {
  CollectingSink sink;
  prometheus::Registry registry;
  const std::string path = (dir_ / "missing-dir" / "alerts.json").string();
  AlertService service(config_, path, sink, registry);
  const auto db = condition("database_unavailable", "a");
  EXPECT_NE(service.evaluate(at(0s), {db}).save_error, "");
  EXPECT_EQ(sink.received.size(), 1u) << "the page goes out even if the state cannot be saved";
  std::filesystem::create_directories(dir_ / "missing-dir");
  // Nothing changed, but the failed save is retried.
  EXPECT_EQ(service.evaluate(at(5s), {db}).save_error, "");
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(AlertServiceTest, CorruptStateIsReportedAndTheServiceStartsEmpty) {
  { std::ofstream(state_path()) << "{not json"; }
  CollectingSink sink;
  prometheus::Registry registry;
  AlertService service(config_, state_path(), sink, registry);
  EXPECT_NE(service.restore(), "");
  EXPECT_TRUE(service.alerts().empty());
  service.evaluate(at(0s), {condition("database_unavailable", "a")});
  EXPECT_EQ(sink.received.size(), 1u);
}

}  // namespace
}  // namespace qw::alerts::test
