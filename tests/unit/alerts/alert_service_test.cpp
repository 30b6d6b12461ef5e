// The service as the daemon runs it, with a real state file: notifications reach the sink,
// and a restarted service (new objects, same file) does not page again.
#include "alerts/alert_service.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "alert_test_support.hpp"
#include "alerts/outbox.hpp"

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

class RefusingSink : public NotificationSink {
 public:
  void enqueue(std::vector<Notification>) override {
    throw std::runtime_error("outbox: cannot write: No space left on device");
  }
};

// A full disk refuses the enqueue: evaluate() does not throw, reports it, and rolls back, so the
// next evaluation plans the same page again (nothing marked notified that was not accepted).
TEST_F(AlertServiceTest, RefusedEnqueueIsReportedAndPlannedAgain) {
  prometheus::Registry registry;
  RefusingSink refusing;
  CollectingSink sink;
  const auto db = condition("database_unavailable", "a");
  {
    AlertService service(config_, state_path(), refusing, registry);
    AlertService::Result r;
    EXPECT_NO_THROW(r = service.evaluate(at(0s), {db}));
    EXPECT_NE(r.enqueue_error, "");
    EXPECT_TRUE(r.step.transitions.empty());
  }
  prometheus::Registry registry2;
  AlertService service(config_, state_path(), sink, registry2);
  service.restore();
  service.evaluate(at(5s), {db});
  ASSERT_EQ(sink.received.size(), 1u);
  EXPECT_EQ(sink.received[0].kind, NotificationKind::firing);
}

// alerts.json says the page went out; the outbox record that held it was damaged. The alert
// must be notified again, not after repeat_interval (4 h).
TEST_F(AlertServiceTest, DamagedOutboxRecordsAreNotifiedAgain) {
  const auto db = condition("database_unavailable", "a");
  const auto gone = condition("database_unavailable", "b");
  config_.repeat_interval = 4h;
  {
    prometheus::Registry registry;
    Outbox outbox(dir_);
    AlertService service(config_, state_path(), outbox, registry);
    service.restore();
    service.evaluate(at(0s), {db, gone});
    service.evaluate(at(10s), {db});  // b resolves
    ASSERT_EQ(outbox.depth("pager"), 3u);
  }
  // Damage the first record (a's page) and the last (b's resolved notice).
  const auto path = dir_ / "outbox.log";
  std::string data;
  {
    std::ifstream in(path, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  data[12] = static_cast<char>(data[12] ^ 1);
  data[data.size() - 3] = static_cast<char>(data[data.size() - 3] ^ 1);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;

  prometheus::Registry registry;
  Outbox outbox(dir_);
  ASSERT_TRUE(outbox.replay_report().records_lost());
  ASSERT_EQ(outbox.depth("pager"), 1u);  // b's page survived
  AlertService service(config_, state_path(), outbox, registry);
  EXPECT_EQ(service.restore(), "");
  service.outbox_lost_records(outbox.standing_fingerprints());
  service.evaluate(at(20s), {db});
  std::vector<std::pair<std::string, NotificationKind>> sent;
  while (auto n = outbox.front("pager")) {
    sent.emplace_back(n->labels.at("target"), n->kind);
    outbox.ack("pager", n->id, AckResult::success);
    if (sent.size() > 10) break;
  }
  // b's surviving page first (FIFO), then the two re-sent, in the planner's order.
  ASSERT_EQ(sent.size(), 3u);
  std::sort(sent.begin() + 1, sent.end());
  EXPECT_EQ(sent, (std::vector<std::pair<std::string, NotificationKind>>{
                      {"b", NotificationKind::firing},
                      {"a", NotificationKind::firing},
                      {"b", NotificationKind::resolved}}));
  // Once: the next evaluation sends nothing more.
  service.evaluate(at(30s), {db});
  EXPECT_EQ(outbox.depth("pager"), 0u);
}

}  // namespace
}  // namespace qw::alerts::test
