#include "daemon/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace qw::daemon {

namespace {

spdlog::level::level_enum parse_level(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn" || name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "critical") return spdlog::level::critical;
  if (name == "off") return spdlog::level::off;
  throw std::invalid_argument(fmt::format(
      "unknown log level \"{}\" (expected trace, debug, info, warn, error, critical or off)",
      name));
}

// systemd sets JOURNAL_STREAM to "<device>:<inode>" of the stream it connected stderr to. A
// child whose stderr was redirected (a shell pipe, `2>file`) inherits the variable but not the
// stream, so the variable alone is not proof: compare it with what stderr really is.
bool stderr_is_journal() {
  const char* value = std::getenv("JOURNAL_STREAM");
  if (value == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (std::sscanf(value, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

constexpr std::string_view kMask = "***";

// postgresql://user:secret@host:5432/db?password=secret
std::string redact_uri(std::string_view uri) {
  std::string out(uri);
  const auto authority_begin = out.find("://") + 3;
  auto authority_end = out.find_first_of("/?#", authority_begin);
  if (authority_end == std::string::npos) authority_end = out.size();

  const auto at = out.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
  if (at != std::string::npos && at >= authority_begin) {
    const auto colon = out.find(':', authority_begin);
    if (colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, kMask);
    }
  }

  const auto query = out.find('?');
  if (query == std::string::npos) return out;
  const auto fragment = out.find('#', query);
  std::string result = out.substr(0, query + 1);
  const std::string params = out.substr(
      query + 1, fragment == std::string::npos ? std::string::npos : fragment - query - 1);
  std::size_t pos = 0;
  while (pos <= params.size()) {
    auto amp = params.find('&', pos);
    if (amp == std::string::npos) amp = params.size();
    const std::string_view param = std::string_view(params).substr(pos, amp - pos);
    const auto eq = param.find('=');
    if (eq != std::string_view::npos && param.substr(0, eq) == "password") {
      result.append(param.substr(0, eq + 1));
      result.append(kMask);
    } else {
      result.append(param);
    }
    if (amp < params.size()) result.push_back('&');
    pos = amp + 1;
  }
  if (fragment != std::string::npos) result.append(out.substr(fragment));
  return result;
}

// host=db password='se cret' user=app, by libpq's rules: values are single-quoted (backslash
// escapes) or run to the next whitespace.
std::string redact_conninfo(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto copy_spaces = [&] {
    while (i < n && is_space(s[i])) out.push_back(s[i++]);
  };
  while (true) {
    copy_spaces();
    if (i >= n) break;
    const std::size_t key_begin = i;
    const std::size_t out_before_key = out.size();
    while (i < n && !is_space(s[i]) && s[i] != '=') ++i;
    const std::string_view key = s.substr(key_begin, i - key_begin);
    out.append(key);
    copy_spaces();
    if (i >= n || s[i] != '=') {
      // Not something libpq would accept: a "key" without "=" may well be a pasted password,
      // so hide it and everything after it.
      out.resize(out_before_key);
      out.append(kMask);
      break;
    }
    out.push_back(s[i++]);
    copy_spaces();
    const std::size_t value_begin = i;
    if (i < n && s[i] == '\'') {
      ++i;
      while (i < n && s[i] != '\'') i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
      if (i < n) ++i;  // the closing quote; unterminated runs to the end
    } else {
      while (i < n && !is_space(s[i])) i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
    }
    if (key == "password") {
      out.append(kMask);
    } else {
      out.append(s.substr(value_begin, i - value_begin));
    }
  }
  return out;
}

}  // namespace

void setup_logging(std::string_view level, LogFormat format) {
  const auto parsed = parse_level(level);
  std::shared_ptr<spdlog::logger> logger;
  if (stderr_is_journal()) {
    logger = std::make_shared<spdlog::logger>("queuewatch",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
  } else {
    // Colours only when stderr is a terminal (the sink checks), and only in text.
    logger = std::make_shared<spdlog::logger>(
        "queuewatch", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  logger->set_formatter(make_log_formatter(format, stderr_is_journal()));
  logger->set_level(parsed);
  // stderr is unbuffered, but spdlog sinks have their own buffer: warnings must not wait.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

void apply_log_settings(std::string_view level, LogFormat format) {
  const auto parsed = parse_level(level);
  // The logger stays: spdlog::info() and friends hold a raw pointer to the default logger
  // without a lock, so replacing it while workers log would free it under them. Its level is
  // atomic and set_formatter() takes each sink's mutex.
  auto* logger = spdlog::default_logger_raw();
  logger->set_formatter(make_log_formatter(format, stderr_is_journal()));
  logger->set_level(parsed);
}

std::string redact_dsn(std::string_view dsn) {
  if (dsn.starts_with("postgresql://") || dsn.starts_with("postgres://")) return redact_uri(dsn);
  return redact_conninfo(dsn);
}

}  // namespace qw::daemon
