// The durable outbox against a real file: replay after "crash" (destruction without delivery),
// torn tails, damage in the middle (resynchronisation), compaction, the bound, durability (the
// sync count) and a full disk (RLIMIT_FSIZE makes every write past the file's size fail).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

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

// Bounded: an ack that does not remove its notification must fail the test, not hang it.
std::vector<std::string> drain_ids(Outbox& outbox, const std::string& receiver) {
  std::vector<std::string> out;
  const std::size_t limit = outbox.depth(receiver);
  while (auto n = outbox.front(receiver)) {
    if (out.size() >= limit) {
      ADD_FAILURE() << "notification " << n->id << " is still pending after " << limit
                    << " acks: ack() did not remove it";
      break;
    }
    out.push_back(n->id);
    outbox.ack(receiver, n->id, AckResult::success);
  }
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

std::vector<fs::path> damaged_copies(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with("outbox.log.damaged-")) {
      out.push_back(entry.path());
    }
  }
  return out;
}

// While alive, writes that would make a file larger than `bytes` fail (EFBIG), as on a full
// disk; SIGXFSZ is ignored so that the write returns the error instead of killing the test.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
};

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
  // A torn tail was never acknowledged to anyone: not damage, nothing to re-notify.
  EXPECT_FALSE(reopened.replay_report().records_lost());
  EXPECT_GT(reopened.replay_report().truncated_bytes, 0u);
  EXPECT_TRUE(damaged_copies(dir_).empty());
  EXPECT_EQ(drain_ids(reopened, "pd"), (std::vector<std::string>{"pd-1"}));
  // The file was cut back to the intact record, so new appends are readable after it.
  reopened.enqueue({make("pd", 3)});
  Outbox again(dir_);
  EXPECT_EQ(drain_ids(again, "pd"), (std::vector<std::string>{"pd-3"}));
}

TEST_F(OutboxTest, CompleteLastRecordFailingItsCrcIsDamageNotATornTail) {
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
  EXPECT_TRUE(reopened.replay_report().records_lost());
  EXPECT_EQ(damaged_copies(dir_).size(), 1u);
  EXPECT_EQ(drain_ids(reopened, "pd"), (std::vector<std::string>{"pd-1"}));
}

// The issue's reproducer: one flipped bit in the first record of a long log used to truncate
// the whole file. Every record after the damage must survive.
TEST_F(OutboxTest, OneFlippedBitInTheFirstRecordLosesOnlyThatRecord) {
  {
    Outbox outbox(dir_);
    for (int i = 0; i < 35; ++i) outbox.enqueue({make("pd", i)});
    for (int i = 0; i < 10; ++i) outbox.ack("pd", "pd-" + std::to_string(i), AckResult::success);
  }
  const auto path = dir_ / "outbox.log";
  std::string data = read_file(path);
  const std::size_t first_record =
      8 + (static_cast<unsigned char>(data[0]) | static_cast<unsigned char>(data[1]) << 8);
  data[20] = static_cast<char>(data[20] ^ 0x04);  // inside the first record's body
  write_file(path, data);

  Outbox reopened(dir_);
  const auto& report = reopened.replay_report();
  EXPECT_TRUE(report.records_lost());
  EXPECT_EQ(report.damaged_regions, 1u);
  EXPECT_EQ(report.damaged_bytes, first_record);
  EXPECT_EQ(report.records, 44u);  // 45 records, one damaged
  EXPECT_EQ(reopened.depth("pd"), 25u);
  // The damaged bytes were kept aside, byte for byte.
  const auto copies = damaged_copies(dir_);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(read_file(copies[0]), data.substr(0, first_record));
  // And the log was repaired: the next start finds no damage.
  Outbox again(dir_);
  EXPECT_FALSE(again.replay_report().records_lost());
  EXPECT_EQ(again.depth("pd"), 25u);
}

TEST_F(OutboxTest, SixteenRandomBytesInTheMiddleLoseOnlyTheRecordsTheyHit) {
  {
    Outbox outbox(dir_);
    for (int i = 0; i < 35; ++i) outbox.enqueue({make("pd", i)});
  }
  const auto path = dir_ / "outbox.log";
  std::string data = read_file(path);
  for (std::size_t i = 0; i < 16; ++i) data[data.size() / 2 + i] = static_cast<char>(0x5a ^ i);
  write_file(path, data);
  Outbox reopened(dir_);
  EXPECT_TRUE(reopened.replay_report().records_lost());
  // 16 bytes hit one record, or two at a boundary; all the others are kept.
  EXPECT_GE(reopened.depth("pd"), 33u);
  const auto ids = drain_ids(reopened, "pd");
  EXPECT_EQ(ids.front(), "pd-0");
  EXPECT_EQ(ids.back(), "pd-34");
}

