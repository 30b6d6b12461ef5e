#pragma once
// A deliberately plain HTTP/1.1 client over a POSIX socket, for testing the server from the
// outside: it can send half a request, stall, or hold a connection open, and every read has a
// deadline so a server bug fails the test instead of hanging it.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace qw::daemon::testing {

using namespace std::chrono_literals;

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

class TestConnection {
 public:
  explicit TestConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect() failed");
  }
  ~TestConnection() { close(); }
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // False when the server has already closed (MSG_NOSIGNAL: EPIPE, not SIGPIPE).
  bool send(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response; nullopt on EOF, reset or deadline before it is complete. HEAD responses
  // carry a Content-Length but no body: pass head = true.
  std::optional<HttpResponse> read_response(bool head = false,
                                            std::chrono::milliseconds deadline = 10s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    std::size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(until)) return std::nullopt;

    HttpResponse res;
    const std::string head_text = pending_.substr(0, header_end);
    pending_.erase(0, header_end + 4);
    std::size_t line_end = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) return std::nullopt;
    res.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const std::size_t begin = line_end + 2;
      line_end = head_text.find("\r\n", begin);
      const std::string line = head_text.substr(
          begin, line_end == std::string::npos ? std::string::npos : line_end - begin);
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      res.headers[name] = value;
    }
    if (head) return res;
    const std::size_t length =
        res.headers.contains("content-length") ? std::stoul(res.headers["content-length"]) : 0;
    while (pending_.size() < length)
      if (!fill(until)) return std::nullopt;
    res.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return res;
  }

  // Discards input until the server closes. False if it is still open at the deadline.
  // `received` collects what came before the close (e.g. a 503).
  bool wait_closed(std::chrono::milliseconds deadline = 10s, std::string* received = nullptr) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (true) {
      if (!wait_readable(until)) return false;
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (received) *received = pending_;
        return true;  // EOF or reset: closed either way
      }
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  bool wait_readable(std::chrono::steady_clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
  }

  bool fill(std::chrono::steady_clock::time_point until) {
    if (!wait_readable(until)) return false;
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  std::string pending_;
};

}  // namespace qw::daemon::testing
