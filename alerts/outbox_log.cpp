#include "alerts/outbox_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/crc.hpp>

namespace qw::alerts {

namespace {

std::runtime_error os_error(const std::string& what, const std::filesystem::path& path) {
  return std::runtime_error(
      fmt::format("outbox: {} {}: {}", what, path.string(), std::strerror(errno)));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(std::string_view in, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

void write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw os_error("cannot write", path);
    }
    done += static_cast<std::size_t>(n);
  }
}

std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
}

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw os_error("cannot open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw os_error("cannot fsync directory", dir);
}

// Writes `data` to <path>.tmp, fsyncs it and renames it over `path`; the directory is fsynced
// by the caller (after it reopened the file, so that a failure there leaves it usable).
// `syncs` counts the fsync (tests check that a rewrite is durable).
void replace_file(const std::filesystem::path& path, std::string_view data, std::size_t& syncs) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw os_error("cannot create", tmp);
  try {
    write_all(fd, data, tmp);
    if (::fsync(fd) != 0) throw os_error("cannot fsync", tmp);
    ++syncs;
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());  // a full disk must not keep a half copy
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const auto error = os_error("cannot rename over", path);
    ::unlink(tmp.c_str());
    throw error;
  }
}

constexpr std::size_t kHeader = 8;

// A record that an append could have written: every body is a JSON object ("{...}", so at least
// 2 bytes), within kMaxRecord, entirely in the data, and its CRC matches. The cheap checks come
// first: resynchronisation tries this at every byte of a damaged region.
bool well_framed(std::string_view data, std::size_t at) {
  if (data.size() - at < kHeader) return false;
  const std::uint32_t length = get_u32(data, at);
  if (length < 2 || length > OutboxLog::kMaxRecord || data.size() - at - kHeader < length) {
    return false;
  }
  const std::string_view body = data.substr(at + kHeader, length);
  if (body.front() != '{' || body.back() != '}') return false;
  return crc32_of(body) == get_u32(data, at + 4);
}

// Why the bytes at `at` are not a record, for the log.
std::string describe_bad_record(std::string_view data, std::size_t at) {
  if (data.size() - at < kHeader) return "a torn record header";
  const std::uint32_t length = get_u32(data, at);
  if (length > OutboxLog::kMaxRecord) return fmt::format("an impossible record length {}", length);
  if (data.size() - at - kHeader < length) return "a torn record";
  return "a record failing its CRC";
}

// A torn tail is what a crash mid-append leaves: a header cut short, a record whose length runs
// past the end of the file, or zeros (the file grew but the data never reached the disk).
bool looks_torn(std::string_view data, std::size_t at) {
  const std::string_view tail = data.substr(at);
  if (std::all_of(tail.begin(), tail.end(), [](char c) { return c == '\0'; })) return true;
  if (tail.size() < kHeader) return true;
  const std::uint32_t length = get_u32(data, at);
  return length <= OutboxLog::kMaxRecord && tail.size() - kHeader < length;
}

// Keeps the damaged bytes for a post-mortem, next to the log, deleting the oldest copies beyond
// kMaxDamagedCopies. Returns the copy's path.
std::string keep_damaged(const std::filesystem::path& path, std::string_view data,
                         const OutboxLog::Scan& scan) {
  std::string bytes;
  for (const auto& [begin, end] : scan.damaged) {
    if (bytes.size() >= OutboxLog::kMaxDamagedCopy) break;
    bytes.append(
        data.substr(begin, std::min(end - begin, OutboxLog::kMaxDamagedCopy - bytes.size())));
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  std::filesystem::path copy = path;
  copy += fmt::format(".damaged-{}", seconds);
  for (int n = 1; std::filesystem::exists(copy); ++n) {
    copy = path;
    copy += fmt::format(".damaged-{}-{}", seconds, n);
  }
  std::size_t syncs = 0;
  replace_file(copy, bytes, syncs);
  fsync_directory(directory_of(path));

  const std::string prefix = path.filename().string() + ".damaged-";
  std::vector<std::filesystem::path> copies;
  for (const auto& entry : std::filesystem::directory_iterator(directory_of(path))) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && !name.ends_with(".tmp")) copies.push_back(entry.path());
  }
  // Oldest first: the names hold the time, and names of one length sort by it.
  std::sort(copies.begin(), copies.end(), [](const auto& a, const auto& b) {
    const auto sa = a.filename().string();
    const auto sb = b.filename().string();
    return sa.size() != sb.size() ? sa.size() < sb.size() : sa < sb;
  });
  while (copies.size() > OutboxLog::kMaxDamagedCopies) {
    std::error_code ec;
    std::filesystem::remove(copies.front(), ec);
    copies.erase(copies.begin());
  }
  return copy.string();
}

}  // namespace