// Damage that leaves valid JSON of the same length (one digit of an id changed) can only be
// caught by the CRC: without it the record would replay as a notification nobody enqueued.
TEST_F(OutboxTest, OnlyTheCrcCatchesDamageThatKeepsTheJsonValid) {
  {
    Outbox outbox(dir_);
    outbox.enqueue({make("pd", 1)});
    outbox.enqueue({make("pd", 2)});
    outbox.enqueue({make("pd", 3)});
  }
  const auto path = dir_ / "outbox.log";
  std::string data = read_file(path);
  const auto at = data.find("\"pd-1\"");
  ASSERT_NE(at, std::string::npos);
  data[at + 4] = '7';  // "pd-1" -> "pd-7": still valid JSON, same length
  write_file(path, data);
  Outbox reopened(dir_);
  EXPECT_TRUE(reopened.replay_report().records_lost());
  EXPECT_EQ(drain_ids(reopened, "pd"), (std::vector<std::string>{"pd-2", "pd-3"}));
}

TEST_F(OutboxTest, ScanResynchronisesAndTellsTornFromDamaged) {
  const std::string a = frame_record(R"({"type":"a"})");
  const std::string b = frame_record(R"({"type":"b"})");
  // Garbage between two records: damage, both records kept.
  auto scan = OutboxLog::scan(a + "garbage!" + b);
  EXPECT_EQ(scan.bodies.size(), 2u);
  ASSERT_EQ(scan.damaged.size(), 1u);
  EXPECT_EQ(scan.damaged[0], (std::pair<std::size_t, std::size_t>{a.size(), a.size() + 8}));
  EXPECT_EQ(scan.torn_at, std::string_view::npos);
  // A record cut short at the end: torn, not damage.
  scan = OutboxLog::scan(a + b.substr(0, b.size() - 3));
  EXPECT_EQ(scan.bodies.size(), 1u);
  EXPECT_TRUE(scan.damaged.empty());
  EXPECT_EQ(scan.torn_at, a.size());
  // Zeros after the last record (the size grew, the data never reached the disk): torn.
  scan = OutboxLog::scan(a + std::string(20, '\0'));
  EXPECT_TRUE(scan.damaged.empty());
  EXPECT_EQ(scan.torn_at, a.size());
}

// Whatever the damage, a repaired log is stable: read again, it holds the same records and
// nothing to repair (the property the fuzzer checks, here on a fixed set of mutations).
TEST_F(OutboxTest, RepairedLogIsStable) {
  fs::create_directories(dir_);
  std::string clean;
  for (int i = 0; i < 12; ++i) clean += frame_record(encode_record(EnqueueRecord{make("pd", i)}));
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    std::string data = clean;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % data.size();
      switch (rng() % 3) {
        case 0:
          data[at] = static_cast<char>(data[at] ^ (1 << (rng() % 8)));
          break;
        case 1:
          data.erase(at, 1 + rng() % 16);
          break;
        default:
          data.insert(at, std::string(1 + rng() % 16, static_cast<char>(rng())));
      }
    }
    write_file(dir_ / "outbox.log", data);
    const auto first = OutboxLog::read_and_repair(dir_ / "outbox.log");
    const auto again = OutboxLog::read_and_repair(dir_ / "outbox.log");
    ASSERT_EQ(again.bodies, first.bodies) << "round " << round;
    ASSERT_EQ(again.problem, "") << "round " << round;
    // One edit touches at most two records (an erase across a boundary): the rest are kept.
    ASSERT_GE(first.bodies.size() + 2 * static_cast<std::size_t>(edits), 12u)
        << "round " << round << ": an edit lost more than the records it touched";
  }
}

