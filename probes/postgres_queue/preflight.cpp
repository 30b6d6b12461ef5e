#include "probes/postgres_queue/preflight.hpp"

#include "probes/postgres_queue/progress_tracker.hpp"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "config/suggest.hpp"
#include "probes/pg/pg_error.hpp"
#include "probes/pg/sql_text.hpp"
#include "probes/postgres_queue/index_advice.hpp"

namespace qw::probes::queue {

namespace {

using ReadOnlyTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

struct Column {
  std::string type;       // format_type with modifiers: what the SQL casts bound values to
  std::string base_type;  // format_type of the base type (a domain's underlying type)
  char base_kind = 'b';   // pg_type.typtype of the base type: 'e' for an enum
  std::string base_oid;
  std::string enum_name;  // schema.name, for enums
  bool readable = true;   // SELECT privilege on this column
};

constexpr const char* kTimestamptz = "timestamp with time zone";
constexpr const char* kTimestamp = "timestamp without time zone";

std::string relkind_words(const std::string& kind) {
  if (kind == "r") return "table";
  if (kind == "p") return "partitioned table";
  if (kind == "v") return "view";
  if (kind == "m") return "materialized view";
  if (kind == "f") return "foreign table";
  if (kind == "S") return "sequence";
  if (kind == "i" || kind == "I") return "index";
  if (kind == "c") return "composite type";
  return "relation of kind " + kind;
}

// A SQL error that says something about the mapping (as opposed to the connection, a deadline,
// or the server going away, which end preflight like they end a probe round).
bool is_mapping_error(const pqxx::sql_error& e) {
  const std::string& s = e.sqlstate();
  return !(s.empty() || s.starts_with("08") || s.starts_with("57") || s.starts_with("53") ||
           s == "55P03" || s == "25006");
}

// What the probe reports for a statement that fails on this mapping.
FailureReason mapping_reason(const std::string& sqlstate) {
  const auto r = pg::classify_sqlstate(sqlstate);
  return r == FailureReason::other ? FailureReason::invalid_mapping : r;
}

// Runs fn in a savepoint; a mapping error comes back as (sqlstate, message) and leaves `tx`
// usable for the next check. Anything else propagates.
template <typename Fn>
std::optional<std::pair<std::string, std::string>> in_savepoint(pqxx::dbtransaction& tx, Fn fn) {
  try {
    pqxx::subtransaction sub(tx, "qw_preflight");
    fn(sub);
    sub.commit();
    return std::nullopt;
  } catch (const pqxx::sql_error& e) {
    if (!is_mapping_error(e)) throw;
    return std::make_pair(e.sqlstate(), pg::one_line(e.what()));
  }
}

pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql,
                  const std::vector<std::string>& params) {
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}

class Checker {
 public:
  Checker(pqxx::connection& conn, const config::QueueConfig& q, const PreflightOptions& options,
          PreflightResult& out)
      : conn_(conn), q_(q), options_(options), out_(out) {}

  void run() {
    {
      ReadOnlyTx tx(conn_);
      if (!check_relation(tx)) return;
      check_columns(tx);
      if (out_.first_error() == nullptr) check_values(tx);
      if (out_.first_error() == nullptr) check_expressions(tx);
      check_mode();
      tx.commit();
    }
    if (out_.first_error() != nullptr) return;
    ColumnTypes types;
    const auto& ts = q_.timestamps;
    if (q_.queue_column) types.queue = columns_[*q_.queue_column].type;
    if (ts.finished) types.finished = columns_[*ts.finished].type;
    types.failed = ts.failed ? columns_[*ts.failed].type : types.finished;
    QueueSql sql = build_queue_sql(q_, types);
    if (options_.explain) explain_all(sql);
    if (out_.first_error() == nullptr) out_.sql = std::move(sql);
  }

 private:
  void error(FailureReason reason, std::string key, std::string value, std::string message) {
    out_.findings.push_back(
        {Severity::error, reason, std::move(key), std::move(value), std::move(message), {}});
  }
  void warning(std::string key, std::string message, std::vector<std::string> fixes = {}) {
    out_.findings.push_back({Severity::warning, FailureReason::none, std::move(key), "",
                             std::move(message), std::move(fixes)});
  }

