#pragma once
// The outbox's file: an append-only sequence of framed records,
//
//   [u32 length, little-endian][u32 CRC-32 of the body][body: `length` bytes of JSON]
//
// append() writes a batch and fdatasync()s it before returning: what append() accepted survives
// a crash, kill -9 or power loss. A crash mid-append leaves a torn last record; read_and_repair()
// stops at the first record that is short, oversized or fails its CRC, truncates the file there
// and says so — the records before it are intact by construction, nothing after it was
// acknowledged to anyone. rewrite() replaces the file atomically (compaction).
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace qw::alerts {

class OutboxLog {
 public:
  struct Replay {
    std::vector<std::string> bodies;
    std::size_t truncated_bytes = 0;  // > 0: a torn or corrupt tail was cut off
    std::string problem;              // what was wrong with it, for the warning
  };

  static constexpr std::size_t kMaxRecord = 16 * 1024 * 1024;  // larger: corrupt length

  // Reads every intact record and truncates the file after the last one. Creates no file.
  static Replay read_and_repair(const std::filesystem::path& path);

  // Opens (creating) the file for appending. Throws std::runtime_error with the path and errno.
  explicit OutboxLog(std::filesystem::path path);
  ~OutboxLog();
  OutboxLog(const OutboxLog&) = delete;
  OutboxLog& operator=(const OutboxLog&) = delete;

  // Durable before returning. On a failed write the file is cut back to where it was (so a
  // half-written batch can never sit before later good records) and std::runtime_error thrown.
  void append(const std::vector<std::string>& bodies);

  // Writes `bodies` to <path>.tmp, fsyncs it, renames it over the log and fsyncs the directory,
  // then appends to the new file.
  void rewrite(const std::vector<std::string>& bodies);

  const std::filesystem::path& path() const { return path_; }

 private:
  void open_for_append();

  std::filesystem::path path_;
  int fd_ = -1;
  off_t size_ = 0;
};

std::string frame_record(const std::string& body);
std::uint32_t crc32_of(const std::string& body);

}  // namespace qw::alerts