// Boost.JSON 1.81 reads some doubles an ulp off, so a value kept only as a JSON number drifted
// on every rewrite of the outbox (found by fuzz.outbox_record). The value must come back exactly,
// and a record written by an older version (a number, no value_text) must settle after one pass.
TEST(OutboxCodec, ValueComesBackExactlyAndOldRecordsSettle) {
  for (const double v : {8.384411020032863e-169, 1.6076791261637401e-304, 7.822332769589912e54, 0.1,
                         -0.0, 42.0, 5e-324}) {
    Notification n = make("pd", 1);
    n.value = v;
    const auto back = decode_record(encode_record(EnqueueRecord{n}));
    ASSERT_TRUE(back);
    EXPECT_EQ(std::get<EnqueueRecord>(*back).notification.value, v);
  }
  const std::string old =
      R"({"type":"enqueue","notification":{"id":"a","receiver":"pd","kind":"firing",)"
      R"("fingerprint":"f","labels":{},"annotations":{},"starts_at":1,)"
      R"("value":83844110200328628.5e-185,"created_at":1}})";
  const auto first = decode_record(old);
  ASSERT_TRUE(first);
  const std::string encoded = encode_record(*first);
  const auto second = decode_record(encoded);
  ASSERT_TRUE(second);
  EXPECT_EQ(encode_record(*second), encoded);
  // A value_text that is not a number is not a record we understand.
  std::string bad = encoded;
  bad.replace(bad.find("\"value_text\":\"") + 14, 1, "x");
  EXPECT_FALSE(decode_record(bad));
}

TEST_F(OutboxTest, DamagedCopiesAreBounded) {
  fs::create_directories(dir_);
  for (std::size_t i = 0; i < OutboxLog::kMaxDamagedCopies + 3; ++i) {
    write_file(dir_ / "outbox.log", "junk" + frame_record(R"({"type":"x"})"));
    OutboxLog::read_and_repair(dir_ / "outbox.log");
  }
  EXPECT_EQ(damaged_copies(dir_).size(), OutboxLog::kMaxDamagedCopies);
}

// Durability is the fdatasync, which no crash test in one machine can see (the page cache keeps
// the data): count the syncs instead.
TEST_F(OutboxTest, AppendAndAckSyncBeforeReturning) {
  fs::create_directories(dir_);
  {
    OutboxLog log(dir_ / "direct.log");
    EXPECT_EQ(log.syncs(), 0u);
    log.append({R"({"type":"x"})"});
    EXPECT_EQ(log.syncs(), 1u);
    log.rewrite({R"({"type":"y"})"});
    EXPECT_EQ(log.syncs(), 2u);
  }
  Outbox outbox(dir_);
  const std::size_t before = outbox.log_syncs();
  outbox.enqueue({make("pd", 1)});
  EXPECT_EQ(outbox.log_syncs(), before + 1);
  outbox.ack("pd", "pd-1", AckResult::success);
  EXPECT_EQ(outbox.log_syncs(), before + 2);
}

// The issue's crash loop: an ack that cannot be written (disk full) threw out of the delivery
// thread. Now it is counted, kept acked in memory (not re-sent), and written once space is back.
TEST_F(OutboxTest, FullDiskAckIsCountedKeptAndWrittenLater) {
  StateErrors errors;
  OutboxOptions options;
  options.errors = &errors;
  {
    Outbox outbox(dir_, options);
    outbox.enqueue({make("pd", 1), make("pd", 2)});
    {
      FileSizeLimit full(fs::file_size(dir_ / "outbox.log"));
      EXPECT_NO_THROW(outbox.ack("pd", "pd-1", AckResult::success));
      EXPECT_EQ(errors.count("outbox"), 1u);
      EXPECT_EQ(outbox.unwritten_acks(), 1u);
      ASSERT_TRUE(outbox.front("pd"));
      EXPECT_EQ(outbox.front("pd")->id, "pd-2") << "an unwritten ack must not re-send";
      // An enqueue cannot be accepted without its record: it throws, and is counted.
      EXPECT_THROW(outbox.enqueue({make("pd", 3)}), std::runtime_error);
      EXPECT_EQ(errors.count("outbox"), 2u);
      EXPECT_EQ(outbox.depth("pd"), 1u);
      EXPECT_FALSE(outbox.retry_unwritten());
    }
    EXPECT_TRUE(outbox.retry_unwritten());
    EXPECT_EQ(outbox.unwritten_acks(), 0u);
  }
  Outbox reopened(dir_);
  EXPECT_EQ(drain_ids(reopened, "pd"), (std::vector<std::string>{"pd-2"}));
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

TEST_F(OutboxTest, OutboxLogThatIsADirectoryRefusesToStartNamingIt) {
  fs::create_directories(dir_);
  fs::create_directories(dir_ / "outbox.log");  // a directory where the file should be
  try {
    Outbox outbox(dir_);
    ADD_FAILURE() << "started with a directory for outbox.log";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir_ / "outbox.log").string()), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("directory"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qw::alerts
