#pragma once
// The loader's toolkit for walking a YAML tree: every read either yields a checked value or
// records a ConfigError naming the key path and line:column, then carries on, so one run of the
// loader reports every problem in the file. Internal to config/; other code uses loader.hpp.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/bounds.hpp"
#include "config/config.hpp"
#include "config/loader.hpp"

namespace qw::config::detail {

// State shared by every read in one file.
class Context {
 public:
  Context(std::string file, std::string base_dir, EnvLookup lookup)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), env_(lookup) {}

  void error(const std::string& path, SourceMark mark, std::string message);
  std::vector<ConfigError> take_errors();
  std::size_t error_count() const { return errors_.size(); }

  EnvLookup env() const { return env_; }
  // Where relative paths in the file (password_file) are resolved: the file's own directory.
  const std::string& base_dir() const { return base_dir_; }

 private:
  std::string file_;
  std::string base_dir_;
  EnvLookup env_;
  std::vector<ConfigError> errors_;
};

SourceMark mark_of(const YAML::Mark& mark);

// A node together with what is needed to report a problem with it.
struct Value {
  YAML::Node node;
  std::string path;  // "queues[1].state.ready"
  SourceMark mark;   // the value's position; the key's when the value is empty
};

std::string child_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t index);
std::string describe(const YAML::Node& node);  // "a list", "a mapping", ... for messages

// A mapping whose keys are checked against a fixed set on construction: unknown keys (with a
// suggestion) and duplicate keys are reported there, so each decoder only asks for what it knows.
class MapReader {
 public:
  MapReader(Context& ctx, const Value& value, std::span<const std::string_view> allowed_keys);

  bool is_mapping() const { return is_mapping_; }
  const std::string& path() const { return path_; }
  SourceMark mark() const { return mark_; }

  bool has(std::string_view key) const;
  std::optional<Value> get(std::string_view key) const;
  // Like get(), but a missing key is an error reported at this mapping.
  std::optional<Value> require(std::string_view key);

 private:
  struct Entry {
    std::string key;
    Value value;
  };
  Context& ctx_;
  std::string path_;
  SourceMark mark_;
  bool is_mapping_ = false;
  std::vector<Entry> entries_;
};

// Elements of a sequence, each with its indexed path; a non-sequence is reported and yields none.
std::vector<Value> read_sequence(Context& ctx, const Value& value);

// Scalars. Each expands ${VAR} references first, then checks; nullopt means an error was recorded.
std::optional<std::string> read_string(Context& ctx, const Value& value);
std::optional<std::string> read_nonempty_string(Context& ctx, const Value& value);
// A column name: non-empty, no NUL, within PostgreSQL's identifier length. Quoting is the SQL
// builder's job, so any other character is allowed.
std::optional<std::string> read_identifier(Context& ctx, const Value& value);
// A target or queue name: [A-Za-z0-9_.-]+, because it becomes a label value, a log key and part
// of state file names.
std::optional<std::string> read_name(Context& ctx, const Value& value);
// Within the key's bounds (config/bounds.hpp), or an error naming them.
std::optional<Duration> read_duration(Context& ctx, const Value& value,
                                      const DurationBounds& bounds);
std::optional<std::int64_t> read_integer(Context& ctx, const Value& value,
                                         const IntegerBounds& bounds);
std::optional<std::vector<std::string>> read_string_list(Context& ctx, const Value& value);
std::optional<bool> read_bool(Context& ctx, const Value& value);

// A Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*.
bool is_label_name(std::string_view s);
// A mapping of label: value (a null node is an empty one). Names in `reserved` are refused, with
// `why_reserved` as the reason: they are set by queuewatch and a user value would hide them.
void read_label_map(Context& ctx, const Value& value, std::span<const std::string_view> reserved,
                    std::string_view why_reserved, std::map<std::string, std::string>& out);

// One of a fixed set of words; an unknown one lists the allowed words and suggests the closest.
template <typename T>
struct EnumWord {
  std::string_view word;
  T value;
};

std::optional<std::size_t> read_enum_index(Context& ctx, const Value& value,
                                           std::span<const std::string_view> words);

template <typename T, std::size_t N>
std::optional<T> read_enum(Context& ctx, const Value& value, const EnumWord<T> (&table)[N]) {
  std::string_view words[N];
  for (std::size_t i = 0; i < N; ++i) words[i] = table[i].word;
  const std::optional<std::size_t> index = read_enum_index(ctx, value, words);
  if (!index) return std::nullopt;
  return table[*index].value;
}

// Stores a successfully read value; leaves the default in place otherwise.
template <typename T, typename U>
void assign(std::optional<T>&& read, U& out) {
  if (read) out = std::move(*read);
}

}  // namespace qw::config::detail
