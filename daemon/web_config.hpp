#pragma once
// The web configuration file (--web.config.file), in the format Prometheus exporters share:
// prometheus/exporter-toolkit v0.17.1, docs/web-configuration.md. Keys queuewatch does not
// implement are load errors naming the key and its line:column, never silently ignored: an
// operator who asks for something (a SAN allow-list, a rate limit) must not believe they have it.
// Parsing only; the TLS context and the password check are built from this in web_security.hpp.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/loader.hpp"

namespace qw::daemon {

// exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType).
enum class ClientAuth {
  no_client_cert,                  // NoClientCert (the default)
  request_client_cert,             // RequestClientCert: asked for, not verified
  require_any_client_cert,         // RequireAnyClientCert: required, not verified
  verify_client_cert_if_given,     // VerifyClientCertIfGiven
  require_and_verify_client_cert,  // RequireAndVerifyClientCert: the one that authenticates
};

struct KeyMark {
  int line = 0;  // 1-based
  int column = 0;
};

struct WebTlsConfig {
  // Exactly one of each pair: a file (relative to the web config's directory) or inline PEM.
  std::string cert_file, cert;
  std::string key_file, key;
  std::string client_ca_file, client_ca;
  ClientAuth client_auth = ClientAuth::no_client_cert;
  int min_version = 0;  // OpenSSL's TLS1_2_VERSION etc.; set by the loader (default TLS12)
  int max_version = 0;  // default TLS13
  bool prefer_server_cipher_suites = true;
  // Where each key was written, so a certificate that does not load names its line.
  std::map<std::string, KeyMark> marks;
};

struct WebConfig {
  std::string file;
  std::optional<WebTlsConfig> tls;           // none: plain HTTP
  std::map<std::string, std::string> users;  // user -> bcrypt hash; empty: no basic auth
  std::vector<std::pair<std::string, std::string>> headers;  // http_server_config.headers
};

struct WebConfigLoad {
  WebConfig config;
  std::vector<config::ConfigError> errors;  // empty => config is valid
  bool ok() const { return errors.empty(); }
};

WebConfigLoad load_web_config_file(const std::string& path);
WebConfigLoad load_web_config_string(const std::string& yaml, const std::string& file,
                                     const std::string& base_dir);

// Whether `hash` is a bcrypt hash libxcrypt verifies: $2a$, $2b$ or $2y$, a cost of 04..31,
// 22 salt and 31 hash characters.
bool is_bcrypt_hash(const std::string& hash);

}  // namespace qw::daemon
