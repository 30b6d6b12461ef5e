// The durable outbox against a real file: replay after "crash" (destruction without delivery),
// torn and corrupt tails, compaction, the bound.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "alerts/outbox.hpp"

namespace qw::alerts {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("qw-outbox-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

Notification make(const std::string& receiver, int i,
                  NotificationKind kind = NotificationKind::firing) {
  Notification n;
  n.id = receiver + "-" + std::to_string(i);
  n.receiver = receiver;
  n.kind = kind;
  n.fingerprint = "fp" + std::to_string(i);
  n.labels = {{"alertname", "a" + std::to_string(i)}};
  n.annotations = {{"summary", "s"}};
  n.starts_at = Time{1767225600000ms + std::chrono::milliseconds(i)};
  n.created_at = n.starts_at;
  n.value = i;
  if (kind == NotificationKind::resolved) n.ends_at = n.starts_at + 1min;
  return n;
}

std::vector<std::string> drain_ids(Outbox& outbox, const std::string& receiver) {
  std::vector<std::string> out;
  while (auto n = outbox.front(receiver)) {
    out.push_back(n->id);
    outbox.ack(receiver, n->id, AckResult::success);
  }
  return out;
}

TEST_F(OutboxTest, PendingNotificationsSurviveReopening) {
  {
    Outbox outbox(dir_);
    outbox.enqueue({make("pd", 1), make("pd", 2), make("slack", 3)});
    outbox.ack("pd", "pd-1", AckResult::success);
  }
  Outbox reopened(dir_);
  EXPECT_EQ(reopened.depth("pd"), 1u);
  EXPECT_EQ(reopened.depth("slack"), 1u);
  const auto n = reopened.front("pd");
  ASSERT_TRUE(n);
  const Notification expected = make("pd", 2);
  EXPECT_EQ(n->id, expected.id);
  EXPECT_EQ(n->fingerprint, expected.fingerprint);
  EXPECT_EQ(n->labels, expected.labels);
  EXPECT_EQ(n->annotations, expected.annotations);
  EXPECT_EQ(n->starts_at, expected.starts_at);
  EXPECT_EQ(n->value, expected.value);
  EXPECT_EQ(reopened.oldest("pd"), expected.created_at);
}

TEST_F(OutboxTest, OrderIsKeptAndDuplicateIdsIgnored) {
  Outbox outbox(dir_);
  outbox.enqueue({make("pd", 1), make("pd", 2)});
  outbox.enqueue({make("pd", 2), make("pd", 3)});
  EXPECT_EQ(drain_ids(outbox, "pd"), (std::vector<std::string>{"pd-1", "pd-2", "pd-3"}));
}

TEST_F(OutboxTest, TornTailIsCutOffAndTheRestRestored) {
  {
    Outbox outbox(dir_);
    outbox.enqueue({make("pd", 1)});
    outbox.enqueue({make("pd", 2)});
  }
  const auto path = dir_ / "outbox.log";
  const auto full = fs::file_size(path);
  // A crash in the middle of writing the second record.
  fs::resize_file(path, full - 10);
  Outbox reopened(dir_);
  EXPECT_EQ(drain_ids(reopened, "pd"), (std::vector<std::string>{"pd-1"}));
  // The file was cut back to the intact record, so new appends are readable after it.
  reopened.enqueue({make("pd", 3)});
  Outbox again(dir_);
  EXPECT_EQ(drain_ids(again, "pd"), (std::vector<std::string>{"pd-3"}));
}

TEST_F(OutboxTest, CorruptRecordFailsItsCrcAndIsCutOff) {
  {
    Outbox outbox(dir_);
    outbox.enqueue({make("pd", 1)});
    outbox.enqueue({make("pd", 2)});
  }
  const auto path = dir_ / "outbox.log";
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-5, std::ios::end);
    f.put('#');
  }
  Outbox reopened(dir_);
  EXPECT_EQ(drain_ids(reopened, "pd"), (std::vector<std::string>{"pd-1"}));
}