  bool check_relation(pqxx::dbtransaction& tx) {
    const std::string quoted = pg::quote_qualified(q_.schema, q_.table);
    const auto found = tx.exec_params(
        "SELECT c.oid::text, c.relkind::text, has_table_privilege(c.oid, 'SELECT'), "
        "has_any_column_privilege(c.oid, 'SELECT') FROM pg_class c WHERE c.oid = to_regclass($1)",
        quoted);
    if (found.empty()) {
      const bool schema_exists =
          tx.exec_params1("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                          q_.schema)[0]
              .as<bool>();
      error(FailureReason::undefined_table, "table", "",
            schema_exists
                ? fmt::format("table {} does not exist (or is not visible to this role)",
                              out_.relation)
                : fmt::format("schema \"{}\" does not exist (or is not visible to this role), so "
                              "table {} cannot",
                              q_.schema, out_.relation));
      return false;
    }
    const auto rel = found[0];
    oid_ = rel[0].as<std::string>();
    const std::string kind = rel[1].as<std::string>();
    out_.relkind = relkind_words(kind);
    if (kind != "r" && kind != "p" && kind != "v" && kind != "m" && kind != "f") {
      error(FailureReason::invalid_mapping, "table", "",
            fmt::format("{} is a {}, not a table or a view", out_.relation, out_.relkind));
      return false;
    }
    if (kind == "m")
      warning("table", fmt::format("{} is a materialized view: its rows are only as fresh as its "
                                   "last REFRESH, so ages and counts lag by as much",
                                   out_.relation));
    table_readable_ = rel[2].as<bool>();
    if (!table_readable_ && !rel[3].as<bool>()) {
      error(FailureReason::permission_denied, "table", "",
            fmt::format("permission denied: this role has no SELECT privilege on {} {}",
                        out_.relkind, out_.relation));
      return false;
    }
    return true;
  }

  void check_columns(pqxx::dbtransaction& tx) {
    for (const auto& row : tx.exec_params(
             "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), "
             "format_type(b.oid, NULL), b.typtype::text, b.oid::text, "
             "quote_ident(n.nspname) || '.' || quote_ident(b.typname), "
             "has_column_privilege(a.attrelid, a.attnum, 'SELECT') "
             "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
             "JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid "
             "END JOIN pg_namespace n ON n.oid = b.typnamespace "
             "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
             "ORDER BY a.attnum",
             oid_)) {
      Column c;
      c.type = row[1].as<std::string>();
      c.base_type = row[2].as<std::string>();
      c.base_kind = row[3].as<std::string>().at(0);
      c.base_oid = row[4].as<std::string>();
      c.enum_name = row[5].as<std::string>();
      c.readable = row[6].as<bool>();
      names_.push_back(row[0].as<std::string>());
      columns_[row[0].as<std::string>()] = c;
    }
    const auto& ts = q_.timestamps;
    const std::pair<const char*, const std::optional<std::string>*> mapped[] = {
        {"queue_column", &q_.queue_column},    {"state.column", &q_.state.column},
        {"timestamps.enqueued", &ts.enqueued}, {"timestamps.run_at", &ts.run_at},
        {"timestamps.started", &ts.started},   {"timestamps.finished", &ts.finished},
        {"timestamps.failed", &ts.failed},     {"timestamps.heartbeat", &ts.heartbeat},
    };
    const std::optional<std::string> id = q_.id_column;
    check_column("id_column", id);
    for (const auto& [key, column] : mapped) check_column(key, *column);
    for (const auto& [key, column] : mapped)
      if (std::string_view(key).starts_with("timestamps.") && *column &&
          columns_.contains(**column))
        check_timestamp(key, **column);
  }

  void check_column(const char* key, const std::optional<std::string>& column) {
    if (!column) return;
    if (!columns_.contains(*column)) {
      std::vector<std::string_view> candidates(names_.begin(), names_.end());
      std::string message = fmt::format("column \"{}\" ({}) does not exist in {} {}", *column, key,
                                        out_.relkind, out_.relation);
      if (auto guess = config::closest_match(*column, candidates))
        message += fmt::format("; did you mean \"{}\"?", *guess);
      error(FailureReason::undefined_column, key, "", std::move(message));
      return;
    }
    if (!columns_[*column].readable)
      error(FailureReason::permission_denied, key, "",
            fmt::format("permission denied: this role may not SELECT column \"{}\" ({}) of {}",
                        *column, key, out_.relation));
  }

  // Ages are differences with the database's now(): the column must be the configured kind of
  // timestamp, or every age is off by the server's UTC offset.
  void check_timestamp(const char* key, const std::string& column) {
    const Column& c = columns_[column];
    const bool tz = q_.timestamps.kind == config::TimestampKind::timestamptz;
    if (c.base_type == (tz ? kTimestamptz : kTimestamp)) return;
    if (c.base_type == (tz ? kTimestamp : kTimestamptz)) {
      error(FailureReason::invalid_mapping, key, "",
            tz ? fmt::format("column \"{}\" ({}) is timestamp without time zone, but "
                             "timestamps.type is timestamptz: if it holds UTC, set "
                             "timestamps.type: timestamp_utc (else every age is off by the "
                             "server's UTC offset)",
                             column, key)
               : fmt::format("column \"{}\" ({}) is timestamp with time zone, but "
                             "timestamps.type is timestamp_utc: set timestamps.type: timestamptz",
                             column, key));
      return;
    }
    error(FailureReason::invalid_mapping, key, "",
          fmt::format("column \"{}\" ({}) is {}, not a timestamp: ages cannot be measured from it",
                      column, key, c.type));
  }

  // Every configured value must be one the column can hold; a value it cannot hold fails the
  // statement that binds it (SQLSTATE 22P02) every round.
  void check_value_list(pqxx::dbtransaction& tx, const std::string& key, const std::string& column,
                        const std::vector<std::string>& values) {
    const Column& c = columns_[column];
    if (c.base_kind == 'e') {
      if (!labels_.contains(c.base_oid)) {
        auto& labels = labels_[c.base_oid];
        for (const auto& row :
             tx.exec_params("SELECT enumlabel::text FROM pg_enum WHERE enumtypid = $1::oid "
                            "ORDER BY enumsortorder",
                            c.base_oid))
          labels.push_back(row[0].as<std::string>());
      }
      const auto& labels = labels_[c.base_oid];
      for (const auto& v : values)
        if (std::find(labels.begin(), labels.end(), v) == labels.end())
          error(FailureReason::invalid_mapping, key, v,
                fmt::format("{} value \"{}\" is not a label of enum {} (labels: {})",
                            key.starts_with("state.") ? "state" : "queue", v, c.enum_name,
                            fmt::join(labels, ", ")));
      return;
    }
    for (const auto& v : values) {
      const auto failed = in_savepoint(
          tx, [&](pqxx::dbtransaction& sub) { sub.exec_params("SELECT $1::" + c.type, v); });
      if (failed)
        error(FailureReason::invalid_mapping, key, v,
              fmt::format("{} value \"{}\" is not a value of column \"{}\" ({}): {}",
                          key.starts_with("state.") ? "state" : "queue", v, column, c.type,
                          failed->second));
    }
  }

  void check_values(pqxx::dbtransaction& tx) {
    const auto& s = q_.state;
    if (s.column) {
      const std::pair<const char*, const std::vector<std::string>*> lists[] = {
          {"state.ready", &s.ready},
          {"state.running", &s.running},
          {"state.completed", &s.completed},
          {"state.failed", &s.failed},
      };
      for (const auto& [key, values] : lists) check_value_list(tx, key, *s.column, *values);
    }
    if (q_.queue_column && !q_.queue_names.empty())
      check_value_list(tx, "queue_names", *q_.queue_column, q_.queue_names);
  }

  // `*_when` expressions are SQL the operator wrote: each must compile as a condition on the
  // table, on its own, so the error names the one that does not.
  void check_expressions(pqxx::dbtransaction& tx) {
    const auto& s = q_.state;
    if (s.column) return;
    const std::pair<const char*, const std::string*> exprs[] = {
        {"state.ready_when", &s.ready_when},
        {"state.running_when", &s.running_when},
        {"state.completed_when", &s.completed_when},
        {"state.failed_when", &s.failed_when},
    };
    for (const auto& [key, expr] : exprs) {
      if (expr->empty()) continue;
      // A local, not the structured binding: clang 14 cannot capture those in a lambda.
      const std::string sql = "EXPLAIN SELECT 1 FROM " + pg::quote_qualified(q_.schema, q_.table) +
                              " WHERE (" + *expr + ")";
      const auto failed = in_savepoint(tx, [&](pqxx::dbtransaction& sub) { sub.exec(sql); });
      if (failed)
        error(mapping_reason(failed->first), key, "",
              fmt::format("{} \"{}\" does not compile: {}", key, *expr, failed->second));
    }
  }

  void check_mode() {
    if (q_.completed_rows != config::CompletedRows::deleted || out_.relkind.empty()) return;
    if (out_.relkind == "table") return;
    out_.counts_deletes = false;
    const bool partitioned = out_.relkind == "partitioned table";
    warning("completed_rows",
            fmt::format("completed_rows: deleted cannot count completions on a {}: PostgreSQL "
                        "counts deletes per {}, and {} has none of its own. This source reports "
                        "backlog, ages and stuck jobs but no completions (so no_throughput and "
                        "below_baseline cannot judge it); map {} instead",
                        out_.relkind, partitioned ? "partition" : "table", out_.relation,
                        partitioned ? "each partition" : "the table under the view"));
  }

  // Every statement a round (and the warm start) runs, planned once with the values a round
  // binds. Plans only: EXPLAIN without ANALYZE executes nothing.
  void explain_all(const QueueSql& sql) {
    ReadOnlyTx tx(conn_);
    const auto names = q_.queue_column && !q_.queue_names.empty()
                           ? q_.queue_names
                           : std::vector<std::string>{q_.name};
    const std::vector<std::string> thresholds(names.size(), "3600");
    std::string watermark;
    if (!sql.watermark.sql.empty()) {
      const auto failed = in_savepoint(tx, [&](pqxx::dbtransaction& sub) {
        watermark = exec(sub, sql.watermark.sql, {std::to_string(q_.settle_delay.count())})[0][0]
                        .as<std::string>();
      });
      if (failed) {
        error(mapping_reason(failed->first), "timestamps.finished", "",
              "the watermark statement fails: " + failed->second);
        return;
      }
    }
    const auto until = tx.exec1(sql.hour_now.sql)[0].as<std::int64_t>();
    const auto lookback =
        std::chrono::duration_cast<std::chrono::seconds>(q_.warm_start.lookback).count();
    struct Planned {
      const char* name;
      const Statement* st;
      std::vector<std::string> runtime;
      bool every_round;  // a sequential scan here is paid every round (discovery: every minute)
    };
    std::vector<Planned> statements = {
        {"snapshot",
         &sql.snapshot,
         {pg::array_literal(names), pg::array_literal(thresholds), pg::array_literal(thresholds),
          std::to_string(per_queue_count_limit(q_.count_cap, names.size()))},
         true},
        {"watermark", &sql.watermark, {std::to_string(q_.settle_delay.count())}, false},
        {"hour_now", &sql.hour_now, {}, false},
    };
    if (sql.counts_completions)
      statements.push_back({"completions", &sql.completions, {watermark, watermark}, true});
    if (!sql.discovery.sql.empty()) statements.push_back({"discovery", &sql.discovery, {}, true});
    if (q_.completed_rows == config::CompletedRows::deleted)
      statements.push_back(
          {"deletes", &sql.deletes, {pg::quote_qualified(q_.schema, q_.table)}, false});
    if (!sql.progress.sql.empty()) {
      // Per-queue progress (deleted rows, a queue column): both run every round, as a round
      // binds them before it has tracked anything ('infinity': no previous round yet).
      statements.push_back({"tracked", &sql.tracked, {"{}"}, true});
      statements.push_back(
          {"progress",
           &sql.progress,
           {pg::array_literal(names), std::to_string(tracked_per_queue(names.size())), "infinity",
            "{}", std::to_string(per_queue_count_limit(q_.count_cap, names.size()))},
           true});
    }
    if (!sql.history.sql.empty() && q_.warm_start.enabled)
      // Once per start over the whole lookback: a sequential scan may well be its best plan.
      statements.push_back({"history",
                            &sql.history,
                            {std::to_string(until - lookback), std::to_string(until)},
                            false});

    for (const auto& p : statements) {
      std::vector<std::string> params = p.runtime;
      params.insert(params.end(), p.st->fixed_params.begin(), p.st->fixed_params.end());
      std::string plan;
      const auto failed = in_savepoint(tx, [&](pqxx::dbtransaction& sub) {
        plan = exec(sub, "EXPLAIN (FORMAT JSON, VERBOSE) " + p.st->sql, params)[0][0]
                   .as<std::string>();
      });
      if (failed) {
        error(mapping_reason(failed->first), "", "",
              fmt::format("the {} statement fails: {}", p.name, failed->second));
        continue;
      }
      out_.explained.push_back(p.name);
      if (p.every_round) warn_on_seq_scans(tx, p.name, plan);
    }
    tx.commit();
  }

  static void find_seq_scans(const boost::json::value& node,
                             std::vector<std::pair<std::string, std::string>>& out) {
    if (node.is_array()) {
      for (const auto& v : node.as_array()) find_seq_scans(v, out);
      return;
    }
    if (!node.is_object()) return;
    const auto& obj = node.as_object();
    const auto* type = obj.if_contains("Node Type");
    const auto* rel = obj.if_contains("Relation Name");
    const auto* schema = obj.if_contains("Schema");
    if (type && type->is_string() && rel && rel->is_string() && schema && schema->is_string() &&
        std::string_view(type->as_string()).ends_with("Seq Scan")) {
      std::pair<std::string, std::string> name{std::string(schema->as_string()),
                                               std::string(rel->as_string())};
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
    }
    for (const auto& [key, value] : obj) find_seq_scans(value, out);
  }

  void warn_on_seq_scans(pqxx::dbtransaction& tx, const char* statement, const std::string& plan) {
    std::vector<std::pair<std::string, std::string>> scanned;
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(plan, ec);
    if (ec) return;
    find_seq_scans(parsed, scanned);
    for (const auto& [schema, relation] : scanned) {
      // The planner's own estimate of the relation's rows (reltuples scaled to its current size,
      // which also covers a table never analyzed).
      const auto estimate = tx.exec("EXPLAIN (FORMAT JSON) SELECT 1 FROM " +
                                    pg::quote_qualified(schema, relation))[0][0]
                                .as<std::string>();
      boost::system::error_code ec2;
      const auto est = boost::json::parse(estimate, ec2);
      if (ec2) continue;
      const auto* rows = est.at(0).at("Plan").as_object().if_contains("Plan Rows");
      const double n = rows && rows->is_number() ? rows->to_number<double>() : 0;
      if (n <= options_.seq_scan_rows) continue;
      std::string where = out_.relkind == "view" ? " (index the table under the view)"
                          : out_.relkind == "partitioned table"
                              ? " (on each partition: CONCURRENTLY cannot build on the parent)"
                              : "";
      warning(
          "table",
          fmt::format("the {} statement ({}) reads {}.{} sequentially (about {:.0f} "
                      "rows): create the index docs/indexes.md gives for it{}",
                      statement,
                      std::string_view(statement) == "discovery" ? "once a minute" : "every round",
                      schema, relation, n, where),
          suggested_indexes(q_, statement));
    }
  }

  pqxx::connection& conn_;
  const config::QueueConfig& q_;
  const PreflightOptions& options_;
  PreflightResult& out_;
  std::string oid_;
  bool table_readable_ = true;
  std::map<std::string, Column> columns_;
  std::vector<std::string> names_;
  std::map<std::string, std::vector<std::string>> labels_;  // by enum oid
};

}  // namespace

const Finding* PreflightResult::first_error() const {
  for (const auto& f : findings)
    if (f.severity == Severity::error) return &f;
  return nullptr;
}

bool PreflightResult::has_warnings() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::warning; });
}

std::string_view to_string(Severity severity) {
  return severity == Severity::error ? "error" : "warning";
}

PreflightResult run_preflight(pqxx::connection& conn, const config::QueueConfig& q,
                              const PreflightOptions& options) {
  PreflightResult out;
  out.relation = q.schema + "." + q.table;
  Checker(conn, q, options, out).run();
  return out;
}

}  // namespace qw::probes::queue
