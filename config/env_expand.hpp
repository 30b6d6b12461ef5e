#pragma once
// ${VAR} and ${VAR:-default} expansion for config values, so secrets and per-host ports stay out
// of the file. Only the braced form expands: a bare "$" is common in passwords and SQL and is
// kept as is. "$${" writes a literal "${".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qw::config {

using EnvLookup = std::optional<std::string> (*)(const std::string& name);

struct EnvExpansion {
  std::string value;
  std::vector<std::string> unset;  // variables referenced without a default and not set
  std::string syntax_error;        // non-empty when a "${" is malformed
  bool ok() const { return unset.empty() && syntax_error.empty(); }
};

EnvExpansion expand_env(std::string_view text, EnvLookup env);

}  // namespace qw::config