TEST_F(OutboxTest, GarbageFileIsRepairedNotFatal) {
  fs::create_directories(dir_);
  {
    std::ofstream f(dir_ / "outbox.log", std::ios::binary);
    f << "\xff\xff\xff\x7f garbage";
  }
  Outbox outbox(dir_);
  EXPECT_EQ(outbox.depth("pd"), 0u);
  EXPECT_EQ(fs::file_size(dir_ / "outbox.log"), 0u);
}

TEST_F(OutboxTest, CompactionKeepsExactlyThePendingOnes) {
  OutboxOptions options;
  options.compact_min_records = 20;
  {
    Outbox outbox(dir_, options);
    for (int i = 0; i < 30; ++i) {
      outbox.enqueue({make("pd", i, NotificationKind::resolved)});
      if (i % 10 != 0) outbox.ack("pd", "pd-" + std::to_string(i), AckResult::success);
    }
    // 30 enqueues + 27 acks were written; compaction left only live records behind.
    EXPECT_LT(outbox.log_records(), 20u);
    EXPECT_EQ(outbox.depth("pd"), 3u);
    EXPECT_FALSE(fs::exists(dir_ / "outbox.log.tmp"));
  }
  Outbox reopened(dir_, options);
  EXPECT_EQ(drain_ids(reopened, "pd"), (std::vector<std::string>{"pd-0", "pd-10", "pd-20"}));
}

TEST_F(OutboxTest, StandingFiringAlertsSurviveCompactionAndRestart) {
  OutboxOptions options;
  options.compact_min_records = 10;
  {
    Outbox outbox(dir_, options);
    outbox.enqueue({make("am", 1), make("am", 2)});
    Notification resolved2 = make("am", 2, NotificationKind::resolved);
    resolved2.id = "am-2-resolved";
    outbox.enqueue({resolved2});
    drain_ids(outbox, "am");
    for (int i = 100; i < 120; ++i) {
      Notification n = make("other", i, NotificationKind::resolved);
      outbox.enqueue({n});
      outbox.ack("other", n.id, AckResult::success);
    }
    EXPECT_LT(outbox.log_records(), 10u);
  }
  Outbox reopened(dir_, options);
  EXPECT_EQ(reopened.depth("am"), 0u);  // standing alerts are not re-sent as pending
  const auto standing = reopened.standing("am");
  ASSERT_EQ(standing.size(), 1u);
  EXPECT_EQ(standing[0].fingerprint, "fp1");
}

TEST_F(OutboxTest, BoundDropsOldestRepeatsFirstAndReportsThem) {
  OutboxOptions options;
  options.max_pending_per_receiver = 3;
  Outbox outbox(dir_, options);
  std::vector<std::string> dropped;
  outbox.set_drop_observer([&](const Notification& n) { dropped.push_back(n.id); });
  outbox.enqueue({make("pd", 1), make("pd", 2, NotificationKind::repeat), make("pd", 3)});
  outbox.enqueue({make("pd", 4)});
  EXPECT_EQ(dropped, (std::vector<std::string>{"pd-2"}));
  outbox.enqueue({make("pd", 5)});
  EXPECT_EQ(dropped, (std::vector<std::string>{"pd-2", "pd-1"}));
  Outbox reopened(dir_, options);  // the drops are durable too
  EXPECT_EQ(drain_ids(reopened, "pd"), (std::vector<std::string>{"pd-3", "pd-4", "pd-5"}));
}

TEST_F(OutboxTest, UnwritableStateDirectoryRefusesToStart) {
  fs::create_directories(dir_);
  fs::create_directories(dir_ / "outbox.log");  // a directory where the file should be
  EXPECT_THROW(Outbox outbox(dir_), std::runtime_error);
}

}  // namespace
}  // namespace qw::alerts
