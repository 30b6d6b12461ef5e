#include "probes/postgres_queue/index_advice.hpp"

#include <fmt/format.h>

#include <cctype>

namespace qw::probes::queue {

namespace {

// An identifier as a person would write it: bare when PostgreSQL reads it back unchanged,
// quoted otherwise.
std::string ident(const std::string& name) {
  bool bare =
      !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name)
    bare = bare && (std::islower(static_cast<unsigned char>(c)) ||
                    std::isdigit(static_cast<unsigned char>(c)) || c == '_');
  if (bare) return name;
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string literal(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// `state = 'a'` or `state IN ('a', 'b')`; empty when no value is mapped.
std::string values_predicate(const std::string& column, const std::vector<std::string>& values) {
  if (values.empty()) return "";
  if (values.size() == 1) return fmt::format("{} = {}", ident(column), literal(values[0]));
  std::vector<std::string> quoted;
  for (const auto& v : values) quoted.push_back(literal(v));
  return fmt::format("{} IN ({})", ident(column), fmt::join(quoted, ", "));
}

std::string state_predicate(const config::QueueConfig& q, IndexFor kind) {
  const auto& s = q.state;
  if (s.column) {
    switch (kind) {
      case IndexFor::ready:
        return values_predicate(*s.column, s.ready);
      case IndexFor::running:
        return values_predicate(*s.column, s.running);
      case IndexFor::finished: {
        // With failures stamped elsewhere, the finished column holds completions only.
        std::vector<std::string> values = s.completed;
        if (!q.timestamps.failed || q.timestamps.failed == q.timestamps.finished)
          values.insert(values.end(), s.failed.begin(), s.failed.end());
        return values_predicate(*s.column, values);
      }
      case IndexFor::failed:
        return values_predicate(*s.column, s.failed);
    }
    return "";
  }
  auto usable = [](const std::string& e) { return !e.empty() && e != "false"; };
  switch (kind) {
    case IndexFor::ready:
      return usable(s.ready_when) ? s.ready_when : "";
    case IndexFor::running:
      return usable(s.running_when) ? s.running_when : "";
    case IndexFor::finished: {
      const bool own_failed = q.timestamps.failed && q.timestamps.failed != q.timestamps.finished;
      std::vector<std::string> parts;
      if (usable(s.completed_when)) parts.push_back(s.completed_when);
      if (!own_failed && usable(s.failed_when)) parts.push_back(s.failed_when);
      if (parts.size() == 1) return parts[0];
      if (parts.size() == 2) return fmt::format("({}) OR ({})", parts[0], parts[1]);
      return "";
    }
    case IndexFor::failed:
      return usable(s.failed_when) ? s.failed_when : "";
  }
  return "";
}

}  // namespace

std::string suggested_index(const config::QueueConfig& q, IndexFor kind) {
  const auto& ts = q.timestamps;
  std::vector<std::string> columns;
  const char* suffix = "";
  switch (kind) {
    case IndexFor::ready:
      suffix = "ready";
      if (q.queue_column) columns.push_back(*q.queue_column);
      if (const auto& since = ts.run_at ? ts.run_at : ts.enqueued) columns.push_back(*since);
      break;
    case IndexFor::running:
      suffix = "running";
      if (q.queue_column) columns.push_back(*q.queue_column);
      if (const auto& since = ts.started ? ts.started : ts.heartbeat) columns.push_back(*since);
      break;
    case IndexFor::finished:
      suffix = "finished";
      if (q.completed_rows != config::CompletedRows::kept || !ts.finished) return "";
      columns.push_back(*ts.finished);
      break;
    case IndexFor::failed:
      suffix = "failed";
      // Kept rows count failures with completions by `finished`, unless stamped elsewhere;
      // deleted rows leave only the failures, by whichever column stamps them.
      if (ts.failed && ts.failed != ts.finished)
        columns.push_back(*ts.failed);
      else if (q.completed_rows == config::CompletedRows::deleted && ts.finished)
        columns.push_back(*ts.finished);
      else
        return "";
      break;
  }
  if (columns.empty()) columns.push_back(q.id_column);
  const std::string predicate = state_predicate(q, kind);
  if (predicate.empty()) return "";  // nothing selects these rows: no partial index serves them
  std::vector<std::string> shown;
  for (const auto& c : columns) shown.push_back(ident(c));
  const std::string table =
      q.schema == "public" ? ident(q.table) : ident(q.schema) + "." + ident(q.table);
  // The index name is unquoted text built from the table's: keep it a plain identifier.
  std::string base;
  for (char c : q.table)
    base += std::isalnum(static_cast<unsigned char>(c))
                ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                : '_';
  return fmt::format("CREATE INDEX CONCURRENTLY {}_qw_{}_idx ON {} ({}) WHERE {};",
                     base.substr(0, 40), suffix, table, fmt::join(shown, ", "), predicate);
}

std::vector<std::string> suggested_indexes(const config::QueueConfig& q,
                                           const std::string& statement) {
  std::vector<IndexFor> kinds;
  if (statement == "snapshot" || statement == "discovery")
    kinds = {IndexFor::ready, IndexFor::running};
  else if (statement == "completions" || statement == "history")
    kinds = {IndexFor::finished, IndexFor::failed};
  std::vector<std::string> out;
  for (const auto kind : kinds)
    if (auto text = suggested_index(q, kind); !text.empty()) out.push_back(std::move(text));
  return out;
}

}  // namespace qw::probes::queue
