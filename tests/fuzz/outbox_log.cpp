// Fuzzes the outbox file's recovery (alerts::OutboxLog::read_and_repair): whatever bytes a crash,
// a bad disk or an operator's editor left in outbox.log, the daemon must start: read what is
// intact, set the rest aside, never crash or throw. Every body it returns is then decoded as
// the outbox would decode it.
//
// A repaired file must be stable: reading it again finds the same records and nothing to repair.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "alerts/outbox_codec.hpp"
#include "alerts/outbox_log.hpp"

namespace {

namespace fs = std::filesystem;

// One private directory per process, emptied before each input: the repair may write files
// beside the log (the damaged bytes it keeps aside), and they must not leak into the next run.
const fs::path& work_dir() {
  static const fs::path dir = [] {
    std::string pattern = (fs::temp_directory_path() / "qw-fuzz-outbox-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) __builtin_trap();
    return fs::path(pattern);
  }();
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

  const qw::alerts::OutboxLog::Replay first = qw::alerts::OutboxLog::read_and_repair(log);
  for (const std::string& body : first.bodies) (void)qw::alerts::decode_record(body);

  const qw::alerts::OutboxLog::Replay again = qw::alerts::OutboxLog::read_and_repair(log);
  if (again.truncated_bytes != 0 || !again.problem.empty()) __builtin_trap();
  if (again.bodies != first.bodies) __builtin_trap();
  return 0;
}
