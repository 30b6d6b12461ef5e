#include "config/dsn_check.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string_view>
#include <vector>

namespace qw::config {
namespace {

// PQconninfoParse checks keywords and quoting only: libpq checks the values when it connects
// (connectOptions2 and PQconnectPoll in libpq 15's fe-connect.c). A value it would refuse
// there is checked here, with the same accepted words, so that check-config catches what would
// otherwise fail only at the first connect, as an outage. Values of these options are never
// secret, so messages may quote them; other values (password, ...) are never quoted.
struct Words {
  std::string_view keyword;
  std::vector<std::string_view> allowed;
};

const std::array<Words, 6>& word_options() {
  static const std::array<Words, 6> options{{
      {"sslmode", {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}},
      {"gssencmode", {"disable", "prefer", "require"}},
      {"channel_binding", {"disable", "prefer", "require"}},
      {"target_session_attrs",
       {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}},
      {"ssl_min_protocol_version", {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}},
      {"ssl_max_protocol_version", {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}},
  }};
  return options;
}

// Options libpq reads with parse_int_param: an int, spaces around it allowed.
constexpr std::string_view kIntegerOptions[] = {"connect_timeout",  "keepalives",
                                                "keepalives_idle",  "keepalives_interval",
                                                "keepalives_count", "tcp_user_timeout"};

bool parses_as_int(std::string_view text, long& out) {
  const std::string s(text);
  const char* p = s.c_str();
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  if (*p == '\0') return false;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(p, &end, 10);
  if (end == p || errno == ERANGE || value < INT_MIN || value > INT_MAX) return false;
  while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') ++end;
  if (*end != '\0') return false;
  out = value;
  return true;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

// The first problem with the values libpq would refuse at connect time, or "".
std::string check_values(const std::map<std::string_view, std::string_view>& given) {
  for (const Words& option : word_options()) {
    const auto it = given.find(option.keyword);
    if (it == given.end() || it->second.empty()) continue;  // empty: libpq's default
    bool known = false;
    for (std::string_view w : option.allowed) known = known || w == it->second;
    if (!known) {
      return fmt::format("{}=\"{}\" is not a value libpq accepts (one of: {})", option.keyword,
                         it->second, join(option.allowed));
    }
  }
  for (std::string_view keyword : kIntegerOptions) {
    const auto it = given.find(keyword);
    if (it == given.end() || it->second.empty()) continue;
    long value = 0;
    if (!parses_as_int(it->second, value)) {
      return fmt::format("{}=\"{}\" is not an integer", keyword, it->second);
    }
  }
  std::size_t ports = 1;
  if (const auto it = given.find("port"); it != given.end()) {
    const std::vector<std::string_view> list = split_commas(it->second);
    ports = list.size();
    for (std::string_view port : list) {
      if (port.empty()) continue;  // libpq's default port
      long value = 0;
      if (!parses_as_int(port, value) || value < 1 || value > 65535) {
        return fmt::format("port=\"{}\" is not a port number (1 to 65535)", port);
      }
    }
  }
  // One port for all hosts, or one per host, as libpq pairs them.
  std::size_t hosts = 1;
  for (std::string_view keyword : {"hostaddr", "host"}) {
    const auto it = given.find(keyword);
    if (it != given.end() && !it->second.empty()) {
      hosts = split_commas(it->second).size();
      break;
    }
  }
  if (ports != 1 && ports != hosts) {
    return fmt::format(
        "{} port numbers cannot be matched to {} hosts (give one port, or one per host)", ports,
        hosts);
  }
  if (const auto host = given.find("host"), addr = given.find("hostaddr");
      host != given.end() && addr != given.end() && !host->second.empty() &&
      !addr->second.empty() &&
      split_commas(host->second).size() != split_commas(addr->second).size()) {
    return "host and hostaddr list different numbers of servers";
  }
  return "";
}

}  // namespace

DsnCheck check_dsn(const std::string& dsn) {
  DsnCheck result;
  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(dsn.c_str(), &raw_error), &PQconninfoFree);
  if (!options) {
    // libpq's message quotes the offending fragment, which may be part of a password: drop it.
    if (raw_error != nullptr) PQfreemem(raw_error);
    result.error =
        "is not a valid libpq connection string (expected key=value pairs such as "
        "\"host=db port=5432 dbname=app\" or a postgresql:// URI)";
    return result;
  }
  std::map<std::string_view, std::string_view> given;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    given.emplace(o->keyword, o->val);
    if (std::strcmp(o->keyword, "password") == 0 && o->val[0] != '\0') {
      result.has_password = true;
    }
  }
  if (std::string problem = check_values(given); !problem.empty()) {
    result.error = "libpq would refuse this connection string: " + problem;
  }
  return result;
}

}  // namespace qw::config
