#pragma once
// The outbox's file: an append-only sequence of framed records,
//
//   [u32 length, little-endian][u32 CRC-32 of the body][body: `length` bytes of JSON]
//
// append() writes a batch and fdatasync()s it before returning: what append() accepted survives
// a crash, kill -9 or power loss. rewrite() replaces the file atomically (compaction).
//
// Replay tells two kinds of bad bytes apart:
//   - a torn tail: the last record is short (a crash mid-append). That write never returned, so
//     nothing in it was promised to anyone: it is cut off.
//   - damage: bytes that are not a well-framed record (bad CRC, impossible length) with intact
//     records after them, or a complete record failing its CRC at the end. Replay resynchronises
//     at the next position where a well-framed record starts (sane length, a JSON object, CRC
//     matches) and keeps every intact record after it. The damaged bytes are copied aside to
//     <path>.damaged-<unix time> (at most kMaxDamagedCopies files of kMaxDamagedCopy bytes) and
//     the log is rewritten without them. Records were lost: the caller must assume that
//     notifications in them were not delivered.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qw::alerts {

class OutboxLog {
 public:
  // What the bytes of a log hold. Pure, no I/O: usable from a fuzzer on any input.
  struct Scan {
    std::vector<std::string> bodies;                           // intact records, in order
    std::vector<std::pair<std::size_t, std::size_t>> damaged;  // [begin, end) byte ranges
    std::size_t torn_at = std::string_view::npos;              // start of a torn tail, if any
    std::string problem;  // what the first bad bytes looked like, for the log
  };
  static Scan scan(std::string_view data);

  struct Replay {
    std::vector<std::string> bodies;
    std::size_t truncated_bytes = 0;  // > 0: a torn tail was cut off
    std::size_t damaged_bytes = 0;    // > 0: damage was skipped, records after it kept
    std::size_t damaged_regions = 0;
    std::string problem;       // what was wrong, for the warning
    std::string damaged_copy;  // where the damaged bytes were kept ("" if they could not be)
    std::string repair_error;  // non-empty: the file could not be repaired (logged; harmless,
                               // the next replay resynchronises again)
  };

  static constexpr std::size_t kMaxRecord = 16 * 1024 * 1024;  // larger: corrupt length
  static constexpr std::size_t kMaxDamagedCopies = 5;          // older copies are deleted
  static constexpr std::size_t kMaxDamagedCopy = 16 * 1024 * 1024;

  // Reads every intact record, cuts off a torn tail, and repairs damage (above). Creates no
  // file when there is none. Throws std::runtime_error (naming the path) only when `path` exists
  // but is not a file the log can be, e.g. a directory.
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
  // Successful fdatasync/fsync calls on the log's data so far: tests check that append() and
  // rewrite() make their writes durable before returning.
  std::size_t syncs() const { return syncs_; }

 private:
  void open_for_append();
  void sync_data();  // fdatasync(fd_), counted in syncs_; throws on failure

  std::filesystem::path path_;
  int fd_ = -1;
  off_t size_ = 0;
  std::size_t syncs_ = 0;
};

std::string frame_record(const std::string& body);
std::uint32_t crc32_of(std::string_view body);

}  // namespace qw::alerts
