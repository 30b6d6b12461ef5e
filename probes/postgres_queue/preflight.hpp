#pragma once
// Preflight: proves one queue source's mapping against the live database before its numbers are
// trusted. `queuewatch check-config --connect` prints the findings; the queue probe runs the same
// checks before its first round (and after a schema-shaped failure) and reports the first error
// as its failure reason, so a wrong mapping is `cannot_measure` with a message naming what is
// wrong, never a query error every round. One implementation for both; see docs/preflight.md.
//
// Checked, in order: the relation exists, is a table or a view, and the role may SELECT it;
// every mapped column exists with a usable type (timestamps of the configured kind); every state
// value is a label of the column's enum or a value its type can hold; every `*_when` expression
// compiles; completions can be measured in the configured mode; and every statement the probe
// runs is prepared and EXPLAINed once (no ANALYZE: nothing runs), a sequential scan of a large
// table being a warning that carries the CREATE INDEX that serves the statement.
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "probes/failure_reason.hpp"
#include "probes/postgres_queue/queue_sql.hpp"

#include <pqxx/connection>

namespace qw::probes::queue {

enum class Severity { warning, error };

struct Finding {
  Severity severity = Severity::error;
  FailureReason reason = FailureReason::none;  // errors: what the probe reports as its failure
  // The mapping key at fault, as written in the source ("state.failed", "timestamps.finished",
  // "table"); empty when the finding is about the source as a whole.
  std::string key;
  std::string value;  // the offending item when `key` is a list ("expired")
  std::string message;
  std::vector<std::string> fixes;  // e.g. CREATE INDEX statements
};

struct PreflightResult {
  std::string relation;  // schema.table as configured
  std::string relkind;   // "table", "partitioned table", "view", ...; empty when not found
  std::vector<Finding> findings;
  std::optional<QueueSql> sql;  // the probe's statements; set when no error was found
  // Deleted mode reads the relation's own delete counter; views and partitioned parents have
  // none (PostgreSQL counts deletes per leaf table), so completions are not known there.
  bool counts_deletes = true;
  std::vector<std::string> explained;  // the statements prepared and EXPLAINed

  const Finding* first_error() const;
  bool has_warnings() const;
};

struct PreflightOptions {
  bool explain = true;
  // A sequential scan of a relation the planner thinks holds more rows than this is a warning:
  // below it a scan costs about what an index probe does.
  double seq_scan_rows = 10000;
};

// Runs on `conn` in read-only transactions: catalog reads, casts of the configured values, and
// EXPLAIN. The caller bounds it (statement_timeout, a client-side deadline). Problems with the
// mapping come back as findings; a failing connection or deadline throws (pg::PgError or what
// libpqxx throws), like any probe query.
PreflightResult run_preflight(pqxx::connection& conn, const config::QueueConfig& q,
                              const PreflightOptions& options = {});

std::string_view to_string(Severity severity);

}  // namespace qw::probes::queue
