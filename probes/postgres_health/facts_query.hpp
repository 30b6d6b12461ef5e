#pragma once
// targets[].facts_query: what the server (or a provider's view) says about itself, as rows of
// (name, value), read in the health round and compared by replica_parity with the primary's
// (docs/clusters.md#parity). The query is the user's SQL: it runs read-only, under the health
// round's deadline, and whatever goes wrong with it is reported, never a failed health round.
#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/failure_reason.hpp"

namespace qw::probes::health {

// Why a facts_query gave no facts: a fixed set, the `reason` label of
// queuewatch_target_facts_query_failure.
enum class FactsFailure {
  none,
  query_timeout,      // statement_timeout (what was left of query_timeout) cancelled it
  permission_denied,  // the monitoring role may not read what it reads
  read_only,          // it tried to write (nextval, an INSERT in a function): refused
  query_error,        // any other SQL error: syntax, an undefined object, a division by zero
  wrong_columns,      // not two columns (name, value)
  too_many_rows,      // more than kMaxFactRows rows
  other,              // not an SQL error (the connection broke): the detail says what
};

inline constexpr std::array kAllFactsFailures = {
    FactsFailure::query_timeout, FactsFailure::permission_denied, FactsFailure::read_only,
    FactsFailure::query_error,   FactsFailure::wrong_columns,     FactsFailure::too_many_rows,
    FactsFailure::other,
};

std::string_view to_string(FactsFailure failure);  // "query_timeout", ...

// A facts_query returns a handful of facts; more is a query that reads the wrong thing, and a
// cap keeps what it can cost bounded (the query is wrapped in a LIMIT one above the cap, so a
// too-long result is seen without being read whole).
inline constexpr std::size_t kMaxFactRows = 32;
// A value is compared and quoted in an alert's annotation: longer ones are left out (cut, two
// different values could read the same).
inline constexpr std::size_t kMaxFactValueBytes = 200;

// One round's outcome. Facts are known only when ok.
struct QueriedFacts {
  bool ok = false;
  FactsFailure failure = FactsFailure::none;  // set whenever !ok
  std::string detail;                         // the server's words, or ours
  std::map<std::string, std::string> facts;   // name -> value, when ok
  // Rows left out of an ok result: a NULL, a name that is not a label name
  // ([a-zA-Z_][a-zA-Z0-9_]*), a value over kMaxFactValueBytes, a name given twice (every row of
  // it: which one is meant cannot be told). Their facts are not measured, never "differs".
  std::size_t rejected_rows = 0;
};

// The statement the probe runs: the user's query as a subquery, so that it must be one SELECT
// (or VALUES) whose row count the server caps.
std::string facts_query_sql(std::string_view query);

// One row as the server gave it: none for NULL.
struct FactRow {
  std::optional<std::string> name, value;
};

// The result's shape and rows, checked and capped as described above.
QueriedFacts read_fact_rows(std::size_t columns, const std::vector<FactRow>& rows);

// The facts' failure for what pg::classify made of the error the query threw (`sql_error`: the
// server answered with an error, rather than the connection breaking under it). The SQLSTATEs
// and libpqxx's quirks are pg::classify's; this only says which of them the facts name.
FactsFailure facts_failure(FailureReason reason, bool sql_error);

}  // namespace qw::probes::health
