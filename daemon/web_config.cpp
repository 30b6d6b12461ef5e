#include "daemon/web_config.hpp"

#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

namespace qw::daemon {

namespace {

KeyMark mark_of(const YAML::Mark& m) {
  return {m.line + 1, m.column + 1};
}

class Reader {
 public:
  Reader(std::string file, std::string base_dir)
      : file_(std::move(file)), dir_(std::move(base_dir)) {}

  void error(const std::string& path, KeyMark mark, std::string message) {
    errors_.push_back({file_, path, mark.line, mark.column, std::move(message)});
  }
  std::vector<config::ConfigError> take() { return std::move(errors_); }

  // The value as a string; an error (and nullopt) for a list or a map.
  std::optional<std::string> scalar(const YAML::Node& v, const std::string& path, KeyMark mark) {
    if (v.IsNull()) return std::string{};
    if (!v.IsScalar()) {
      error(path, mark, "expected a string");
      return std::nullopt;
    }
    return v.Scalar();
  }

  // Paths are relative to the web config file's directory, as in exporter-toolkit.
  std::string resolve(const std::string& p) const {
    if (p.empty() || std::filesystem::path(p).is_absolute()) return p;
    return (std::filesystem::path(dir_) / p).lexically_normal().string();
  }

  void root(const YAML::Node& node, WebConfig& out);

 private:
  void tls(const YAML::Node& node, WebTlsConfig& out);
  void http(const YAML::Node& node, WebConfig& out);
  void users(const YAML::Node& node, WebConfig& out);

