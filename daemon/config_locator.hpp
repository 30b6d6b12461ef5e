#pragma once
// Where in the config file a queue source's key was written, for findings made after loading
// (preflight): "state.failed" with value "expired" -> the line:column of `expired` in that
// source's list. A key the source does not write itself came from its preset: it is located at
// the source's `preset:` value, and said so. Reads the file again with yaml-cpp; the config
// structs keep only each source's own position.
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"

namespace qw::daemon {

struct Location {
  config::SourceMark mark;            // line 0 when unknown
  std::optional<std::string> preset;  // set when the key came from this preset
};

class ConfigLocator {
 public:
  explicit ConfigLocator(const std::string& path);  // an unreadable file locates nothing

  // `key` is dotted ("timestamps.finished"); `value` picks one item of a list, when set.
  // `fallback` is used when nothing better is known (the source's own mark).
  Location find(std::size_t source, const std::string& key, const std::string& value,
                config::SourceMark fallback) const;
  // The `preset:` a source names, if any.
  std::optional<std::string> preset(std::size_t source) const;

 private:
  YAML::Node source_node(std::size_t source) const;
  YAML::Node root_;
};

}  // namespace qw::daemon
