#include "config/env_expand.hpp"

namespace qw::config {
namespace {

bool valid_var_name(std::string_view name) {
  if (name.empty()) return false;
  if (name.front() >= '0' && name.front() <= '9') return false;
  for (char c : name) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

EnvExpansion expand_env(std::string_view text, EnvLookup env) {
  EnvExpansion out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i).starts_with("$${")) {
      out.value += "${";
      i += 3;
      continue;
    }
    if (!text.substr(i).starts_with("${")) {
      out.value += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      out.syntax_error = "unterminated \"${\" (write \"$${\" for a literal \"${\")";
      return out;
    }
    const std::string_view body = text.substr(i + 2, close - i - 2);
    const std::size_t sep = body.find(":-");
    const std::string_view name = body.substr(0, sep);
    if (!valid_var_name(name)) {
      out.syntax_error = "\"${" + std::string(body) +
                         "}\" is not a valid variable reference (expected ${NAME} or "
                         "${NAME:-default})";
      return out;
    }
    const std::optional<std::string> found = env(std::string(name));
    if (found) {
      out.value += *found;
    } else if (sep != std::string_view::npos) {
      out.value += body.substr(sep + 2);
    } else {
      out.unset.emplace_back(name);
    }
    i = close + 1;
  }
  return out;
}

}  // namespace qw::config
