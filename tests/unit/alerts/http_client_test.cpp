// The HTTP client over real loopback sockets: plain, TLS with verification, timeouts, and the
// URL redaction every log line depends on.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "alerts/http_client.hpp"
#include "http_test_server.hpp"

namespace qw::alerts {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(ParseUrl, SchemesHostsPortsTargets) {
  auto u = parse_url("https://user:pw@hooks.example.com/services/T0/B1/XYZ?x=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->userinfo, "user:pw");
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/services/T0/B1/XYZ?x=1");

  u = parse_url("http://[::1]:9093");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "9093");
  EXPECT_EQ(u->target, "/");

  EXPECT_FALSE(parse_url("ftp://example.com/"));
  EXPECT_FALSE(parse_url("example.com/path"));
  EXPECT_FALSE(parse_url("http://host:99999999/"));
  EXPECT_FALSE(parse_url("http:///path"));
}

TEST(RedactUrl, DropsEveryPlaceASecretLives) {
  EXPECT_EQ(redact_url("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
            "https://hooks.slack.com:443/...");
  EXPECT_EQ(redact_url("https://hc-ping.com/5f3c-uuid-token"), "https://hc-ping.com:443/...");
  EXPECT_EQ(redact_url("http://admin:hunter2@am:9093/api/v2/alerts?token=abc"),
            "http://am:9093/...");
  EXPECT_EQ(redact_url("http://am:9093"), "http://am:9093");
  EXPECT_EQ(redact_url("not a url"), "<invalid URL>");
}

TEST(HttpClient, PostsBodyAndHeadersAndReadsTheAnswer) {
  test::HttpTestServer server;
  server.script({{202, {{"X-Answer", "yes"}}, "accepted"}});
  HttpClient client;
  HttpRequest request;
  request.url = "http://u:p%40ss@127.0.0.1:" + std::to_string(server.port()) + "/hook?k=v";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = R"({"a":1})";
  const auto result = client.send(request);
  ASSERT_TRUE(result.response) << result.error;
  EXPECT_EQ(result.response->status, 202);
  EXPECT_EQ(result.response->headers.at("x-answer"), "yes");
  EXPECT_EQ(result.response->body, "accepted");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/hook?k=v");
  EXPECT_EQ(requests[0].body, R"({"a":1})");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(requests[0].headers.at("authorization"), "Basic dTpwQHNz");  // u:p@ss
}

TEST(HttpClient, KeepsOnlyABoundedBody) {
  test::HttpTestServer server;
  server.script({{500, {}, std::string(200 * 1024, 'e')}});
  HttpClient client;
  HttpRequest request;
  request.url = server.url();
  const auto result = client.send(request);
  ASSERT_TRUE(result.response) << result.error;
  EXPECT_EQ(result.response->status, 500);
  EXPECT_EQ(result.response->body.size(), HttpClient::kMaxKeptBody);
  EXPECT_TRUE(result.response->body_truncated);
}

TEST(HttpClient, ConnectionRefusedIsAnError) {
  HttpClient client;
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/";
  const auto result = client.send(request);
  EXPECT_FALSE(result.response);
  EXPECT_NE(result.error.find("connect"), std::string::npos) << result.error;
}

TEST(HttpClient, AServerThatNeverAnswersTimesOut) {
  // Listening but never accepting: the kernel completes the handshake, nobody ever answers.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);

  HttpClient client;
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  request.timeout = 300ms;
  const auto result = client.send(request);
  EXPECT_FALSE(result.response);
  EXPECT_NE(result.error.find("timeout after 300 ms"), std::string::npos) << result.error;
  // The client is reusable after a timeout.
  test::HttpTestServer server;
  request.url = server.url();
  request.timeout = 5s;
  EXPECT_TRUE(client.send(request).response);
  ::close(fd);
}

TEST(HttpClient, CancelledClientFailsAtOnce) {
  HttpClient client;
  client.cancel();
  test::HttpTestServer server;
  HttpRequest request;
  request.url = server.url();
  const auto result = client.send(request);
  EXPECT_FALSE(result.response);
  EXPECT_EQ(result.error, "cancelled");
}

// A self-signed certificate made at test time with the openssl CLI.
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("qw-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // A failure, not a skip: scripts/install-deps installs openssl, so its absence is a broken
    // setup that a skip would hide behind a green run.
    ASSERT_EQ(std::system("command -v openssl >/dev/null"), 0)
        << "no openssl CLI: run scripts/install-deps";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Returns false when openssl failed.
  bool make_cert(const std::string& name, const std::string& san) {
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=queuewatch-test"
        " -addext subjectAltName=" +
        san + " -keyout " + (dir_ / (name + ".key")).string() + " -out " +
        (dir_ / (name + ".pem")).string() + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }
  std::string cert(const std::string& name) { return (dir_ / (name + ".pem")).string(); }
  std::string key(const std::string& name) { return (dir_ / (name + ".key")).string(); }

  fs::path dir_;
};

TEST_F(TlsTest, SelfSignedCertificateFailsVerificationByDefault) {
  ASSERT_TRUE(make_cert("local", "IP:127.0.0.1"));
  test::HttpTestServer server(0, cert("local"), key("local"));
  HttpClient client;
  HttpRequest request;
  request.url = server.url("/hook");
  const auto result = client.send(request);
  EXPECT_FALSE(result.response);
  EXPECT_NE(result.error.find("TLS handshake"), std::string::npos) << result.error;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(TlsTest, TheSameCertificateAsCaFileIsTrusted) {
  ASSERT_TRUE(make_cert("local", "IP:127.0.0.1"));
  test::HttpTestServer server(0, cert("local"), key("local"));
  HttpClient client;
  HttpRequest request;
  request.url = server.url("/hook");
  request.ca_file = cert("local");
  request.body = "{}";
  const auto result = client.send(request);
  ASSERT_TRUE(result.response) << result.error;
  EXPECT_EQ(result.response->status, 200);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target, "/hook");
}

TEST_F(TlsTest, ATrustedCertificateForAnotherHostIsRefused) {
  ASSERT_TRUE(make_cert("other", "DNS:other.example"));
  test::HttpTestServer server(0, cert("other"), key("other"));
  HttpClient client;
  HttpRequest request;
  request.url = server.url();
  request.ca_file = cert("other");
  const auto result = client.send(request);
  EXPECT_FALSE(result.response);
  EXPECT_NE(result.error.find("TLS handshake"), std::string::npos) << result.error;
}

TEST_F(TlsTest, VerificationOffAcceptsAnyCertificate) {
  ASSERT_TRUE(make_cert("other", "DNS:other.example"));
  test::HttpTestServer server(0, cert("other"), key("other"));
  HttpClient client;
  HttpRequest request;
  request.url = server.url();
  request.tls_verify = false;
  const auto result = client.send(request);
  ASSERT_TRUE(result.response) << result.error;
  EXPECT_EQ(result.response->status, 200);
}

TEST_F(TlsTest, MissingCaFileIsAClearError) {
  HttpClient client;
  HttpRequest request;
  request.url = "https://127.0.0.1:1/";
  request.ca_file = (dir_ / "missing.pem").string();
  const auto result = client.send(request);
  EXPECT_FALSE(result.response);
  EXPECT_NE(result.error.find("TLS setup"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace qw::alerts
