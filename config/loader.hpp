#pragma once
// Loads a YAML file into Config and validates it. Every problem is collected, not just the first,
// and each names the key path and line:column so the operator can fix the file in one pass.
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace qw::config {

struct ConfigError {
  std::string file;
  std::string path;  // e.g. "queues[2].state.ready"
  int line = 0;      // 1-based, 0 when unknown
  int column = 0;
  std::string message;

  // "file:line:column: path: message" — the form editors and CI annotate.
  std::string to_string() const;
};

struct LoadResult {
  Config config;
  std::vector<ConfigError> errors;  // empty => config is valid and complete
  bool ok() const { return errors.empty(); }
};

// Environment lookup is injected so tests need not touch the real environment.
using EnvLookup = std::optional<std::string> (*)(const std::string& name);
std::optional<std::string> real_env(const std::string& name);

// What the file is loaded for. The daemon's commands (run, check-config, once) need databases to
// watch: `targets` is required. `backtest` replays a CSV through the rules and reads `rules`
// alone: the other sections are not read (a copy of the production file works on a laptop
// without its password files or environment), but the top-level keys are still checked.
enum class Sections { all, rules_only };

LoadResult load_file(const std::string& path, EnvLookup env = &real_env,
                     Sections sections = Sections::all);
LoadResult load_string(const std::string& yaml, const std::string& file_name = "<string>",
                       EnvLookup env = &real_env, Sections sections = Sections::all);

}  // namespace qw::config
