#pragma once
// How a log line is written: the journald-friendly text (the default), logfmt or JSON for log
// pipelines. One event is one line in every format; the structured ones escape what they carry
// (quotes, backslashes, control characters, bytes that are not UTF-8) so that a database's error
// text cannot break a line or forge a key.
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/formatter.h>

namespace qw::daemon {

enum class LogFormat { text, logfmt, json };

// "text", "logfmt", "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);

// Key/value pairs that the log lines this thread writes while the object lives carry as keys of
// their own: logfmt and json give each its key, text appends them as ` key=value`. Lets a
// pipeline select by alertname or queue without parsing prose. Nest at will (inner pairs follow
// outer ones).
class LogFields {
 public:
  LogFields(std::initializer_list<std::pair<std::string_view, std::string>> fields);
  explicit LogFields(std::vector<std::pair<std::string, std::string>> fields);
  ~LogFields();
  LogFields(const LogFields&) = delete;
  LogFields& operator=(const LogFields&) = delete;

 private:
  std::size_t added_;
};

// The pairs of every LogFields alive on this thread, outermost first.
const std::vector<std::pair<std::string, std::string>>& current_log_fields();

// A logfmt value: bare when it can be, else double-quoted with \" \\ \n \r \t and \u00XX escapes.
std::string logfmt_value(std::string_view value);
// A JSON string literal, quotes included.
std::string json_string(std::string_view value);

// The formatter spdlog uses for FORMAT. `journald`: start each line with its sd-daemon priority
// ("<4>"), which journald strips and records; text then carries no timestamp (journald adds its
// own), the structured formats keep theirs (pipelines read it from the line).
std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format, bool journald);

}  // namespace qw::daemon
