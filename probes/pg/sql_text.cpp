#include "probes/pg/sql_text.hpp"

#include <stdexcept>

namespace qw::probes::pg {

std::string quote_ident(std::string_view name) {
  if (name.empty()) throw std::invalid_argument("empty SQL identifier");
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char c : name) {
    if (c == '\0') throw std::invalid_argument("SQL identifier contains a NUL byte");
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string quote_qualified(std::string_view schema, std::string_view table) {
  return quote_ident(schema) + "." + quote_ident(table);
}

std::string array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '\0') throw std::invalid_argument("value contains a NUL byte");
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

}  // namespace qw::probes::pg
