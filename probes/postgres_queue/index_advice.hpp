#pragma once
// The partial indexes of docs/indexes.md, derived from one source's mapping: what preflight
// suggests when a statement would read the job table sequentially. Pure, unit-tested on its text.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace qw::probes::queue {

// Which probe statement an index serves (docs/indexes.md, "Which index serves which statement").
enum class IndexFor {
  ready,     // snapshot ready count and age, discovery
  running,   // snapshot running count, age and stuck jobs, discovery
  finished,  // completions (kept rows): the finished timestamp, completed and failed states
  failed,    // completions: failures stamped in their own column (timestamps.failed)
};

// `CREATE INDEX CONCURRENTLY <table>_qw_<kind>_idx ON schema.table (...) WHERE ...;` for the
// mapping, or empty when the mapping needs no such index (no failed column, deleted mode, ...).
// The predicate repeats the mapping's state values or its `*_when` text, so the planner can
// prove the query implies it.
std::string suggested_index(const config::QueueConfig& q, IndexFor kind);

// The indexes a statement wants, by the statement's name as preflight reports it (snapshot,
// completions, discovery, history); empty for the statements that read no table.
std::vector<std::string> suggested_indexes(const config::QueueConfig& q,
                                           const std::string& statement);

}  // namespace qw::probes::queue
