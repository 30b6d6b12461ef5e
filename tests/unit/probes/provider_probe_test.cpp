// The provider_status probe's own logic: the request a round sends, what a response means, which
// incidents count, and what a round publishes, against a loopback HTTP server that answers from a
// script (real sockets; the feed server of script.provider_status covers the daemon end to end).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/provider_match.hpp"
#include "probes/pg/pool_set.hpp"
#include "probes/provider_status/provider_fetch.hpp"
#include "probes/provider_status/provider_probe.hpp"

namespace qw::probes::provider {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(QW_SOURCE_DIR) + "/tests/fixtures/provider_status/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string header_value(const alerts::HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

config::ProviderConfig statuspage(const std::string& url) {
  config::ProviderConfig p;
  p.name = "cloud";
  p.kind = config::ProviderKind::statuspage;
  p.url = url;
  p.timeout = std::chrono::milliseconds(2000);
  p.max_bytes = 64 * 1024;
  return p;
}

TEST(ProviderRequest, FirstIsUnconditionalThenSendsTheValidators) {
  auto p = statuspage("http://127.0.0.1:1/api/v2/summary.json");
  p.max_bytes = 5000;
  const auto first = build_request(p, {});
  EXPECT_EQ(first.method, "GET");
  EXPECT_EQ(first.url, p.url);
  EXPECT_EQ(first.timeout, p.timeout);
  ASSERT_TRUE(first.max_body);
  EXPECT_EQ(*first.max_body, 5000u);
  EXPECT_EQ(header_value(first, "If-None-Match"), "");
  EXPECT_EQ(header_value(first, "If-Modified-Since"), "");
  const auto next = build_request(p, {"\"abc\"", "Tue, 01 Dec 2026 07:12:00 GMT"});
  EXPECT_EQ(header_value(next, "If-None-Match"), "\"abc\"");
  EXPECT_EQ(header_value(next, "If-Modified-Since"), "Tue, 01 Dec 2026 07:12:00 GMT");
}

alerts::HttpResult response(int status, std::string body = "",
                            std::map<std::string, std::string> headers = {}) {
  alerts::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return {r, ""};
}

TEST(ProviderClassify, TransportErrorsByStep) {
  const Validators none;
  EXPECT_EQ(classify({std::nullopt, "resolve: Host not found (authoritative)"}, none).failure,
            FetchFailure::dns);
  EXPECT_EQ(classify({std::nullopt, "connect: Connection refused"}, none).failure,
            FetchFailure::connect);
  EXPECT_EQ(classify({std::nullopt, "TLS handshake: certificate verify failed"}, none).failure,
            FetchFailure::tls);
  EXPECT_EQ(classify({std::nullopt, "read: timeout after 1000 ms"}, none).failure,
            FetchFailure::timeout);
  EXPECT_EQ(classify({std::nullopt, "connect: timeout after 1000 ms"}, none).failure,
            FetchFailure::timeout);
  EXPECT_EQ(classify({std::nullopt, "read: end of stream"}, none).failure, FetchFailure::connect);
}

TEST(ProviderClassify, StatusesBodiesAndValidators) {
  const Validators old{"\"v1\"", "Mon"};
  const auto ok = classify(response(200, "{}", {{"etag", "\"v2\""}}), old);
  EXPECT_EQ(ok.failure, FetchFailure::none);
  EXPECT_FALSE(ok.not_modified);
  EXPECT_EQ(ok.body, "{}");
  EXPECT_EQ(ok.validators, (Validators{"\"v2\"", ""}));  // a 200 replaces both

  const auto same = classify(response(304), old);
  EXPECT_EQ(same.failure, FetchFailure::none);
  EXPECT_TRUE(same.not_modified);
  EXPECT_EQ(same.validators, old);

  EXPECT_EQ(classify(response(500, "oops"), old).failure, FetchFailure::http_status);
  EXPECT_EQ(classify(response(500, "oops"), old).detail, "HTTP 500");
  EXPECT_EQ(classify(response(404), old).failure, FetchFailure::http_status);
  EXPECT_EQ(classify(response(301), old).failure, FetchFailure::http_status);
  auto big = response(200);
  big.response->body_too_large = true;
  EXPECT_EQ(classify(big, old).failure, FetchFailure::too_large);
}

TEST(ProviderFilter, AnyEntryForTheProviderEveryEntryForATarget) {
  const std::vector<std::string> comps = {"SQL Database", "West Europe"};
  const std::string title = "Degraded connectivity";
  EXPECT_TRUE(config::matches_any({}, title, comps));
  EXPECT_TRUE(config::matches_any({"sql database", "Storage"}, title, comps));
  EXPECT_FALSE(config::matches_any({"Storage"}, title, comps));
  EXPECT_TRUE(config::matches_any({"connectivity"}, title, comps));  // the title counts too
  EXPECT_TRUE(config::matches_all({}, title, comps));
  EXPECT_TRUE(config::matches_all({"SQL", "west europe"}, title, comps));
  EXPECT_FALSE(config::matches_all({"SQL", "East US"}, title, comps));
}

TEST(ProviderOpenIncidents, FeedItemsAgeOutStatuspageIncidentsDoNot) {
  auto p = statuspage("http://x/");
  p.max_age = std::chrono::hours(6);
  const auto incident = [](std::string id, std::optional<std::int64_t> started) {
    ProviderIncident i;
    i.id = std::move(id);
    i.title = "SQL";
    i.started_at = started;
    return i;
  };
  const auto fresh = incident("a", 1'000'000);
  const auto old = incident("b", 1'000'000 - 7 * 3600);
  const auto undated = incident("c", std::nullopt);
  const std::vector<ProviderIncident> all = {fresh, old, undated};
  EXPECT_EQ(open_incidents(p, all, 1'000'000).size(), 3u);  // Statuspage states say "open"
  p.kind = config::ProviderKind::rss;
  const auto kept = open_incidents(p, all, 1'000'000);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id, "a");
  EXPECT_EQ(kept[1].id, "c");
  p.components = {"Storage"};
  EXPECT_TRUE(open_incidents(p, all, 1'000'000).empty());
}

