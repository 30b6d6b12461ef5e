#include "alerts/outbox_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

std::uint32_t get_u32(const std::string& in, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

void write_all(int fd, const std::string& data, const std::filesystem::path& path) {
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

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw os_error("cannot open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw os_error("cannot fsync directory", dir);
}

}  // namespace

std::uint32_t crc32_of(const std::string& body) {
  boost::crc_32_type crc;
  crc.process_bytes(body.data(), body.size());
  return crc.checksum();
}

std::string frame_record(const std::string& body) {
  std::string out;
  out.reserve(body.size() + 8);
  put_u32(out, static_cast<std::uint32_t>(body.size()));
  put_u32(out, crc32_of(body));
  out += body;
  return out;
}

OutboxLog::Replay OutboxLog::read_and_repair(const std::filesystem::path& path) {
  Replay replay;
  std::ifstream in(path, std::ios::binary);
  if (!in) return replay;  // no file yet: nothing pending
  const std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < 8) {
      replay.problem = "a torn record header";
      break;
    }
    const std::uint32_t length = get_u32(data, at);
    const std::uint32_t crc = get_u32(data, at + 4);
    if (length > kMaxRecord) {
      replay.problem = fmt::format("an impossible record length {}", length);
      break;
    }
    if (data.size() - at - 8 < length) {
      replay.problem = "a torn record";
      break;
    }
    std::string body = data.substr(at + 8, length);
    if (crc32_of(body) != crc) {
      replay.problem = "a record failing its CRC";
      break;
    }
    replay.bodies.push_back(std::move(body));
    at += 8 + length;
  }
  if (at < data.size()) {
    replay.truncated_bytes = data.size() - at;
    std::error_code ec;
    std::filesystem::resize_file(path, at, ec);
    if (ec) {
      throw std::runtime_error(
          fmt::format("outbox: cannot truncate {}: {}", path.string(), ec.message()));
    }
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
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) throw os_error("cannot open", path_);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw os_error("cannot stat", path_);
  size_ = st.st_size;
  // A new file's directory entry must be durable too, or a crash could lose the whole file.
  if (!existed) fsync_directory(path_.parent_path().empty() ? "." : path_.parent_path());
}

void OutboxLog::append(const std::vector<std::string>& bodies) {
  if (bodies.empty()) return;
  std::string batch;
  for (const auto& body : bodies) batch += frame_record(body);
  try {
    write_all(fd_, batch, path_);
    if (::fdatasync(fd_) != 0) throw os_error("cannot fdatasync", path_);
  } catch (...) {
    // Leave no partial batch behind: a later good append after garbage would be unreadable.
    if (::ftruncate(fd_, size_) != 0) {
      // Nothing more to do: replay will cut the file at the garbage.
    }
    throw;
  }
  size_ += static_cast<off_t>(batch.size());
}

void OutboxLog::rewrite(const std::vector<std::string>& bodies) {
  std::filesystem::path tmp = path_;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw os_error("cannot create", tmp);
  try {
    std::string data;
    for (const auto& body : bodies) data += frame_record(body);
    write_all(fd, data, tmp);
    if (::fsync(fd) != 0) throw os_error("cannot fsync", tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) throw os_error("cannot rename over", path_);
  fsync_directory(path_.parent_path().empty() ? "." : path_.parent_path());
  ::close(fd_);
  fd_ = -1;
  open_for_append();
}

}  // namespace qw::alerts
