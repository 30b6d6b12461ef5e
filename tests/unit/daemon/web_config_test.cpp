// The web config (exporter-toolkit's format) and basic auth: what loads, what is refused with its
// line:column, and that a password is checked with bcrypt and remembered only when right.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "daemon/basic_auth.hpp"
#include "daemon/cli.hpp"
#include "daemon/web_config.hpp"

namespace qw::daemon {
namespace {

// bcrypt("fakepassword"), cost 10, as htpasswd writes it ($2y$): exporter-toolkit's own.
constexpr const char* kFakeHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

WebConfigLoad load(const std::string& yaml) {
  return load_web_config_string(yaml, "web.yml", "/etc/queuewatch");
}

std::string errors(const WebConfigLoad& l) {
  std::string out;
  for (const auto& e : l.errors) out += e.to_string() + "\n";
  return out;
}

TEST(WebConfig, EmptyFileIsPlainHttpWithoutAuth) {
  const auto l = load("");
  ASSERT_TRUE(l.ok()) << errors(l);
  EXPECT_FALSE(l.config.tls);
  EXPECT_TRUE(l.config.users.empty());
}

TEST(WebConfig, ReadsTlsUsersAndHeaders) {
  const auto l = load(std::string(R"(tls_server_config:
  cert_file: tls/server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
http_server_config:
  http2: false
  headers:
    X-Content-Type-Options: nosniff
basic_auth_users:
  prometheus: ')") + kFakeHash +
                      "'\n");
  ASSERT_TRUE(l.ok()) << errors(l);
  ASSERT_TRUE(l.config.tls);
  // Relative to the web config's directory, as exporter-toolkit resolves them.
  EXPECT_EQ(l.config.tls->cert_file, "/etc/queuewatch/tls/server.crt");
  EXPECT_EQ(l.config.tls->key_file, "/abs/server.key");
  EXPECT_EQ(l.config.tls->client_ca_file, "/etc/queuewatch/ca.crt");
  EXPECT_EQ(l.config.tls->client_auth, ClientAuth::require_and_verify_client_cert);
  EXPECT_EQ(l.config.users.at("prometheus"), kFakeHash);
  ASSERT_EQ(l.config.headers.size(), 1u);
  EXPECT_EQ(l.config.headers[0].first, "X-Content-Type-Options");
}

TEST(WebConfig, UnsupportedKeysAreErrorsWithTheirPlace) {
  const auto l = load(R"(tls_server_config:
  cert_file: a.crt
  key_file: a.key
  client_allowed_sans: [prometheus.example]
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  curve_preferences: [X25519]
rate_limit: {interval: 1s, burst: 10}
http_server_config: {http2: true}
bogus: 1
)");
  const auto text = errors(l);
  EXPECT_NE(text.find("web.yml:4:3: tls_server_config.client_allowed_sans: not supported"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("web.yml:5:3: tls_server_config.cipher_suites: not supported"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("web.yml:6:3: tls_server_config.curve_preferences: not supported"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("web.yml:7:1: rate_limit: not supported"), std::string::npos) << text;
  EXPECT_NE(text.find("web.yml:8:22: http_server_config.http2: queuewatch serves HTTP/1.1 only"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("web.yml:9:1: bogus: unknown key"), std::string::npos) << text;
  EXPECT_EQ(l.errors.size(), 6u) << text;
}

TEST(WebConfig, EmptyUnsupportedListsAskForNothing) {
  const auto l = load("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: []\n");
  EXPECT_TRUE(l.ok()) << errors(l);
}

TEST(WebConfig, RefusesWhatCannotWork) {
  const auto text = errors(load(R"(tls_server_config:
  cert_file: a.crt
  client_ca_file: ca.crt
  min_version: TLS13
  max_version: TLS12
  client_auth_type: Sometimes
basic_auth_users:
  "a:b": x
  bob: plain-text-password
http_server_config:
  headers:
    X-Frame-Options: allow
    Server: nginx
)"));
  for (const char* want : {
           "web.yml:1:1: tls_server_config: missing one of key or key_file",
           "web.yml:6:21: tls_server_config.client_auth_type: unknown client_auth_type",
           "tls_server_config.client_ca_file: a client CA without client_auth_type",
           "web.yml:4:3: tls_server_config.min_version: min_version is above max_version",
           "web.yml:8:3: basic_auth_users.a:b: a user name must be non-empty and hold no ':'",
           "web.yml:9:3: basic_auth_users.bob: expected a bcrypt hash",
           "http_server_config.headers.X-Frame-Options: \"allow\" is not allowed",
           "web.yml:13:5: http_server_config.headers.Server: this header cannot be configured",
       })
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  EXPECT_EQ(text.find("plain-text-password"), std::string::npos) << "a secret was quoted";
}

TEST(WebConfig, VerifyingClientsNeedsTheirCa) {
  const auto text =
      errors(load("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
                  "RequireAndVerifyClientCert\n"));
  EXPECT_NE(text.find("web.yml:4:3: tls_server_config.client_auth_type: verifying client "
                      "certificates needs client_ca_file"),
            std::string::npos)
      << text;
}

TEST(WebConfig, BcryptHashShapes) {
  EXPECT_TRUE(is_bcrypt_hash(kFakeHash));
  std::string b = kFakeHash;
  b[2] = 'b';
  EXPECT_TRUE(is_bcrypt_hash(b));
  b[2] = 'a';
  EXPECT_TRUE(is_bcrypt_hash(b));
  b[2] = 'x';  // the broken-implementation variant: refused
  EXPECT_FALSE(is_bcrypt_hash(b));
  EXPECT_FALSE(is_bcrypt_hash("$1$abc$def"));
  EXPECT_FALSE(is_bcrypt_hash(std::string(kFakeHash).substr(0, 59)));
  std::string cost = kFakeHash;
  cost[4] = '3';  // cost 30 is fine, 03 is not
  EXPECT_TRUE(is_bcrypt_hash(cost));
  cost[4] = '0';
  cost[5] = '3';
  EXPECT_FALSE(is_bcrypt_hash(cost));
}

// "Basic " + base64("user:password")
std::string basic(const std::string& b64) {
  return "Basic " + b64;
}

TEST(BasicAuth, ChecksBcryptAndRemembersOnlySuccess) {
  BasicAuth auth(std::map<std::string, std::string>{{"prometheus", kFakeHash}});
  ASSERT_TRUE(auth.enabled());
  const auto right = basic("cHJvbWV0aGV1czpmYWtlcGFzc3dvcmQ=");  // prometheus:fakepassword
  const auto wrong = basic("cHJvbWV0aGV1czpmYWtlcGFzc3dvcmQx");  // prometheus:fakepassword1
  const auto ghost = basic("Z2hvc3Q6ZmFrZXBhc3N3b3Jk");          // ghost:fakepassword
  EXPECT_EQ(auth.quick(""), BasicAuth::Verdict::refused);
  EXPECT_EQ(auth.quick("Bearer x"), BasicAuth::Verdict::refused);
  EXPECT_EQ(auth.quick("Basic !!!!"), BasicAuth::Verdict::refused);
  EXPECT_EQ(auth.quick(right), BasicAuth::Verdict::needs_bcrypt);
  EXPECT_FALSE(auth.verify(wrong));
  EXPECT_EQ(auth.quick(wrong), BasicAuth::Verdict::needs_bcrypt) << "a failure was remembered";
  // An unknown user with the known user's password: refused (after a dummy bcrypt).
  EXPECT_FALSE(auth.verify(ghost));
  EXPECT_TRUE(auth.verify(right));
  EXPECT_EQ(auth.quick(right), BasicAuth::Verdict::allowed);
  // The scheme is case-insensitive (RFC 7617).
  EXPECT_EQ(auth.quick("basic cHJvbWV0aGV1czpmYWtlcGFzc3dvcmQ="), BasicAuth::Verdict::allowed);
  EXPECT_EQ(auth.quick(wrong), BasicAuth::Verdict::needs_bcrypt);
}

TEST(BasicAuth, NoUsersLetsEveryoneIn) {
  const BasicAuth auth;
  EXPECT_FALSE(auth.enabled());
  EXPECT_EQ(auth.quick(""), BasicAuth::Verdict::allowed);
}

// docs/security.md's web configs (fenced "```yaml web-config": the config loader's docs test
// reads only plain "```yaml" blocks) are the format queuewatch reads.
TEST(WebConfigDocs, EveryWebConfigBlockLoads) {
  const auto path = std::filesystem::path(QW_SOURCE_DIR) / "docs" / "security.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::string line, block;
  bool open = false;
  int blocks = 0, at = 0, n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!open && line == "```yaml web-config") {
      open = true;
      block.clear();
      at = n;
    } else if (open && line == "```") {
      open = false;
      ++blocks;
      const auto l = load_web_config_string(block, "docs/security.md:" + std::to_string(at), ".");
      EXPECT_TRUE(l.ok()) << errors(l);
    } else if (open) {
      block += line + "\n";
    }
  }
  EXPECT_FALSE(open) << "unclosed block at line " << at;
  EXPECT_GE(blocks, 1);
}

TEST(WebConfigFlag, RunAndCheckConfigTakeIt) {
  auto p = parse_cli({"run", "--config", "q.yaml", "--web.config.file", "web.yml"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->web_config_file, "web.yml");
  p = parse_cli({"check-config", "q.yaml", "--web.config.file=web.yml"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->web_config_file, "web.yml");
  p = parse_cli({"once", "--config", "q.yaml", "--web.config.file", "web.yml"});
  EXPECT_FALSE(p.options);
}

}  // namespace
}  // namespace qw::daemon
