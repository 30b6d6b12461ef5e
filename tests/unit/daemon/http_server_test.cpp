// The HTTP server from the outside: real loopback sockets, the event loop on its own thread.
#include "daemon/http_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>

#include "http_test_client.hpp"
#include "queuewatch/version.hpp"

namespace qw::daemon {
namespace {

using testing::HttpResponse;
using testing::TestConnection;
using namespace std::chrono_literals;

constexpr const char* kMetricsText = "# HELP up Whether up.\n# TYPE up gauge\nup 1\n";

std::string get(std::string_view path, std::string_view method = "GET") {
  return std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(config::HttpConfig config = {}) {
    config.listen = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(
        io_, config,
        HttpHandlers{[this] { return metrics_text_; }, [this] { return ready_.load(); }});
    server_->start();
    loop_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) server_->stop();
    work_.reset();
    io_.stop();
    if (loop_.joinable()) loop_.join();
  }

  std::optional<HttpResponse> request(std::string_view raw, bool head = false) {
    TestConnection conn(server_->port());
    EXPECT_TRUE(conn.send(raw));
    return conn.read_response(head);
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::atomic<bool> ready_{true};
  std::string metrics_text_ = kMetricsText;  // set before start()
  std::unique_ptr<HttpServer> server_;
  std::thread loop_;
};

TEST_F(HttpServerTest, ServesMetricsWithPrometheusContentType) {
  start();
  const auto res = request(get("/metrics"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res->header("server"), std::string("queuewatch/") + qw::kVersion);
  EXPECT_EQ(res->body, kMetricsText);
}

TEST_F(HttpServerTest, IgnoresQueryStringWhenRouting) {
  start();
  const auto res = request(get("/metrics?format=text&x=1"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, kMetricsText);
}

TEST_F(HttpServerTest, HeadAnnouncesLengthButSendsNoBody) {
  start();
  TestConnection conn(server_->port());
  ASSERT_TRUE(conn.send(get("/metrics", "HEAD")));
  const auto head = conn.read_response(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), std::to_string(std::string(kMetricsText).size()));
  // Had the server sent a body, it would be read here as the next status line.
  ASSERT_TRUE(conn.send(get("/-/healthy")));
  const auto next = conn.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "OK\n");
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  start();
  const auto res = request(get("/metricsx"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  start();
  const auto res =
      request("POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->header("allow"), "GET, HEAD");
}

TEST_F(HttpServerTest, HealthyAlwaysReadyOnlyWhenReady) {
  ready_ = false;
  start();
  auto healthy = request(get("/-/healthy"));
  ASSERT_TRUE(healthy);
  EXPECT_EQ(healthy->status, 200);
  EXPECT_EQ(healthy->body, "OK\n");

  auto not_ready = request(get("/-/ready"));
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);

  ready_ = true;
  auto is_ready = request(get("/-/ready"));
  ASSERT_TRUE(is_ready);
  EXPECT_EQ(is_ready->status, 200);
}

TEST_F(HttpServerTest, IndexLinksToMetrics) {
  start();
  const auto res = request(get("/"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->header("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(res->body.find("href=\"/metrics\""), std::string::npos);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  TestConnection conn(server_->port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(conn.send(get("/metrics")));
    const auto res = conn.read_response();
    ASSERT_TRUE(res) << "request " << i;
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, kMetricsText);
  }
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  start();
  TestConnection conn(server_->port());
  ASSERT_TRUE(conn.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const auto res = conn.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(conn.wait_closed());
}

TEST_F(HttpServerTest, OversizedHeaderIsRejectedAndConnectionClosed) {
  config::HttpConfig config;
  config.max_request_bytes = 1024;
  start(config);
  TestConnection conn(server_->port());
  ASSERT_TRUE(conn.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2000, 'a') +
                        "\r\n\r\n"));
  const auto res = conn.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);
  EXPECT_TRUE(conn.wait_closed());
}

TEST_F(HttpServerTest, OversizedBodyIsRejectedAndConnectionClosed) {
  config::HttpConfig config;
  config.max_request_bytes = 1024;
  start(config);
  TestConnection conn(server_->port());
  ASSERT_TRUE(conn.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"));
  conn.send(std::string(5000, 'b'));  // may fail once the server has closed; that is fine
  const auto res = conn.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_TRUE(conn.wait_closed());
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  start();
  const auto res = request("GARBAGE\r\n\r\n");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(HttpServerTest, StalledHalfRequestIsDisconnectedAfterRequestTimeout) {
  config::HttpConfig config;
  config.request_timeout = 300ms;
  start(config);
  TestConnection conn(server_->port());
  ASSERT_TRUE(conn.send("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
  std::string received;
  EXPECT_TRUE(conn.wait_closed(20s, &received)) << "a stalled client kept its connection";
  EXPECT_EQ(received, "");
}

TEST_F(HttpServerTest, TricklingClientIsDisconnectedAfterRequestTimeout) {
  // The deadline covers the whole request, so sending a byte now and then does not extend it.
  config::HttpConfig config;
  config.request_timeout = 300ms;
  start(config);
  TestConnection conn(server_->port());
  const std::string request = "GET /metrics HTTP/1.1\r\nX-Slow: " + std::string(400, 's');
  bool closed = false;
  for (char c : request) {
    if (!conn.send(std::string_view(&c, 1)) || conn.wait_closed(50ms)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed) << "a trickling client was served for " << request.size() * 50 << "ms";
}

// Busy means answering: a client that asked for a big /metrics and does not read it holds its
// connection until request_timeout. Only then, with nothing idle to close, is a newcomer refused.
TEST_F(HttpServerTest, ConnectionsBeyondMaxAreRefusedNotQueuedWhenAllAreBusy) {
  config::HttpConfig config;
  config.max_connections = 2;
  config.request_timeout = 30s;
  metrics_text_ = std::string(32 << 20, '#');  // far more than the socket buffers hold
  start(config);

  std::vector<std::unique_ptr<TestConnection>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<TestConnection>(server_->port()));
    ASSERT_TRUE(held.back()->send(get("/metrics")));
    ASSERT_TRUE(held.back()->read_response(/*head=*/true)) << "held " << i << " got no answer";
  }

  for (int i = 0; i < 5; ++i) {
    TestConnection extra(server_->port());
    extra.send(get("/metrics"));
    std::string received;
    ASSERT_TRUE(extra.wait_closed(10s, &received)) << "extra connection " << i << " was kept";
    if (!received.empty()) {
      EXPECT_TRUE(received.starts_with("HTTP/1.1 503")) << received;
    }
  }
}

// A refusal summary that waited for the next refusal never reported the last burst of a flood:
// the refusals after the first line are logged at stop (and by a timer while running).
TEST_F(HttpServerTest, TheLastBurstOfRefusalsIsLoggedAtStop) {
  // Added before the event loop runs and removed after it stopped: a logger's sinks are not
  // safe to change while another thread logs.
  auto log = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  spdlog::default_logger()->sinks().push_back(log);
  config::HttpConfig config;
  config.max_connections = 2;
  config.request_timeout = 30s;
  metrics_text_ = std::string(32 << 20, '#');
  start(config);
  std::vector<std::unique_ptr<TestConnection>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<TestConnection>(server_->port()));
    ASSERT_TRUE(held.back()->send(get("/metrics")));
    ASSERT_TRUE(held.back()->read_response(/*head=*/true));
  }
  for (int i = 0; i < 5; ++i) {
    TestConnection extra(server_->port());
    extra.send(get("/metrics"));
    ASSERT_TRUE(extra.wait_closed(10s));
  }
  server_->stop();
  held.clear();
  work_.reset();
  loop_.join();
  spdlog::default_logger()->sinks().pop_back();

  std::size_t refused = 0;
  for (const auto& line : log->last_formatted()) {
    const auto at = line.find("refused ");
    if (at != std::string::npos) refused += std::stoul(line.substr(at + 8));
  }
  EXPECT_EQ(refused, 5u) << "every refusal is in some log line, the last burst included";
}

// A connection the server has accepted that has not sent a complete request: it has sent the
// first line only, slowloris-style. (One that sends nothing at all the kernel does not even hand
// over for a while: TCP_DEFER_ACCEPT.)
constexpr std::string_view kHalfRequest = "GET /-/healthy HTTP/1.1\r\n";
constexpr std::string_view kRestOfRequest = "Host: localhost\r\n\r\n";

std::unique_ptr<TestConnection> half_request(std::uint16_t port) {
  auto conn = std::make_unique<TestConnection>(port);
  EXPECT_TRUE(conn->send(kHalfRequest));
  return conn;
}

// 64 idle connections (the reproducer) made 78 of 80 scrapes fail: a connection that has
// not asked anything complete must give way to one that asks.
TEST_F(HttpServerTest, TheOldestIdleConnectionMakesRoomForANewcomer) {
  config::HttpConfig config;
  config.max_connections = 2;
  config.request_timeout = 30s;
  start(config);

  std::vector<std::unique_ptr<TestConnection>> idle;
  for (int i = 0; i < 2; ++i) idle.push_back(half_request(server_->port()));
  // Served, and again, and again: each newcomer closes the oldest silent connection.
  for (int i = 0; i < 3; ++i) {
    const auto res = request(get("/metrics"));
    ASSERT_TRUE(res) << "scrape " << i << " failed with every slot held by an idle connection";
    EXPECT_EQ(res->status, 200);
  }
  EXPECT_TRUE(idle[0]->wait_closed(10s)) << "the oldest idle connection was kept";
}

// One address may not take every slot; at its limit its own oldest idle connection goes, so a
// scraper sharing the address (everything local is 127.0.0.1) still gets in.
TEST_F(HttpServerTest, OneAddressHoldsAtMostItsShareAndGivesWayToItsOwnNewcomers) {
  config::HttpConfig config;
  config.max_connections = 64;
  config.request_timeout = 30s;
  start(config);
  const std::size_t share = per_address_limit(config.max_connections);
  ASSERT_LT(share, config.max_connections);

  std::vector<std::unique_ptr<TestConnection>> idle;
  for (std::size_t i = 0; i < share; ++i) idle.push_back(half_request(server_->port()));
  const auto res = request(get("/metrics"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(idle[0]->wait_closed(10s)) << "the address's oldest idle connection was kept";
  // The youngest idle one is still a session: it is answered.
  ASSERT_TRUE(idle.back()->send(kRestOfRequest));
  const auto still = idle.back()->read_response();
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
}

// A new connection that sends nothing is closed long before request_timeout.
TEST_F(HttpServerTest, ASilentNewConnectionIsClosedAfterTheFirstByteTimeout) {
  config::HttpConfig config;
  config.request_timeout = 60s;
  start(config);
  TestConnection silent(server_->port());
  EXPECT_TRUE(silent.wait_closed(kFirstByteTimeout + 20s)) << "kept for the whole request_timeout";
}

// A reload's limits apply to the connections accepted afterwards.
TEST_F(HttpServerTest, ReconfigureAppliesNewLimits) {
  config::HttpConfig config;
  config.max_request_bytes = 8192;
  start(config);
  const std::string big =
      "GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + std::string(2000, 'x') + "\r\n\r\n";
  auto res = request(big);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  config.max_request_bytes = 1024;
  config.listen = "ignored:1";  // needs a restart: must not matter
  server_->reconfigure(config);
  // reconfigure is handed to the event loop; a later connection is accepted after it.
  res = request(big);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);
}

TEST_F(HttpServerTest, StopClosesOpenConnections) {
  start();
  TestConnection conn(server_->port());
  ASSERT_TRUE(conn.send(get("/metrics")));
  ASSERT_TRUE(conn.read_response());
  server_->stop();
  EXPECT_TRUE(conn.wait_closed());
}

TEST(HttpServerListen, BusyPortFailsWithAClearMessage) {
  boost::asio::io_context io;
  config::HttpConfig config;
  config.listen = "127.0.0.1:0";
  HttpServer first(io, config, {});
  config.listen = "127.0.0.1:" + std::to_string(first.port());
  try {
    HttpServer second(io, config, {});
    FAIL() << "bound a port that is in use";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot listen on " + config.listen + ": Address already in use");
  }
}

TEST(HttpServerListen, MalformedAddressFailsWithAClearMessage) {
  boost::asio::io_context io;
  config::HttpConfig config;
  config.listen = "9187";
  try {
    HttpServer server(io, config, {});
    FAIL() << "accepted a listen address without a port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 9187"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qw::daemon
