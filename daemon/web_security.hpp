#pragma once
// What the web config asks of every HTTP request, ready to use: the TLS server context (with its
// certificate, key and client-certificate policy loaded), the basic-auth users and the extra
// response headers. Built once per load (start and SIGHUP): a certificate that does not load is
// an error then, naming the key and its line, not a failed handshake later.
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "daemon/basic_auth.hpp"
#include "daemon/web_config.hpp"

namespace boost::asio::ssl {
class context;
}

namespace qw::daemon {

struct WebSecurity {
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  BasicAuth auth;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Throws std::runtime_error("file:line:column: tls_server_config.cert_file: cannot load ...").
std::shared_ptr<const WebSecurity> make_web_security(const WebConfig& config);

// Loads and builds, printing nothing: the errors, each "file:line:column: key: message".
struct WebSecurityLoad {
  std::shared_ptr<const WebSecurity> security;  // null when errors is not empty
  std::vector<std::string> errors;
};
WebSecurityLoad load_web_security(const std::string& path);

}  // namespace qw::daemon
