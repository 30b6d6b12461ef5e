#pragma once
// Splits a queue's `table` value the way PostgreSQL reads a qualified name, so what the operator
// would type in psql means the same here: "jobs", "app.jobs", "\"My Schema\".\"Jobs\"".
// Unquoted parts fold to lower case (Jobs is jobs to PostgreSQL); quoted parts are kept exactly,
// with "" standing for one quote. The SQL builder quotes the results, so they are plain names.
#include <optional>
#include <string>
#include <string_view>

namespace qw::config {

struct QualifiedName {
  std::string schema;  // "public" when the text names only a table
  std::string table;
};

struct TableNameResult {
  std::optional<QualifiedName> name;
  std::string error;  // set when name is not
};

TableNameResult split_table_name(std::string_view text);

// PostgreSQL truncates longer identifiers (NAMEDATALEN - 1), so a longer name never matches.
inline constexpr std::size_t kMaxIdentifierBytes = 63;

}  // namespace qw::config
