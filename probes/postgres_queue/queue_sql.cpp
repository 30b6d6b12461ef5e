#include "probes/postgres_queue/queue_sql.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "probes/pg/sql_text.hpp"
#include "probes/samples.hpp"

namespace qw::probes::queue {

namespace {

using pg::quote_ident;

// Assigns $N placeholders to fixed values, after the statement's runtime parameters.
class ParamList {
 public:
  explicit ParamList(Statement& st, int runtime) : st_(st) { st_.runtime_params = runtime; }
  std::string add(std::string value) {
    st_.fixed_params.push_back(std::move(value));
    return "$" + std::to_string(st_.runtime_params + static_cast<int>(st_.fixed_params.size()));
  }

 private:
  Statement& st_;
};

enum class Kind { ready, running, completed, failed };

// The SQL boolean selecting one state: `state = ANY($n)` (value list bound as an array) or the
// configured expression, parenthesised.
std::string state_predicate(const config::QueueConfig& q, Kind kind, ParamList& params) {
  const auto& s = q.state;
  if (s.column) {
    const std::vector<std::string>* values = nullptr;
    switch (kind) {
      case Kind::ready:
        values = &s.ready;
        break;
      case Kind::running:
        values = &s.running;
        break;
      case Kind::completed:
        values = &s.completed;
        break;
      case Kind::failed:
        values = &s.failed;
        break;
    }
    if (values->empty()) return "false";
    // Without a cast the array parameter takes the column's own type (text, varchar, enum).
    return fmt::format("{} = ANY({})", quote_ident(*s.column),
                       params.add(pg::array_literal(*values)));
  }
  // `false` (a state the table cannot show, e.g. Solid Queue's failures) stays the literal, so
  // the statements know that nothing is counted for it (QueueSql::counts_failures).
  auto expression = [](const std::string& when) {
    return when == "false" ? std::string("false") : "(" + when + ")";
  };
  switch (kind) {
    case Kind::ready:
      return expression(s.ready_when);
    case Kind::running:
      return expression(s.running_when);
    case Kind::completed:
      return expression(s.completed_when);
    case Kind::failed:
      return expression(s.failed_when);
  }
  return "false";
}

// "now" in the same kind as the timestamp columns: naive UTC columns compare with naive UTC.
std::string db_now(const config::QueueConfig& q) {
  return q.timestamps.kind == config::TimestampKind::timestamp_utc ? "(now() AT TIME ZONE 'UTC')"
                                                                   : "now()";
}

std::string age_of_oldest(const std::string& now, const std::string& column,
                          const std::string& from_where) {
  return fmt::format("(SELECT EXTRACT(EPOCH FROM {} - min({}))::float8 FROM {})", now,
                     quote_ident(column), from_where);
}

}  // namespace

std::int64_t per_queue_count_limit(std::int64_t count_cap, std::size_t queues) {
  const auto n = static_cast<std::int64_t>(std::max<std::size_t>(1, queues));
  return std::max(std::min(count_cap, kMinPerQueueCount), count_cap / n);
}

QueueSql build_queue_sql(const config::QueueConfig& q, const ColumnTypes& types) {
  QueueSql out;
  const std::string table = pg::quote_qualified(q.schema, q.table);
  const std::string now = db_now(q);
  const auto& ts = q.timestamps;

  // --- snapshot: one round trip for every queue of the source ---------------------------
  {
    ParamList p(out.snapshot, 4);
    const std::string cap = "$4";  // per-queue share of the source's count budget
    const std::string per_queue =
        q.queue_column
            ? fmt::format("{} = q.name::{} AND ", quote_ident(*q.queue_column), types.queue)
            : std::string();
    std::string ready = per_queue + state_predicate(q, Kind::ready, p);
    // A job scheduled for later is not waiting yet; its wait starts at run_at.
    if (ts.run_at) ready += fmt::format(" AND {} <= {}", quote_ident(*ts.run_at), now);
    const std::string running = per_queue + state_predicate(q, Kind::running, p);
    const std::string from_ready = table + " WHERE " + ready;
    const std::string from_running = table + " WHERE " + running;

    const auto ready_since = ts.run_at ? ts.run_at : ts.enqueued;
    const std::string null_age = "NULL::float8";

    // Stuck: running longer than the queue's threshold, or silent longer than its heartbeat
    // timeout. Both bounds come per queue from the bound arrays; the oldest come first.
    std::vector<std::string> stuck_terms;
    if (ts.started)
      stuck_terms.push_back(fmt::format("{} < {} - make_interval(secs => q.stuck_after)",
                                        quote_ident(*ts.started), now));
    if (ts.heartbeat)
      stuck_terms.push_back(fmt::format("{} < {} - make_interval(secs => q.heartbeat_timeout)",
                                        quote_ident(*ts.heartbeat), now));
    std::string stuck_pred = stuck_terms.empty() ? "false" : stuck_terms[0];
    if (stuck_terms.size() > 1) stuck_pred = "(" + stuck_terms[0] + " OR " + stuck_terms[1] + ")";
    const std::string from_stuck = from_running + " AND " + stuck_pred;
    const std::string oldest_first = quote_ident(ts.started     ? *ts.started
                                                 : ts.heartbeat ? *ts.heartbeat
                                                                : q.id_column);

    out.snapshot.sql = fmt::format(
        "SELECT q.name,\n"
        "  (SELECT count(*) FROM (SELECT 1 FROM {} LIMIT {}) capped) AS ready,\n"
        "  {} AS ready_age,\n"
        "  (SELECT count(*) FROM (SELECT 1 FROM {} LIMIT {}) capped) AS running,\n"
        "  {} AS running_age,\n"
        "  {} AS heartbeat_age,\n"
        "  (SELECT count(*) FROM (SELECT 1 FROM {} LIMIT {}) capped) AS stuck,\n"
        "  (SELECT string_agg(id, E'\\x1f' ORDER BY ord) FROM (SELECT {}::text AS id, {} AS ord "
        "FROM {} ORDER BY 2 LIMIT {}) oldest) AS stuck_ids\n"
        "FROM unnest($1::text[], $2::float8[], $3::float8[]) AS q(name, stuck_after, "
        "heartbeat_timeout)",
        from_ready, cap, ready_since ? age_of_oldest(now, *ready_since, from_ready) : null_age,
        from_running, cap, ts.started ? age_of_oldest(now, *ts.started, from_running) : null_age,
        ts.heartbeat ? age_of_oldest(now, *ts.heartbeat, from_running) : null_age, from_stuck, cap,
        quote_ident(q.id_column), oldest_first, from_stuck, kMaxStuckIds);
  }

  // --- watermark: the upper bound of rows old enough to have committed --------------------
  {
    const std::string& type = types.finished;
    out.watermark.runtime_params = 1;
    out.watermark.sql =
        fmt::format("SELECT ({} - make_interval(secs => $1::float8 / 1000))::{}::text", now, type);
  }

  // --- completions since the last watermark -----------------------------------------------
  {
    const bool kept = q.completed_rows == config::CompletedRows::kept;
    const std::string queue_expr =
        q.queue_column ? quote_ident(*q.queue_column) + "::text" : "NULL::text";
    ParamList p(out.completions, 2);
    const std::string completed = state_predicate(q, Kind::completed, p);
    const std::string failed = state_predicate(q, Kind::failed, p);
    const auto finished = ts.finished;
    const auto failed_at = ts.failed ? ts.failed : ts.finished;
    // Seconds since the newest counted row finished, on the database clock: the rules start a
    // silence there, not at the round that first saw the row.
    auto age_of_newest = [&](const std::string& column, const std::string& filter) {
      return fmt::format("EXTRACT(EPOCH FROM {} - max({}){})::float8", now, quote_ident(column),
                         filter.empty() ? "" : " FILTER (WHERE " + filter + ")");
    };
    auto window = [&](const std::string& column, const std::string& type) {
      return fmt::format("{0} > $1::{1} AND {0} <= $2::{1}", quote_ident(column), type);
    };
    std::vector<std::string> parts;
    if (kept && finished && (!ts.failed || *ts.failed == *finished)) {
      // One range scan on the finished timestamp counts both outcomes.
      parts.push_back(
          fmt::format("SELECT {0} AS queue, count(*) FILTER (WHERE {1}) AS completed, "
                      "count(*) FILTER (WHERE {2}) AS failed, {5} AS completed_age "
                      "FROM {3} WHERE {4} AND ({1} OR {2}) GROUP BY 1",
                      queue_expr, completed, failed, table, window(*finished, types.finished),
                      age_of_newest(*finished, completed)));
    } else {
      if (kept && finished)
        parts.push_back(
            fmt::format("SELECT {0} AS queue, count(*) AS completed, 0::bigint AS failed, {4} AS "
                        "completed_age FROM {1} WHERE {2} AND {3} GROUP BY 1",
                        queue_expr, table, window(*finished, types.finished), completed,
                        age_of_newest(*finished, "")));
      if (failed_at && failed != "false")
        parts.push_back(fmt::format(
            "SELECT {0} AS queue, 0::bigint AS completed, count(*) AS failed, NULL::float8 AS "
            "completed_age FROM {1} WHERE {2} AND {3} GROUP BY 1",
            queue_expr, table, window(*failed_at, types.failed), failed));
    }
    out.counts_completions = !parts.empty();
    out.counts_failures = failed_at.has_value() && failed != "false";
    for (std::size_t i = 0; i < parts.size(); ++i)
      out.completions.sql += (i ? "\nUNION ALL\n" : "") + parts[i];
  }

  // --- discovery: skip scan over the ready and running partial indexes -------------------
  if (q.queue_column) {
    ParamList p(out.discovery, 0);
    const std::string col = quote_ident(*q.queue_column);
    auto skip_scan = [&](Kind kind) {
      const std::string pred = state_predicate(q, kind, p);
      return fmt::format(
          "(WITH RECURSIVE v AS (\n"
          "  (SELECT {0} AS name FROM {1} WHERE {2} ORDER BY {0} LIMIT 1)\n"
          "  UNION ALL\n"
          "  SELECT (SELECT {0} FROM {1} WHERE {2} AND {0} > v.name ORDER BY {0} LIMIT 1)\n"
          "  FROM v WHERE v.name IS NOT NULL)\n"
          " SELECT name::text FROM v WHERE name IS NOT NULL LIMIT {3})",
          col, table, pred, kMaxDiscoveredQueues);
    };
    out.discovery.sql = skip_scan(Kind::ready) + "\nUNION\n" + skip_scan(Kind::running);
  }

  // --- warm start: completions per hour from the kept rows ---------------------------------
  out.hour_now.sql = "SELECT (floor(EXTRACT(EPOCH FROM now()) / 3600) * 3600)::bigint";
  if (q.completed_rows == config::CompletedRows::kept && ts.finished) {
    ParamList p(out.history, 2);
    const std::string queue_expr =
        q.queue_column ? quote_ident(*q.queue_column) + "::text" : "NULL::text";
    const std::string column = quote_ident(*ts.finished);
    // Bounds in the column's own kind, so the finished index serves the range.
    auto bound = [&](const char* param) {
      const std::string t = fmt::format("to_timestamp({}::float8)", param);
      return ts.kind == config::TimestampKind::timestamp_utc ? "(" + t + " AT TIME ZONE 'UTC')" : t;
    };
    // Rows are grouped by the naive UTC hour (date_trunc on a naive timestamp is plain
    // arithmetic, whatever the session's zone) and the epoch is taken once per group: EXTRACT
    // per row is numeric arithmetic and made this scan 8x slower than a plain GROUP BY.
    const std::string utc = ts.kind == config::TimestampKind::timestamp_utc
                                ? column
                                : "(" + column + " AT TIME ZONE 'UTC')";
    std::string predicate = state_predicate(q, Kind::completed, p);
    // Only this source's queues: other sources may watch the table's other queues.
    if (q.queue_column && !q.queue_names.empty())
      predicate += fmt::format(" AND {} = ANY({})", quote_ident(*q.queue_column),
                               p.add(pg::array_literal(q.queue_names)));
    out.history.sql = fmt::format(
        "SELECT {0} AS queue, EXTRACT(EPOCH FROM date_trunc('hour', {6}))::bigint AS hour, "
        "count(*) AS completed FROM {2} WHERE {1} >= {3} AND {1} < {4} AND {5} "
        "GROUP BY 1, date_trunc('hour', {6}) ORDER BY 2",
        queue_expr, column, table, bound("$1"), bound("$2"), predicate, utc);
  }

  // --- progress: tracked ids and claims, where completions cannot be told apart by queue ----
  if (q.completed_rows == config::CompletedRows::deleted && q.queue_column) {
    const std::string id = quote_ident(q.id_column);
    {
      ParamList p(out.tracked, 1);
      std::string ready = state_predicate(q, Kind::ready, p);
      if (ts.run_at) ready += fmt::format(" AND {} <= {}", quote_ident(*ts.run_at), now);
      const std::string running = state_predicate(q, Kind::running, p);
      out.tracked.sql = fmt::format(
          "SELECT {0}::text, CASE WHEN {1} THEN 'x' WHEN {2} THEN 'r' ELSE 'o' END, "
          "CASE WHEN {1} THEN {3} END FROM {4} WHERE {0} = ANY($1)",
          id, running, ready,
          ts.started ? quote_ident(*ts.started) + "::text" : std::string("NULL::text"), table);
    }
    {
      ParamList p(out.progress, 5);
      const std::string per_queue =
          fmt::format("{} = q.name::{} AND ", quote_ident(*q.queue_column), types.queue);
      std::string ready = per_queue + state_predicate(q, Kind::ready, p);
      if (ts.run_at) ready += fmt::format(" AND {} <= {}", quote_ident(*ts.run_at), now);
      const std::string running = per_queue + state_predicate(q, Kind::running, p);
      // The next jobs to run, as the oldest-ready-age index orders them (see README.md for the
      // libraries that claim by priority first).
      const auto ready_since = ts.run_at ? ts.run_at : ts.enqueued;
      const std::string head_order =
          ready_since ? fmt::format("{}, {}", quote_ident(*ready_since), id) : id;
      const std::string started = ts.started ? quote_ident(*ts.started) : std::string();
      const std::string running_order = ts.started ? started + " DESC, " + id : id + " DESC";
      const std::string claims =
          ts.started
              ? fmt::format(
                    "(SELECT count(*) FROM (SELECT 1 FROM {} WHERE {} AND {} > $3 AND NOT ({} = "
                    "ANY($4)) LIMIT $5) capped)",
                    table, running, started, id)
              // Unknown without a started timestamp (Que's jobs have none). The round still
              // binds $3..$5, and PostgreSQL refuses a bind of more parameters than the
              // statement names, so name them.
              : std::string(
                    "(CASE WHEN $3::text IS NULL OR $4::text IS NULL OR $5::text IS NULL "
                    "THEN NULL END)::bigint");
      out.progress.sql = fmt::format(
          "SELECT q.name,\n"
          "  (SELECT string_agg(id, E'\\x1f') FROM (SELECT {0}::text AS id FROM {1} WHERE {2} "
          "ORDER BY {3} LIMIT $2) head) AS ready_ids,\n"
          "  (SELECT string_agg(id || E'\\x1e' || COALESCE(st, ''), E'\\x1f') FROM (SELECT "
          "{0}::text AS id, {4}::text AS st FROM {1} WHERE {5} ORDER BY {6} LIMIT $2) run) AS "
          "running_ids,\n"
          "  {7} AS claims,\n"
          "  {8}::text AS now\n"
          "FROM unnest($1::text[]) AS q(name)",
          id, table, ready, head_order, ts.started ? started : std::string("NULL"), running,
          running_order, claims, now);
    }
  }

  // --- deletes: the table's own counter, for tables that delete finished rows -------------
  out.deletes.runtime_params = 1;
  out.deletes.sql = "SELECT pg_stat_get_tuples_deleted(to_regclass($1))::bigint";
  return out;
}

}  // namespace qw::probes::queue
