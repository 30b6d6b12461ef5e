#pragma once
// A small synchronous HTTP/1.1 client for notifiers and the heartbeat: one request per call, a
// fresh connection each time (alert volumes are tiny; no pool to go stale), every step bounded
// by one deadline. HTTPS through OpenSSL verifies the peer by default (system CA store or a
// configured ca_file, with SNI and host name checks).
//
// Beast stays inside http_client.cpp (it is heavy to compile): callers see plain structs.
// Not thread-safe: each delivery worker owns its own client.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qw::alerts {

struct Url {
  std::string scheme;    // "http" | "https"
  std::string userinfo;  // "user:password" (never logged), usually empty
  std::string host;      // without brackets for IPv6
  std::string port;      // explicit or the scheme's default
  std::string target;    // path and query, at least "/"
};

// Parses http:// and https:// URLs; std::nullopt for anything else.
std::optional<Url> parse_url(const std::string& url);

// The URL as it may appear in a log line: scheme, host and port, and "/..." for any path.
// Slack and healthchecks.io put the token in the path, others in the query or the userinfo:
// all are dropped. "<invalid URL>" when it is not one.
std::string redact_url(const std::string& url);

struct HttpRequest {
  std::string method = "POST";  // "GET" or "POST"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};  // the whole attempt: resolve to last body byte
  bool tls_verify = true;
  std::optional<std::string> ca_file;  // PEM; replaces the system store when set
  // When set, the body is what the caller wants (a status feed), not a receiver's words for a
  // log: it is kept whole up to this many bytes, and a larger one is refused as soon as it is
  // seen (Content-Length, or the byte past the limit) with body_too_large, never read on.
  std::optional<std::size_t> max_body;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;  // at most kMaxKeptBody bytes for logs, or request.max_body when set
  bool body_truncated = false;
  bool body_too_large = false;  // request.max_body was set and exceeded: body is empty
};

// Either a response (any status) or a transport error ("connect: Connection refused",
// "timeout after 10000 ms", "TLS handshake: certificate verify failed").
struct HttpResult {
  std::optional<HttpResponse> response;
  std::string error;
};

class HttpClient {
 public:
  static constexpr std::size_t kMaxKeptBody = 64 * 1024;

  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult send(const HttpRequest& request);
  // From another thread: ends the send() in progress, and fails every later one, at once
  // ("cancelled"). For shutdown: a worker must not hold stop() for a whole timeout.
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qw::alerts