  std::string file_, dir_;
  std::vector<config::ConfigError> errors_;
};

// Keys of the format that queuewatch does not implement, and what to do instead. Only a key with
// a value counts: an empty list asks for nothing.
std::optional<std::string_view> unsupported(std::string_view key) {
  if (key == "cipher_suites")
    return "not supported by queuewatch (OpenSSL's defaults apply; TLS 1.3 suites are not "
           "configurable in exporter-toolkit either); remove it";
  if (key == "curve_preferences") return "not supported by queuewatch (OpenSSL's defaults apply)";
  if (key == "client_allowed_sans")
    return "not supported by queuewatch; issue client certificates from a CA of their own and "
           "name it in client_ca_file";
  if (key == "rate_limit")
    return "not supported by queuewatch; http.max_connections and http.request_timeout bound "
           "what clients can hold";
  return std::nullopt;
}

bool asks_for_something(const YAML::Node& v) {
  if (v.IsNull()) return false;
  if (v.IsSequence() || v.IsMap()) return v.size() > 0;
  return true;
}

std::optional<int> tls_version(std::string_view name) {
  if (name == "TLS10") return TLS1_VERSION;
  if (name == "TLS11") return TLS1_1_VERSION;
  if (name == "TLS12") return TLS1_2_VERSION;
  if (name == "TLS13") return TLS1_3_VERSION;
  return std::nullopt;
}

std::optional<ClientAuth> client_auth(std::string_view name) {
  if (name.empty() || name == "NoClientCert") return ClientAuth::no_client_cert;
  if (name == "RequestClientCert") return ClientAuth::request_client_cert;
  // "RequireClientCert" is exporter-toolkit's older spelling, kept there for compatibility.
  if (name == "RequireAnyClientCert" || name == "RequireClientCert")
    return ClientAuth::require_any_client_cert;
  if (name == "VerifyClientCertIfGiven") return ClientAuth::verify_client_cert_if_given;
  if (name == "RequireAndVerifyClientCert") return ClientAuth::require_and_verify_client_cert;
  return std::nullopt;
}

void Reader::root(const YAML::Node& node, WebConfig& out) {
  if (node.IsNull()) return;  // an empty file: plain HTTP, no authentication
  if (!node.IsMap()) return error("", mark_of(node.Mark()), "expected a mapping of keys");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const KeyMark mark = mark_of(kv.first.Mark());
    if (key == "tls_server_config") {
      WebTlsConfig tls;
      this->tls(kv.second, tls);
      // exporter-toolkit serves plain HTTP when the section sets nothing.
      if (!tls.cert_file.empty() || !tls.cert.empty() || !tls.key_file.empty() ||
          !tls.key.empty() || !tls.client_ca_file.empty() || !tls.client_ca.empty() ||
          tls.client_auth != ClientAuth::no_client_cert) {
        if (tls.cert_file.empty() && tls.cert.empty())
          error("tls_server_config", mark, "missing one of cert or cert_file");
        if (tls.key_file.empty() && tls.key.empty())
          error("tls_server_config", mark, "missing one of key or key_file");
        out.tls = std::move(tls);
      }
    } else if (key == "http_server_config") {
      http(kv.second, out);
    } else if (key == "basic_auth_users") {
      users(kv.second, out);
    } else if (const auto why = unsupported(key)) {
      if (asks_for_something(kv.second)) error(key, mark, std::string(*why));
    } else {
      error(key, mark,
            "unknown key; expected tls_server_config, http_server_config or basic_auth_users");
    }
  }
}

void Reader::tls(const YAML::Node& node, WebTlsConfig& out) {
  out.min_version = TLS1_2_VERSION;
  out.max_version = TLS1_3_VERSION;
  if (node.IsNull()) return;
  if (!node.IsMap())
    return error("tls_server_config", mark_of(node.Mark()), "expected a mapping of keys");
  KeyMark min_mark, client_ca_mark, client_auth_mark;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string path = "tls_server_config." + key;
    const KeyMark mark = mark_of(kv.first.Mark());
    out.marks[key] = mark;
    auto text = [&]() { return scalar(kv.second, path, mark_of(kv.second.Mark())); };
    if (key == "cert_file" || key == "key_file" || key == "client_ca_file") {
      const auto v = text();
      if (!v) continue;
      (key == "cert_file"  ? out.cert_file
       : key == "key_file" ? out.key_file
                           : out.client_ca_file) = resolve(*v);
      if (key == "client_ca_file") client_ca_mark = mark;
    } else if (key == "cert" || key == "key" || key == "client_ca") {
      const auto v = text();
      if (!v) continue;
      (key == "cert" ? out.cert : key == "key" ? out.key : out.client_ca) = *v;
      if (key == "client_ca") client_ca_mark = mark;
    } else if (key == "client_auth_type") {
      const auto v = text();
      if (!v) continue;
      client_auth_mark = mark;
      if (const auto a = client_auth(*v)) {
        out.client_auth = *a;
      } else {
        error(path, mark_of(kv.second.Mark()),
              fmt::format("unknown client_auth_type \"{}\"; expected NoClientCert, "
                          "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
                          "RequireAndVerifyClientCert",
                          *v));
      }
    } else if (key == "min_version" || key == "max_version") {
      const auto v = text();
      if (!v) continue;
      const auto version = tls_version(*v);
      if (!version) {
        error(path, mark_of(kv.second.Mark()),
              fmt::format("unknown TLS version \"{}\"; expected TLS10, TLS11, TLS12 or TLS13", *v));
        continue;
      }
      (key == "min_version" ? out.min_version : out.max_version) = *version;
      if (key == "min_version") min_mark = mark;
    } else if (key == "prefer_server_cipher_suites") {
      const auto v = text();
      if (!v) continue;
      if (*v == "true" || *v == "false") {
        out.prefer_server_cipher_suites = *v == "true";
      } else {
        error(path, mark_of(kv.second.Mark()), "expected true or false");
      }
    } else if (const auto why = unsupported(key)) {
      if (asks_for_something(kv.second)) error(path, mark, std::string(*why));
    } else {
      error(path, mark,
            "unknown key; expected cert_file, key_file, cert, key, client_auth_type, "
            "client_ca_file, client_ca, min_version, max_version or prefer_server_cipher_suites");
    }
  }
  if (!out.cert_file.empty() && !out.cert.empty())
    error("tls_server_config.cert", out.marks["cert"], "give cert_file or cert, not both");
  if (!out.key_file.empty() && !out.key.empty())
    error("tls_server_config.key", out.marks["key"], "give key_file or key, not both");
  if (!out.client_ca_file.empty() && !out.client_ca.empty())
    error("tls_server_config.client_ca", out.marks["client_ca"],
          "give client_ca_file or client_ca, not both");
  const bool has_ca = !out.client_ca_file.empty() || !out.client_ca.empty();
  if (has_ca && out.client_auth == ClientAuth::no_client_cert)
    error("tls_server_config.client_ca_file", client_ca_mark,
          "a client CA without client_auth_type verifies nobody; set client_auth_type: "
          "RequireAndVerifyClientCert");
  // Go would fall back to the system's roots, which would let any publicly signed certificate
  // in: queuewatch asks for the CA instead.
  if (!has_ca && (out.client_auth == ClientAuth::verify_client_cert_if_given ||
                  out.client_auth == ClientAuth::require_and_verify_client_cert))
    error("tls_server_config.client_auth_type", client_auth_mark,
          "verifying client certificates needs client_ca_file (or client_ca): the CA that "
          "issues them");
  if (out.min_version > out.max_version)
    error("tls_server_config.min_version", min_mark, "min_version is above max_version");
}

