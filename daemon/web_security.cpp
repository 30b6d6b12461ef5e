#include "daemon/web_security.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fmt/format.h>
#include <boost/asio/ssl/context.hpp>

namespace qw::daemon {

namespace ssl = boost::asio::ssl;

namespace {

// "file:line:column: tls_server_config.KEY: " for the key as written.
std::string where(const WebConfig& config, const std::string& key) {
  const auto it = config.tls->marks.find(key);
  if (it == config.tls->marks.end()) return fmt::format("{}: tls_server_config: ", config.file);
  return fmt::format("{}:{}:{}: tls_server_config.{}: ", config.file, it->second.line,
                     it->second.column, key);
}

std::string openssl_reason(const boost::system::system_error& e) {
  return e.code().message();
}

void load_certificate(ssl::context& ctx, const WebConfig& config) {
  const auto& tls = *config.tls;
  const std::string key_name = tls.cert_file.empty() ? "cert" : "cert_file";
  try {
    if (!tls.cert_file.empty()) {
      ctx.use_certificate_chain_file(tls.cert_file);
    } else {
      ctx.use_certificate_chain(boost::asio::buffer(tls.cert));
    }
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(where(config, key_name) +
                             (tls.cert_file.empty()
                                  ? "cannot load the inline certificate: "
                                  : fmt::format("cannot load \"{}\": ", tls.cert_file)) +
                             openssl_reason(e));
  }
  const std::string pkey_name = tls.key_file.empty() ? "key" : "key_file";
  try {
    if (!tls.key_file.empty()) {
      ctx.use_private_key_file(tls.key_file, ssl::context::pem);
    } else {
      ctx.use_private_key(boost::asio::buffer(tls.key), ssl::context::pem);
    }
  } catch (const boost::system::system_error& e) {
    // Never quote an inline key.
    throw std::runtime_error(where(config, pkey_name) +
                             (tls.key_file.empty()
                                  ? std::string("cannot load the inline key: ")
                                  : fmt::format("cannot load \"{}\": ", tls.key_file)) +
                             openssl_reason(e));
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    throw std::runtime_error(where(config, pkey_name) + "the key does not match the certificate");
  }
}

void load_client_ca(ssl::context& ctx, const WebConfig& config) {
  const auto& tls = *config.tls;
  if (tls.client_ca_file.empty() && tls.client_ca.empty()) return;
  const std::string key_name = tls.client_ca_file.empty() ? "client_ca" : "client_ca_file";
  try {
    if (!tls.client_ca_file.empty()) {
      ctx.load_verify_file(tls.client_ca_file);
      // Tells clients which CA we accept, so one holding several certificates picks right.
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str()))
        SSL_CTX_set_client_CA_list(ctx.native_handle(), names);
    } else {
      ctx.add_certificate_authority(boost::asio::buffer(tls.client_ca));
    }
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(where(config, key_name) +
                             (tls.client_ca_file.empty()
                                  ? "cannot load the inline CA: "
                                  : fmt::format("cannot load \"{}\": ", tls.client_ca_file)) +
                             openssl_reason(e));
  }
}

void set_client_auth(ssl::context& ctx, ClientAuth mode) {
  switch (mode) {
    case ClientAuth::no_client_cert:
      ctx.set_verify_mode(ssl::verify_none);
      return;
    case ClientAuth::request_client_cert:
    case ClientAuth::require_any_client_cert:
      // Asked for (or required) but not verified: any certificate passes, as in Go.
      ctx.set_verify_mode(mode == ClientAuth::request_client_cert
                              ? ssl::verify_peer
                              : ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      ctx.set_verify_callback([](bool, ssl::verify_context&) { return true; });
      return;
    case ClientAuth::verify_client_cert_if_given:
      ctx.set_verify_mode(ssl::verify_peer);
      return;
    case ClientAuth::require_and_verify_client_cert:
      ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      return;
  }
}

}  // namespace

std::shared_ptr<const WebSecurity> make_web_security(const WebConfig& config) {
  auto out = std::make_shared<WebSecurity>();
  out->auth = BasicAuth(config.users);
  out->headers = config.headers;
  if (!config.tls) return out;

  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, config.tls->min_version) != 1 ||
      SSL_CTX_set_max_proto_version(native, config.tls->max_version) != 1) {
    ERR_clear_error();
    throw std::runtime_error(where(config, "min_version") +
                             "this OpenSSL cannot serve the TLS versions asked for");
  }
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use);
  if (config.tls->prefer_server_cipher_suites)
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // No session tickets or cache: each connection's client certificate is checked afresh, and a
  // reload's new CA applies at once.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  load_certificate(*ctx, config);
  load_client_ca(*ctx, config);
  set_client_auth(*ctx, config.tls->client_auth);
  out->tls = std::move(ctx);
  return out;
}

WebSecurityLoad load_web_security(const std::string& path) {
  WebSecurityLoad result;
  const auto loaded = load_web_config_file(path);
  for (const auto& e : loaded.errors) result.errors.push_back(e.to_string());
  if (!result.errors.empty()) return result;
  try {
    result.security = make_web_security(loaded.config);
  } catch (const std::exception& e) {
    result.errors.emplace_back(e.what());
  }
  return result;
}

}  // namespace qw::daemon
