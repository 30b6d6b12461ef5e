#include "config/yaml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "config/duration.hpp"
#include "config/env_expand.hpp"
#include "config/suggest.hpp"
#include "config/table_name.hpp"

namespace qw::config::detail {
namespace {

std::string join(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

}  // namespace

void Context::error(const std::string& path, SourceMark mark, std::string message) {
  errors_.push_back(ConfigError{file_, path, mark.line, mark.column, std::move(message)});
}

std::vector<ConfigError> Context::take_errors() {
  return std::exchange(errors_, {});
}

SourceMark mark_of(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return SourceMark{mark.line + 1, mark.column + 1};
}

std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string index_path(const std::string& parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return fmt::format("\"{}\"", node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing (an empty value)";
}

MapReader::MapReader(Context& ctx, const Value& value,
                     std::span<const std::string_view> allowed_keys)
    : ctx_(ctx), path_(value.path), mark_(value.mark) {
  // An empty document or a key with no value reads as an empty mapping: required keys inside it
  // are then reported one by one, which says more than "expected a mapping".
  if (value.node.IsNull()) {
    is_mapping_ = true;
    return;
  }
  if (!value.node.IsMap()) {
    ctx.error(path_, mark_, fmt::format("expected a mapping, got {}", describe(value.node)));
    return;
  }
  is_mapping_ = true;
  for (auto it = value.node.begin(); it != value.node.end(); ++it) {
    // Copies: the iterator hands out a temporary pair, so references into it would dangle.
    const YAML::Node key = it->first;
    const YAML::Node node = it->second;
    const SourceMark key_mark = mark_of(key.Mark());
    if (!key.IsScalar()) {
      ctx.error(path_, key_mark, fmt::format("keys must be plain words, got {}", describe(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string path = child_path(path_, name);
    bool known = false;
    for (std::string_view allowed : allowed_keys) known = known || allowed == name;
    if (!known) {
      std::string message = fmt::format("unknown key \"{}\"", name);
      if (auto guess = closest_match(name, allowed_keys)) {
        message += fmt::format("; did you mean \"{}\"?", *guess);
      } else {
        message += fmt::format(" (known keys: {})", join(allowed_keys));
      }
      ctx.error(path, key_mark, std::move(message));
      continue;
    }
    // YAML leaves duplicate keys to the application; silently taking one would hide an edit.
    bool duplicate = false;
    for (const Entry& e : entries_) {
      if (e.key == name) {
        ctx.error(
            path, key_mark,
            fmt::format("duplicate key \"{}\" (first given at line {})", name, e.value.mark.line));
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    // An empty value's own mark points past the line; the key's position is where to look.
    const SourceMark value_mark = node.IsNull() ? key_mark : mark_of(node.Mark());
    entries_.push_back(Entry{name, Value{node, path, value_mark}});
  }
}

bool MapReader::has(std::string_view key) const {
  return get(key).has_value();
}

std::optional<Value> MapReader::get(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return e.value;
  }
  return std::nullopt;
}

std::optional<Value> MapReader::require(std::string_view key) {
  std::optional<Value> found = get(key);
  if (!found && is_mapping_) {
    ctx_.error(child_path(path_, key), mark_, fmt::format("missing required key \"{}\"", key));
  }
  return found;
}

std::vector<Value> read_sequence(Context& ctx, const Value& value) {
  std::vector<Value> items;
  if (value.node.IsNull()) return items;  // "queues:" with nothing under it: an empty list
  if (!value.node.IsSequence()) {
    ctx.error(value.path, value.mark, fmt::format("expected a list, got {}", describe(value.node)));
    return items;
  }
  for (std::size_t i = 0; i < value.node.size(); ++i) {
    const YAML::Node item = value.node[i];
    const SourceMark mark = item.IsNull() ? value.mark : mark_of(item.Mark());
    items.push_back(Value{item, index_path(value.path, i), mark});
  }
  return items;
}

std::optional<std::string> read_string(Context& ctx, const Value& value) {
  if (!value.node.IsScalar()) {
    ctx.error(value.path, value.mark,
              fmt::format("expected a string, got {}", describe(value.node)));
    return std::nullopt;
  }
  EnvExpansion expanded = expand_env(value.node.Scalar(), ctx.env());
  if (!expanded.syntax_error.empty()) {
    ctx.error(value.path, value.mark, expanded.syntax_error);
    return std::nullopt;
  }
  for (const std::string& name : expanded.unset) {
    ctx.error(value.path, value.mark,
              fmt::format("environment variable {0} is not set (set it, or write ${{{0}:-default}} "
                          "to give a default)",
                          name));
  }
  if (!expanded.unset.empty()) return std::nullopt;
  // Values end up in C strings (libpq, file paths): a NUL would silently cut them short.
  if (expanded.value.find('\0') != std::string::npos) {
    ctx.error(value.path, value.mark, "must not contain a NUL byte");
    return std::nullopt;
  }
  return std::move(expanded.value);
}

std::optional<std::string> read_nonempty_string(Context& ctx, const Value& value) {
  std::optional<std::string> s = read_string(ctx, value);
  if (s && s->empty()) {
    ctx.error(value.path, value.mark, "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> read_identifier(Context& ctx, const Value& value) {
  std::optional<std::string> s = read_nonempty_string(ctx, value);
  if (s && s->size() > kMaxIdentifierBytes) {
    ctx.error(value.path, value.mark,
              fmt::format("\"{}\" is longer than PostgreSQL's {}-byte identifier limit", *s,
                          kMaxIdentifierBytes));
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> read_name(Context& ctx, const Value& value) {
  std::optional<std::string> s = read_nonempty_string(ctx, value);
  if (!s) return s;
  for (char c : *s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) {
      ctx.error(value.path, value.mark,
                fmt::format("\"{}\" is not a valid name (use letters, digits, '_', '.', '-')", *s));
      return std::nullopt;
    }
  }
  return s;
}

std::optional<Duration> read_duration(Context& ctx, const Value& value,
                                      const DurationBounds& bounds) {
  std::optional<std::string> s = read_string(ctx, value);
  if (!s) return std::nullopt;
  const DurationParse d = parse_duration_checked(*s);
  if (d.too_large || (d.value && *d.value > bounds.max)) {
    ctx.error(value.path, value.mark,
              fmt::format("must be at most {}, got {}", format_duration(bounds.max), *s));
    return std::nullopt;
  }
  if (!d.value && s->starts_with('-')) {
    ctx.error(value.path, value.mark, fmt::format("\"{}\": durations cannot be negative", *s));
    return std::nullopt;
  }
  if (!d.value) {
    ctx.error(value.path, value.mark,
              fmt::format("\"{}\" is not a duration (write a number with a unit: ms, s, m, h, d; "
                          "e.g. 500ms, 15s, 1m30s)",
                          *s));
    return std::nullopt;
  }
  if (*d.value < bounds.min) {
    ctx.error(value.path, value.mark,
              fmt::format("must be at least {}, got {}", format_duration(bounds.min), *s));
    return std::nullopt;
  }
  return d.value;
}

std::optional<std::int64_t> read_integer(Context& ctx, const Value& value,
                                         const IntegerBounds& bounds) {
  std::optional<std::string> s = read_string(ctx, value);
  if (!s) return std::nullopt;
  std::int64_t n = 0;
  const char* end = s->data() + s->size();
  const auto [ptr, ec] = std::from_chars(s->data(), end, n);
  if (s->empty() || ptr != end || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
    ctx.error(value.path, value.mark, fmt::format("\"{}\" is not an integer", *s));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || n < bounds.min || n > bounds.max) {
    ctx.error(value.path, value.mark,
              fmt::format("must be between {} and {}, got {}", bounds.min, bounds.max, *s));
    return std::nullopt;
  }
  return n;
}

std::optional<std::vector<std::string>> read_string_list(Context& ctx, const Value& value) {
  if (!value.node.IsSequence()) {
    ctx.error(value.path, value.mark,
              fmt::format("expected a list (e.g. [a, b]), got {}", describe(value.node)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool all_ok = true;
  for (const Value& item : read_sequence(ctx, value)) {
    std::optional<std::string> s = read_nonempty_string(ctx, item);
    if (s) {
      out.push_back(std::move(*s));
    } else {
      all_ok = false;
    }
  }
  if (!all_ok) return std::nullopt;
  return out;
}

std::optional<std::size_t> read_enum_index(Context& ctx, const Value& value,
                                           std::span<const std::string_view> words) {
  std::optional<std::string> s = read_string(ctx, value);
  if (!s) return std::nullopt;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == *s) return i;
  }
  std::string message = fmt::format("unknown value \"{}\" (allowed: {})", *s, join(words));
  if (auto guess = closest_match(*s, words))
    message += fmt::format("; did you mean \"{}\"?", *guess);
  ctx.error(value.path, value.mark, std::move(message));
  return std::nullopt;
}

std::optional<bool> read_bool(Context& ctx, const Value& value) {
  std::optional<std::string> s = read_string(ctx, value);
  if (!s) return std::nullopt;
  if (*s == "true") return true;
  if (*s == "false") return false;
  ctx.error(value.path, value.mark, fmt::format("expected true or false, got \"{}\"", *s));
  return std::nullopt;
}

bool is_label_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void read_label_map(Context& ctx, const Value& value, std::span<const std::string_view> reserved,
                    std::string_view why_reserved, std::map<std::string, std::string>& out) {
  if (value.node.IsNull()) return;
  if (!value.node.IsMap()) {
    ctx.error(value.path, value.mark,
              fmt::format("expected a mapping of label: value, got {}", describe(value.node)));
    return;
  }
  for (auto it = value.node.begin(); it != value.node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node node = it->second;
    const std::string name = key.IsScalar() ? key.Scalar() : std::string();
    const Value item{node, child_path(value.path, name),
                     node.IsNull() ? mark_of(key.Mark()) : mark_of(node.Mark())};
    if (!is_label_name(name)) {
      ctx.error(item.path, mark_of(key.Mark()),
                fmt::format("\"{}\" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)", name));
      continue;
    }
    if (std::find(reserved.begin(), reserved.end(), name) != reserved.end()) {
      ctx.error(item.path, mark_of(key.Mark()), fmt::format("\"{}\" {}", name, why_reserved));
      continue;
    }
    if (std::optional<std::string> s = read_string(ctx, item)) out[name] = std::move(*s);
  }
}

}  // namespace qw::config::detail
