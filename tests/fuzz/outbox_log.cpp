// Fuzzes the outbox file's recovery (alerts::OutboxLog::read_and_repair): whatever bytes a crash,
// a bad disk or an operator's editor left in outbox.log, the daemon must start: read what is
// intact, set the rest aside, never crash or throw. Every body it returns is then decoded as
// the outbox would decode it.
//
// The pure OutboxLog::scan must agree with it. A repaired file must be stable: reading it again
// finds the same records and nothing to repair.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "alerts/outbox_codec.hpp"
#include "alerts/outbox_log.hpp"

namespace {

namespace fs = std::filesystem;

// One private directory per process, emptied before each input: the repair may write files
// beside the log (the damaged bytes it keeps aside), and they must not leak into the next run.
const fs::path& work_dir() {
  static const fs::path dir = [] {
    // tmpfs when there is one: a repair fsyncs, which on a disk caps the run at ~100 inputs/s.
    const fs::path base =
        fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string pattern = (base / "qw-fuzz-outbox-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) __builtin_trap();
    return fs::path(pattern);
  }();
  static const bool cleanup_registered = [] {
    return std::atexit([] {
             std::error_code ignored;
             fs::remove_all(dir, ignored);
           }) == 0;
  }();
  (void)cleanup_registered;
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& dir = work_dir();
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) fs::remove_all(entry);
  const fs::path log = dir / "outbox.log";
  {
    std::ofstream out(log, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }

  // The pure scan: its damaged ranges lie inside the data, in order, apart from each other and
  // from the torn tail; the file replay keeps exactly the records it found.
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const qw::alerts::OutboxLog::Scan scan = qw::alerts::OutboxLog::scan(bytes);
  std::size_t previous_end = 0;
  for (const auto& [begin, end] : scan.damaged) {
    if (begin < previous_end || end <= begin || end > size) __builtin_trap();
    previous_end = end;
  }
  if (scan.torn_at != std::string_view::npos &&
      (scan.torn_at < previous_end || scan.torn_at >= size))
    __builtin_trap();

  const qw::alerts::OutboxLog::Replay first = qw::alerts::OutboxLog::read_and_repair(log);
  if (first.bodies != scan.bodies) __builtin_trap();
  for (const std::string& body : first.bodies) (void)qw::alerts::decode_record(body);

  const qw::alerts::OutboxLog::Replay again = qw::alerts::OutboxLog::read_and_repair(log);
  if (again.truncated_bytes != 0 || !again.problem.empty()) __builtin_trap();
  if (again.bodies != first.bodies) __builtin_trap();
  return 0;
}