void Reader::http(const YAML::Node& node, WebConfig& out) {
  if (node.IsNull()) return;
  if (!node.IsMap())
    return error("http_server_config", mark_of(node.Mark()), "expected a mapping of keys");
  // exporter-toolkit's extraHTTPHeaders: the headers that may be set, and their allowed values
  // when the set is closed.
  static const std::map<std::string, std::vector<std::string>, std::less<>> kHeaders = {
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string path = "http_server_config." + key;
    const KeyMark mark = mark_of(kv.first.Mark());
    if (key == "http2") {
      const auto v = scalar(kv.second, path, mark);
      if (v && *v != "false")
        error(path, mark,
              "queuewatch serves HTTP/1.1 only (Prometheus scrapes it); remove the key or set "
              "it to false");
    } else if (key == "headers") {
      if (kv.second.IsNull()) continue;
      if (!kv.second.IsMap()) {
        error(path, mark, "expected a mapping of header names to values");
        continue;
      }
      for (const auto& h : kv.second) {
        const std::string name = h.first.Scalar();
        const KeyMark hmark = mark_of(h.first.Mark());
        const auto allowed = kHeaders.find(name);
        if (allowed == kHeaders.end()) {
          error(path + "." + name, hmark,
                "this header cannot be configured; expected Strict-Transport-Security, "
                "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection or "
                "Content-Security-Policy");
          continue;
        }
        const auto value = scalar(h.second, path + "." + name, hmark);
        if (!value) continue;
        if (value->find_first_of("\r\n") != std::string::npos) {
          error(path + "." + name, hmark, "a header value cannot hold a line break");
          continue;
        }
        if (!allowed->second.empty() && std::find(allowed->second.begin(), allowed->second.end(),
                                                  *value) == allowed->second.end()) {
          error(path + "." + name, hmark,
                fmt::format("\"{}\" is not allowed; expected {}", *value,
                            fmt::join(allowed->second, " or ")));
          continue;
        }
        if (!value->empty()) out.headers.emplace_back(name, *value);
      }
    } else {
      error(path, mark, "unknown key; expected http2 or headers");
    }
  }
}

void Reader::users(const YAML::Node& node, WebConfig& out) {
  if (node.IsNull()) return;
  if (!node.IsMap())
    return error("basic_auth_users", mark_of(node.Mark()),
                 "expected a mapping of user names to bcrypt hashes");
  for (const auto& kv : node) {
    const std::string user = kv.first.Scalar();
    const std::string path = "basic_auth_users." + user;
    const KeyMark mark = mark_of(kv.first.Mark());
    // Basic auth splits "user:password" at the first colon: such a user could never log in.
    if (user.empty() || user.find(':') != std::string::npos) {
      error(path, mark, "a user name must be non-empty and hold no ':'");
      continue;
    }
    const auto hash = scalar(kv.second, path, mark);
    if (!hash) continue;
    if (!is_bcrypt_hash(*hash)) {
      // Never quote the value: it is a secret, if a hashed one.
      error(path, mark,
            "expected a bcrypt hash ($2y$, $2b$ or $2a$, e.g. from `htpasswd -nBC 10 \"\" | tr "
            "-d ':\\n'`)");
      continue;
    }
    out.users[user] = *hash;
  }
}

}  // namespace

bool is_bcrypt_hash(const std::string& h) {
  // $2y$10$ + 53 characters of bcrypt's base64 alphabet.
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$') return false;
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9') return false;
  const int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  return std::all_of(h.begin() + 7, h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/';
  });
}

WebConfigLoad load_web_config_string(const std::string& yaml, const std::string& file,
                                     const std::string& base_dir) {
  WebConfigLoad result;
  result.config.file = file;
  Reader reader(file, base_dir);
  // yaml-cpp 0.7 never finishes a document that starts with ',' (see config/loader.cpp); such a
  // file is no mapping anyway.
  const auto first = yaml.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && yaml[first] == ',') {
    reader.error("", {1, 1}, "YAML syntax error: a ',' outside a [ ] or { } list");
    result.errors = reader.take();
    return result;
  }
  try {
    reader.root(YAML::Load(yaml), result.config);
  } catch (const YAML::Exception& e) {
    reader.error("", mark_of(e.mark), fmt::format("YAML syntax error: {}", e.msg));
  }
  result.errors = reader.take();
  return result;
}

WebConfigLoad load_web_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    WebConfigLoad result;
    result.errors.push_back(
        {path, "", 0, 0, fmt::format("cannot read the web config file: {}", std::strerror(errno))});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  const auto dir = std::filesystem::path(path).parent_path().string();
  return load_web_config_string(text.str(), path, dir.empty() ? "." : dir);
}

}  // namespace qw::daemon
