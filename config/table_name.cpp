#include "config/table_name.hpp"

#include <vector>

namespace qw::config {
namespace {

// Reads one identifier from the front of `rest`: quoted or unquoted, up to an unquoted dot.
bool take_identifier(std::string_view& rest, std::string& out, std::string& error) {
  if (rest.starts_with('"')) {
    rest.remove_prefix(1);
    while (true) {
      const std::size_t quote = rest.find('"');
      if (quote == std::string_view::npos) {
        error = "unterminated quoted identifier";
        return false;
      }
      out += rest.substr(0, quote);
      rest.remove_prefix(quote + 1);
      if (!rest.starts_with('"')) break;
      out += '"';  // "" inside quotes is one literal quote
      rest.remove_prefix(1);
    }
    if (out.empty()) {
      error = "empty quoted identifier";
      return false;
    }
    return true;
  }
  const std::size_t end = rest.find_first_of(".\"");
  const std::string_view word = rest.substr(0, end);
  if (end != std::string_view::npos && rest[end] == '"') {
    error = "a quote may only start an identifier (quote the whole name: \"My Table\")";
    return false;
  }
  for (char c : word) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  rest.remove_prefix(word.size());
  if (out.empty()) {
    error = "empty identifier";
    return false;
  }
  return true;
}

}  // namespace

TableNameResult split_table_name(std::string_view text) {
  TableNameResult result;
  std::vector<std::string> parts;
  std::string_view rest = text;
  while (true) {
    std::string part;
    if (!take_identifier(rest, part, result.error)) return result;
    if (part.size() > kMaxIdentifierBytes) {
      result.error = "identifier \"" + part + "\" is longer than PostgreSQL's 63-byte limit";
      return result;
    }
    parts.push_back(std::move(part));
    if (rest.empty()) break;
    if (!rest.starts_with('.')) {
      result.error = "unexpected text after a quoted identifier";
      return result;
    }
    rest.remove_prefix(1);
  }
  if (parts.size() > 2) {
    result.error = "expected \"table\" or \"schema.table\", got " + std::to_string(parts.size()) +
                   " dot-separated parts (quote names that contain dots)";
    return result;
  }
  if (parts.size() == 1) {
    result.name = QualifiedName{"public", std::move(parts[0])};
  } else {
    result.name = QualifiedName{std::move(parts[0]), std::move(parts[1])};
  }
  return result;
}

}  // namespace qw::config
