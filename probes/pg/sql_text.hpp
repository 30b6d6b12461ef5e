#pragma once
// Building SQL text from configuration safely. Identifiers (tables, columns) are always quoted;
// values are never spliced into SQL: they travel as bound parameters, and value lists are bound
// as one array parameter built by array_literal().
#include <string>
#include <string_view>
#include <vector>

namespace qw::probes::pg {

// "my""table" — doubles embedded quotes; rejects NUL (PostgreSQL identifiers cannot hold it).
std::string quote_ident(std::string_view name);

// "schema"."table"
std::string quote_qualified(std::string_view schema, std::string_view table);

// A PostgreSQL array literal, {"a","b\"c"}, for binding a list of values as one parameter.
std::string array_literal(const std::vector<std::string>& values);

}  // namespace qw::probes::pg
