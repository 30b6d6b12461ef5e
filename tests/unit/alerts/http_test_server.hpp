#pragma once
// A tiny scripted HTTP/1.1 server on a real loopback socket for the notifier tests: answers each
// request with the next scripted response (200 once the script runs out), records every request
// with its arrival time, and optionally speaks TLS with a given certificate. One connection at
// a time, Connection: close — enough for a client that opens a connection per request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace qw::alerts::test {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::steady_clock::time_point at;
};

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A loopback port nobody listens on (bound, then closed): "the receiver is down".
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class HttpTestServer {
 public:
  // port 0: the kernel picks one. cert/key: PEM files to serve HTTPS with.
  explicit HttpTestServer(std::uint16_t port = 0, const std::string& cert_file = "",
                          const std::string& key_file = "") {
    if (!cert_file.empty()) {
      tls_ = SSL_CTX_new(TLS_server_method());
      if (SSL_CTX_use_certificate_chain_file(tls_, cert_file.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(tls_, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        throw std::runtime_error("test server: cannot load certificate");
      }
    }
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      throw std::runtime_error("test server: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~HttpTestServer() {
    stopping_ = true;
    thread_.join();
    ::close(listen_fd_);
    if (tls_) SSL_CTX_free(tls_);
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }

  void script(std::vector<ScriptedResponse> responses) {
    std::lock_guard lock(mutex_);
    for (auto& r : responses) script_.push_back(std::move(r));
  }

  // Waits (on the condition, bounded) until at least n requests arrived; returns them all.
  std::vector<RecordedRequest> wait_for_requests(
      std::size_t n, std::chrono::seconds limit = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, limit, [&] { return requests_.size() >= n; });
    return requests_;
  }

  std::vector<RecordedRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      SSL* ssl = nullptr;
      if (tls_) {
        ssl = SSL_new(tls_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1) {  // e.g. the client refused our certificate
          SSL_free(ssl);
          ::close(fd);
          continue;
        }
      }
      handle(fd, ssl);
      if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
      }
      ::close(fd);
    }
  }

  long read_some(int fd, SSL* ssl, char* buf, std::size_t n) {
    pollfd p{fd, POLLIN, 0};
    if (!ssl || SSL_pending(ssl) == 0) {
      if (::poll(&p, 1, 5000) <= 0) return -1;
    }
    return ssl ? SSL_read(ssl, buf, static_cast<int>(n)) : ::read(fd, buf, n);
  }

  void write_all(int fd, SSL* ssl, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const long n = ssl ? SSL_write(ssl, data.data() + done, static_cast<int>(data.size() - done))
                         : ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

  void handle(int fd, SSL* ssl) {
    std::string data;
    char buf[4096];
    std::size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const long n = read_some(fd, ssl, buf, sizeof buf);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
    }
    RecordedRequest req;
    req.at = std::chrono::steady_clock::now();
    const std::string head = data.substr(0, header_end);
    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    req.method = request_line.substr(0, request_line.find(' '));
    req.target =
        request_line.substr(req.method.size() + 1, request_line.rfind(' ') - req.method.size() - 1);
    while (line_end != std::string::npos && line_end < head.size()) {
      const std::size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(
          line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      line_end = next;
    }
    std::size_t length = 0;
    if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
      length = std::stoul(it->second);
    }
    req.body = data.substr(header_end + 4);
    while (req.body.size() < length) {
      const long n = read_some(fd, ssl, buf, sizeof buf);
      if (n <= 0) return;
      req.body.append(buf, static_cast<std::size_t>(n));
    }
    ScriptedResponse response;
    {
      std::lock_guard lock(mutex_);
      if (!script_.empty()) {
        response = script_.front();
        script_.pop_front();
      }
      requests_.push_back(req);
    }
    cv_.notify_all();
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " Scripted\r\n";
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n" + response.body;
    write_all(fd, ssl, out);
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  SSL_CTX* tls_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<ScriptedResponse> script_;
  std::vector<RecordedRequest> requests_;
};

}  // namespace qw::alerts::test
