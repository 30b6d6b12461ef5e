#include "probes/postgres_health/facts_query.hpp"

#include <fmt/format.h>

#include "config/yaml_reader.hpp"

namespace qw::probes::health {

namespace {

QueriedFacts failed(FactsFailure failure, std::string detail) {
  QueriedFacts out;
  out.failure = failure;
  out.detail = std::move(detail);
  return out;
}

}  // namespace

std::string_view to_string(FactsFailure failure) {
  switch (failure) {
    case FactsFailure::none:
      return "none";
    case FactsFailure::query_timeout:
      return "query_timeout";
    case FactsFailure::permission_denied:
      return "permission_denied";
    case FactsFailure::read_only:
      return "read_only";
    case FactsFailure::query_error:
      return "query_error";
    case FactsFailure::wrong_columns:
      return "wrong_columns";
    case FactsFailure::too_many_rows:
      return "too_many_rows";
    case FactsFailure::other:
      return "other";
  }
  return "other";
}

std::string facts_query_sql(std::string_view query) {
  // The newline ends a trailing `--` comment of the user's query before our parenthesis.
  return fmt::format("SELECT * FROM ({}\n) AS facts_query LIMIT {}", query, kMaxFactRows + 1);
}

QueriedFacts read_fact_rows(std::size_t columns, const std::vector<FactRow>& rows) {
  if (columns != 2)
    return failed(
        FactsFailure::wrong_columns,
        fmt::format("the facts_query returned {} columns; it must return two: name, value",
                    columns));
  if (rows.size() > kMaxFactRows)
    return failed(FactsFailure::too_many_rows,
                  fmt::format("the facts_query returned more than {} rows", kMaxFactRows));
  QueriedFacts out;
  out.ok = true;
  std::map<std::string, std::size_t> seen;  // rows per accepted name
  for (const FactRow& row : rows) {
    if (!row.name || !row.value || !config::detail::is_label_name(*row.name) ||
        row.value->size() > kMaxFactValueBytes) {
      ++out.rejected_rows;
      continue;
    }
    ++seen[*row.name];
    out.facts[*row.name] = *row.value;
  }
  for (const auto& [name, count] : seen) {
    if (count < 2) continue;
    out.facts.erase(name);
    out.rejected_rows += count;
  }
  return out;
}

FactsFailure facts_failure(FailureReason reason, bool sql_error) {
  switch (reason) {
    case FailureReason::query_timeout:  // statement_timeout or lock_timeout
      return FactsFailure::query_timeout;
    case FailureReason::permission_denied:
      return FactsFailure::permission_denied;
    case FailureReason::read_only:  // the query tried to write
      return FactsFailure::read_only;
    case FailureReason::connection_refused:  // 08xxx, 57P01: the server went away under it
      return FactsFailure::other;
    default:
      return sql_error ? FactsFailure::query_error : FactsFailure::other;
  }
}

}  // namespace qw::probes::health
