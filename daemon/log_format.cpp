#include "daemon/log_format.hpp"

#include <ctime>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>

namespace qw::daemon {

namespace {

thread_local std::vector<std::pair<std::string, std::string>> tls_fields;

// sd-daemon(3) priority prefixes; journald strips them and stores the priority.
std::string_view journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return "<2>";
    case spdlog::level::err:
      return "<3>";
    case spdlog::level::warn:
      return "<4>";
    case spdlog::level::info:
      return "<6>";
    default:
      return "<7>";
  }
}

class JournalPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    const auto prefix = journal_priority(msg.level);
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JournalPriorityFlag>();
  }
};

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no
// surrogates, nothing past U+10FFFF), or 0 when the byte there starts none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const std::size_t left = s.size() - i;
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && continuation(b(1)) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !continuation(b(1)) || !continuation(b(2))) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !continuation(b(1)) || !continuation(b(2)) || !continuation(b(3))) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

// The escapes JSON and logfmt share (logfmt's are Go's strconv-style ones, as go-logfmt writes).
void append_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\u{:04x}", c);
        } else if (const std::size_t n = utf8_length(s, i); n == 0) {
          out += "\\ufffd";  // not UTF-8: a replacement character, never the raw byte
        } else {
          out.append(s.substr(i, n));
          i += n;
          continue;
        }
    }
    ++i;
  }
}

std::string utc_timestamp(spdlog::log_clock::time_point at) {
  const auto since_epoch = at.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::string_view level_name(spdlog::level::level_enum level) {
  const auto name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

// Text: the pattern as before, then the fields as ` key=value`, then the newline.
class TextFormatter final : public spdlog::formatter {
 public:
  explicit TextFormatter(bool journald) : journald_(journald) {
    pattern_ = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::local, "");
    if (journald) {
      pattern_->add_flag<JournalPriorityFlag>('*').set_pattern("%*%v");
    } else {
      pattern_->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-7l%$ %v");
    }
  }
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    pattern_->format(msg, dest);
    for (const auto& [key, value] : tls_fields) {
      append(dest, " ");
      append(dest, key);
      append(dest, "=");
      append(dest, logfmt_value(value));
    }
    append(dest, "\n");
  }
  std::unique_ptr<formatter> clone() const override {
    return std::make_unique<TextFormatter>(journald_);
  }

 private:
  bool journald_;
  std::unique_ptr<spdlog::pattern_formatter> pattern_;
};

class StructuredFormatter final : public spdlog::formatter {
 public:
  StructuredFormatter(LogFormat format, bool journald) : format_(format), journald_(journald) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (journald_) append(dest, journal_priority(msg.level));
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const std::string ts = utc_timestamp(msg.time);
    std::string line;
    if (format_ == LogFormat::json) {
      line = "{\"ts\":" + json_string(ts) + ",\"level\":" + json_string(level_name(msg.level)) +
             ",\"msg\":" + json_string(text);
      for (const auto& [key, value] : tls_fields)
        line += "," + json_string(key) + ":" + json_string(value);
      line += "}";
    } else {
      line = "ts=" + ts + " level=" + std::string(level_name(msg.level)) +
             " msg=" + logfmt_value(text);
      for (const auto& [key, value] : tls_fields) line += " " + key + "=" + logfmt_value(value);
    }
    line += "\n";
    append(dest, line);
  }
  std::unique_ptr<formatter> clone() const override {
    return std::make_unique<StructuredFormatter>(format_, journald_);
  }

 private:
  LogFormat format_;
  bool journald_;
};

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::text;
  if (name == "logfmt") return LogFormat::logfmt;
  if (name == "json") return LogFormat::json;
  return std::nullopt;
}

LogFields::LogFields(std::initializer_list<std::pair<std::string_view, std::string>> fields)
    : added_(fields.size()) {
  for (const auto& [key, value] : fields) tls_fields.emplace_back(std::string(key), value);
}

LogFields::LogFields(std::vector<std::pair<std::string, std::string>> fields)
    : added_(fields.size()) {
  for (auto& field : fields) tls_fields.push_back(std::move(field));
}

LogFields::~LogFields() {
  tls_fields.resize(tls_fields.size() - added_);
}

const std::vector<std::pair<std::string, std::string>>& current_log_fields() {
  return tls_fields;
}

std::string logfmt_value(std::string_view value) {
  bool bare = !value.empty();
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c >= 0x7F) {
      bare = false;
      break;
    }
  }
  if (bare) return std::string(value);
  std::string out = "\"";
  append_escaped(out, value);
  out += '"';
  return out;
}

std::string json_string(std::string_view value) {
  std::string out = "\"";
  append_escaped(out, value);
  out += '"';
  return out;
}

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format, bool journald) {
  if (format == LogFormat::text) return std::make_unique<TextFormatter>(journald);
  return std::make_unique<StructuredFormatter>(format, journald);
}

}  // namespace qw::daemon