std::uint32_t crc32_of(std::string_view body) {
  boost::crc_32_type crc;
  crc.process_bytes(body.data(), body.size());
  return crc.checksum();
}

std::string frame_record(const std::string& body) {
  std::string out;
  out.reserve(body.size() + kHeader);
  put_u32(out, static_cast<std::uint32_t>(body.size()));
  put_u32(out, crc32_of(body));
  out += body;
  return out;
}

OutboxLog::Scan OutboxLog::scan(std::string_view data) {
  Scan scan;
  std::size_t at = 0;
  while (at < data.size()) {
    if (well_framed(data, at)) {
      const std::uint32_t length = get_u32(data, at);
      scan.bodies.emplace_back(data.substr(at + kHeader, length));
      at += kHeader + length;
      continue;
    }
    if (scan.problem.empty()) scan.problem = describe_bad_record(data, at);
    std::size_t next = at + 1;
    while (next < data.size() && !well_framed(data, next)) ++next;
    if (next >= data.size() && looks_torn(data, at)) {
      scan.torn_at = at;
      break;
    }
    scan.damaged.emplace_back(at, next);
    at = next;
  }
  return scan;
}

OutboxLog::Replay OutboxLog::read_and_repair(const std::filesystem::path& path) {
  Replay replay;
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(status)) {
    throw std::runtime_error(fmt::format(
        "outbox: {} is a directory, not the outbox log; move it out of the way", path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(status)) return replay;  // no file yet: nothing pending
    throw os_error("cannot read", path);
  }
  const std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw os_error("cannot read", path);
  Scan scan = OutboxLog::scan(data);
  replay.bodies = std::move(scan.bodies);
  replay.problem = scan.problem;
  if (scan.torn_at != std::string_view::npos) replay.truncated_bytes = data.size() - scan.torn_at;
  for (const auto& [begin, end] : scan.damaged) replay.damaged_bytes += end - begin;
  replay.damaged_regions = scan.damaged.size();

  try {
    if (!scan.damaged.empty()) {
      replay.damaged_copy = keep_damaged(path, data, scan);
      // Rewritten with the intact records only, so the next start does not find (and report)
      // the same damage again. Until this succeeds the damage stays, and replay skips it again.
      std::string intact;
      for (const auto& body : replay.bodies) intact += frame_record(body);
      std::size_t syncs = 0;
      replace_file(path, intact, syncs);
      fsync_directory(directory_of(path));
    } else if (replay.truncated_bytes > 0) {
      std::filesystem::resize_file(path, scan.torn_at);
    }
  } catch (const std::exception& e) {
    replay.repair_error = e.what();
  }
  return replay;
}

OutboxLog::OutboxLog(std::filesystem::path path) : path_(std::move(path)) {
  open_for_append();
}

OutboxLog::~OutboxLog() {
  if (fd_ >= 0) ::close(fd_);
}

void OutboxLog::open_for_append() {
  const bool existed = std::filesystem::exists(path_);
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw os_error("cannot open", path_);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const auto error = os_error("cannot stat", path_);
    ::close(fd);
    throw error;
  }
  fd_ = fd;
  size_ = st.st_size;
  // A new file's directory entry must be durable too, or a crash could lose the whole file.
  if (!existed) fsync_directory(directory_of(path_));
}

void OutboxLog::append(const std::vector<std::string>& bodies) {
  if (bodies.empty()) return;
  if (fd_ < 0) open_for_append();  // a rewrite renamed the file but could not reopen it
  std::string batch;
  for (const auto& body : bodies) batch += frame_record(body);
  try {
    write_all(fd_, batch, path_);
    sync_data();
  } catch (...) {
    // Leave no partial batch behind: a later good append after garbage would look like damage.
    if (::ftruncate(fd_, size_) != 0) {
      // Nothing more to do: replay resynchronises past the garbage.
    }
    throw;
  }
  size_ += static_cast<off_t>(batch.size());
}

void OutboxLog::sync_data() {
  if (::fdatasync(fd_) != 0) throw os_error("cannot fdatasync", path_);
  ++syncs_;  // counted only here, where the sync happens: tests see a missing one
}

void OutboxLog::rewrite(const std::vector<std::string>& bodies) {
  std::string data;
  for (const auto& body : bodies) data += frame_record(body);
  replace_file(path_, data, syncs_);
  // The old descriptor points at the replaced file: from here on, always switch to the new one.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  open_for_append();
  fsync_directory(directory_of(path_));
}

}  // namespace qw::alerts
