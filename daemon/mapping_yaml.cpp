#include "daemon/mapping_yaml.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cctype>

#include "config/duration.hpp"
#include "config/presets.hpp"

namespace qw::daemon {

namespace {

// One scalar as yaml-cpp would write it (quoted only when it must be).
std::string scalar(const std::string& value, bool force_quotes = false) {
  YAML::Emitter e;
  if (force_quotes) e << YAML::DoubleQuoted;
  e << value;
  return e.c_str();
}

// A list item plain when it cannot be misread (in a flow list a comma would split it, and
// `yes` or `null` read as other types elsewhere), double-quoted otherwise.
std::string item(const std::string& value) {
  bool plain =
      !value.empty() && (std::isalpha(static_cast<unsigned char>(value[0])) || value[0] == '_');
  for (char c : value)
    plain =
        plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  std::string lower;
  for (char c : value) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "null", "y", "n"})
    plain = plain && lower != word;
  return plain ? value : scalar(value, true);
}

std::string list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + item(values[i]);
  return out + "]";
}

// A name in `table:` as PostgreSQL would read it back (config/table_name.hpp): bare when it is
// lower case letters, digits and underscores, double-quoted otherwise.
std::string sql_name(const std::string& name) {
  bool bare = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name)
    bare = bare && (std::islower(static_cast<unsigned char>(c)) ||
                    std::isdigit(static_cast<unsigned char>(c)) || c == '_');
  if (bare) return name;
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string mapping_yaml(const config::QueueConfig& q, const std::optional<std::string>& preset) {
  std::string out;
  auto line = [&](int indent, const std::string& text) {
    out += std::string(static_cast<std::size_t>(indent), ' ') + text + "\n";
  };
  if (preset) {
    const config::Preset* p = config::find_preset(*preset);
    line(2, fmt::format("# preset: {}, checked against {}", *preset,
                        p ? std::string(p->checked_against) : std::string("?")));
  }
  line(2, "- name: " + scalar(q.name));
  line(4, "target: " + scalar(q.target));
  line(4, "table: " + scalar(sql_name(q.schema) + "." + sql_name(q.table)));
  line(4, "id_column: " + scalar(q.id_column));
  if (q.queue_column) line(4, "queue_column: " + scalar(*q.queue_column));
  if (!q.queue_names.empty()) line(4, "queue_names: " + list(q.queue_names));
  line(4, "state:");
  const auto& s = q.state;
  if (s.column) {
    line(6, "column: " + scalar(*s.column));
    // An empty list is written by leaving the key out (an explicit [] is refused).
    const std::pair<const char*, const std::vector<std::string>*> lists[] = {
        {"ready", &s.ready},
        {"running", &s.running},
        {"completed", &s.completed},
        {"failed", &s.failed},
    };
    for (const auto& [key, values] : lists)
      if (!values->empty()) line(6, fmt::format("{}: {}", key, list(*values)));
  } else {
    line(6, "ready_when: " + scalar(s.ready_when, true));
    line(6, "running_when: " + scalar(s.running_when, true));
    line(6, "completed_when: " + scalar(s.completed_when, true));
    line(6, "failed_when: " + scalar(s.failed_when, true));
  }
  const auto& ts = q.timestamps;
  line(4, "timestamps:");
  line(6, std::string("type: ") +
              (ts.kind == config::TimestampKind::timestamptz ? "timestamptz" : "timestamp_utc"));
  const std::pair<const char*, const std::optional<std::string>*> stamps[] = {
      {"enqueued", &ts.enqueued}, {"run_at", &ts.run_at}, {"started", &ts.started},
      {"finished", &ts.finished}, {"failed", &ts.failed}, {"heartbeat", &ts.heartbeat},
  };
  for (const auto& [key, column] : stamps)
    if (*column) line(6, fmt::format("{}: {}", key, scalar(**column)));
  line(4, std::string("completed_rows: ") +
              (q.completed_rows == config::CompletedRows::kept ? "kept" : "deleted"));
  line(4, "settle_delay: " + config::format_duration(q.settle_delay));
  line(4, fmt::format("count_cap: {}", q.count_cap));
  if (q.interval) line(4, "interval: " + config::format_duration(*q.interval));
  if (q.query_timeout) line(4, "query_timeout: " + config::format_duration(*q.query_timeout));
  line(4, fmt::format("warm_start: {{enabled: {}, lookback: {}, timeout: {}}}",
                      q.warm_start.enabled ? "true" : "false",
                      config::format_duration(q.warm_start.lookback),
                      config::format_duration(q.warm_start.timeout)));
  return out;
}

}  // namespace qw::daemon
