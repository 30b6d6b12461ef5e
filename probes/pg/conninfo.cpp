#include "probes/pg/conninfo.hpp"

#include "config/password_file.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <libpq-fe.h>

namespace qw::probes::pg {

namespace {

bool is_uri(const std::string& dsn) {
  return dsn.starts_with("postgresql://") || dsn.starts_with("postgres://");
}

std::string percent_encode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string quote_conninfo_value(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string read_password(const std::string& path) {
  auto result = config::read_password_file(path);
  if (!result.ok()) throw std::runtime_error(result.error);
  return result.password;
}

}  // namespace

std::string append_conninfo_param(const std::string& dsn, const std::string& key,
                                  const std::string& value) {
  if (is_uri(dsn)) {
    const char sep = dsn.find('?') == std::string::npos ? '?' : '&';
    return dsn + sep + key + "=" + percent_encode(value);
  }
  // In key=value form a later key overrides an earlier one.
  return (dsn.empty() ? "" : dsn + " ") + key + "=" + quote_conninfo_value(value);
}

std::string build_conninfo(const config::TargetConfig& target) {
  std::string dsn = target.dsn;
  const auto secs = std::max<long long>(2, (target.connect_timeout.count() + 999) / 1000);
  // libpq's connect_timeout is whole seconds with a floor of 2; it bounds DNS, TCP and startup.
  dsn = append_conninfo_param(dsn, "connect_timeout", std::to_string(secs));
  dsn = append_conninfo_param(dsn, "fallback_application_name", "queuewatch");
  // A peer that vanishes (host down, network partition) is detected by the kernel in seconds,
  // not after the default two hours of TCP keepalive silence.
  dsn = append_conninfo_param(dsn, "keepalives", "1");
  dsn = append_conninfo_param(dsn, "keepalives_idle", "5");
  dsn = append_conninfo_param(dsn, "keepalives_interval", "2");
  dsn = append_conninfo_param(dsn, "keepalives_count", "3");
  dsn = append_conninfo_param(dsn, "tcp_user_timeout", std::to_string(secs * 1000));
  if (target.password_file)
    dsn = append_conninfo_param(dsn, "password", read_password(*target.password_file));
  return dsn;
}

std::string describe_endpoint(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  if (!opts) {
    if (err) PQfreemem(err);
    return "?";
  }
  std::string host, hostaddr, port;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    const std::string key = o->keyword;
    if (key == "host") host = o->val;
    if (key == "hostaddr") hostaddr = o->val;
    if (key == "port") port = o->val;
  }
  PQconninfoFree(opts);
  if (host.empty()) host = hostaddr.empty() ? "localhost" : hostaddr;
  if (host.starts_with('/')) return host + " (unix socket)";
  return host + ":" + (port.empty() ? "5432" : port);
}

}  // namespace qw::probes::pg