// A loopback HTTP server: each connection gets the next scripted response; requests are kept.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> responses) : responses_(std::move(responses)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/feed"; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    for (const auto& answer : responses_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const auto n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      std::size_t off = 0;
      while (off < answer.size()) {
        const auto n = ::send(c, answer.data() + off, answer.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      ::close(c);
    }
  }

  std::vector<std::string> responses_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

std::string http(int status, const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" +
         extra + "\r\n" + body;
}

struct Capture : SampleSink {
  std::vector<ProviderStatusSample> samples;
  void publish(const Sample& s) override { samples.push_back(std::get<ProviderStatusSample>(s)); }
};

TEST(ProviderProbeRun, ConditionalRoundsKeepTheLastIncidentsThroughA304AndFailures) {
  const std::string summary = fixture("statuspage_summary.json");
  ScriptedServer server({
      http(200, summary, "ETag: \"v1\"\r\nLast-Modified: Tue, 01 Dec 2026 07:12:00 GMT\r\n"),
      http(304, ""), http(500, "down"), http(200, "{\"incidents\": ["),  // cut short: malformed
      http(200, std::string(70 * 1024, ' ')),                            // over max_bytes (64 KiB)
  });
  config::Config config;
  config.providers.push_back(statuspage(server.url()));
  config.providers[0].components = {"SQL Database"};
  auto probes = make_provider_status_probes(config);
  ASSERT_EQ(probes.size(), 1u);
  auto& probe = *probes[0];
  EXPECT_EQ(probe.target(), pg::PoolSet::kNoTarget);
  EXPECT_EQ(probe.id(), "provider_status/cloud");
  // What the scheduler hands a probe without a database: a pool that refuses every use.
  pg::PoolSet pools(config);
  auto pool = pools.for_probe(probe.target());
  ASSERT_TRUE(pool);
  ProbeContext ctx{*pool};
  Capture sink;
  EXPECT_EQ(probe.run(ctx, sink), FailureReason::none);
  ASSERT_EQ(sink.samples.size(), 1u);
  const auto first = sink.samples[0];
  EXPECT_TRUE(first.up);
  EXPECT_TRUE(first.known);
  ASSERT_EQ(first.incidents.size(), 1u);  // the Storage incident is filtered out
  EXPECT_EQ(first.incidents[0].id, "inc0sqlweu01");
  ASSERT_TRUE(first.last_success);

  EXPECT_EQ(probe.run(ctx, sink), FailureReason::none);  // 304
  EXPECT_TRUE(sink.samples[1].up);
  EXPECT_TRUE(sink.samples[1].not_modified);
  EXPECT_EQ(sink.samples[1].incidents.size(), 1u);

  for (const auto expected :
       {FetchFailure::http_status, FetchFailure::malformed, FetchFailure::too_large}) {
    EXPECT_EQ(probe.run(ctx, sink), FailureReason::other);
    const auto& s = sink.samples.back();
    EXPECT_FALSE(s.up);
    EXPECT_EQ(s.failure, expected) << to_string(s.failure) << ": " << s.detail;
    EXPECT_TRUE(s.known);
    EXPECT_EQ(s.incidents.size(), 1u) << "a failed round keeps the last known incidents";
  }

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].find("If-None-Match"), std::string::npos);
  EXPECT_NE(requests[1].find("If-None-Match: \"v1\""), std::string::npos) << requests[1];
  EXPECT_NE(requests[1].find("If-Modified-Since: Tue, 01 Dec 2026 07:12:00 GMT"),
            std::string::npos);
  // Failures do not forget the validators of the last 200.
  EXPECT_NE(requests[4].find("If-None-Match: \"v1\""), std::string::npos);
}

TEST(ProviderProbeRun, NeverReadIsNotAllClear) {
  ScriptedServer server({http(500, "")});
  config::Config config;
  config.providers.push_back(statuspage(server.url()));
  auto probes = make_provider_status_probes(config);
  pg::PoolSet pools(config);
  ProbeContext ctx{*pools.for_probe(probes[0]->target())};
  Capture sink;
  probes[0]->run(ctx, sink);
  ASSERT_EQ(sink.samples.size(), 1u);
  EXPECT_FALSE(sink.samples[0].up);
  EXPECT_FALSE(sink.samples[0].known);
  EXPECT_FALSE(sink.samples[0].last_success);
}

}  // namespace
}  // namespace qw::probes::provider
