// `queues[].state` and `queues[].timestamps`: how a job table is read.
#include <fmt/format.h>

#include "config/decoders.hpp"
#include "config/schema.hpp"

namespace qw::config::detail {
namespace {

constexpr EnumWord<TimestampKind> kTimestampKinds[] = {
    {"timestamptz", TimestampKind::timestamptz},
    {"timestamp_utc", TimestampKind::timestamp_utc},
};

void decode_value_lists(Context& ctx, MapReader& map, CompletedRows completed_rows,
                        StateMapping& out) {
  std::vector<std::pair<std::string, Value>> seen;  // value -> where it was first listed
  for (const StateKey& row : state_keys()) {
    if (row.style != StateKey::Style::list) continue;
    const std::string_view key = row.key;
    const bool may_be_empty =
        row.need == StateKey::Need::optional ||
        (row.need == StateKey::Need::unless_deleted && completed_rows == CompletedRows::deleted);
    std::optional<Value> v = may_be_empty ? map.get(key) : map.require(key);
    if (!v) continue;
    std::optional<std::vector<std::string>> values = read_string_list(ctx, *v);
    if (!values) continue;
    if (values->empty() && !may_be_empty) {
      ctx.error(v->path, v->mark, "must list at least one value");
      continue;
    }
    for (const std::string& s : *values) {
      for (const auto& [other, where] : seen) {
        if (other == s) {
          ctx.error(v->path, v->mark,
                    fmt::format("\"{}\" is also listed in {} (line {}): a row would be counted "
                                "in two states",
                                s, where.path, where.mark.line));
        }
      }
      seen.emplace_back(s, *v);
    }
    out.*row.list = std::move(*values);
  }
}

void decode_expressions(Context& ctx, MapReader& map, StateMapping& out) {
  for (const StateKey& row : state_keys()) {
    if (row.style != StateKey::Style::list) continue;
    if (auto v = map.get(row.key)) {
      ctx.error(v->path, v->mark,
                "value lists need state.column; with *_when expressions, leave them out");
    }
  }
  for (const StateKey& row : state_keys()) {
    if (row.style != StateKey::Style::expression) continue;
    if (auto v = map.require(row.key)) assign(read_nonempty_string(ctx, *v), out.*row.expression);
  }
}

}  // namespace

const std::vector<StateKey>& state_keys() {
  using S = StateKey;
  using M = StateMapping;
  // Without failures (or with deleted finished rows) there may be nothing to list; ready and
  // running jobs always exist as rows, so an empty list there is a mistake.
  static const std::vector<StateKey> rows = {
      {"column", S::Style::column, nullptr, nullptr, S::Need::optional,
       "the column holding the state; the value lists below apply to it"},
      {"ready", S::Style::list, &M::ready, nullptr, S::Need::required,
       "values of a job waiting to run (or scheduled, with timestamps.run_at)"},
      {"running", S::Style::list, &M::running, nullptr, S::Need::required,
       "values of a job a worker holds"},
      {"completed", S::Style::list, &M::completed, nullptr, S::Need::unless_deleted,
       "values of a job that succeeded"},
      {"failed", S::Style::list, &M::failed, nullptr, S::Need::optional,
       "values of a job that failed for good"},
      {"ready_when", S::Style::expression, nullptr, &M::ready_when, S::Need::required,
       "SQL: the row is ready"},
      {"running_when", S::Style::expression, nullptr, &M::running_when, S::Need::required,
       "SQL: the row is running"},
      {"completed_when", S::Style::expression, nullptr, &M::completed_when, S::Need::required,
       "SQL: the row completed (`false` if completed rows are deleted)"},
      {"failed_when", S::Style::expression, nullptr, &M::failed_when, S::Need::required,
       "SQL: the row failed"},
  };
  return rows;
}

void decode_state(Context& ctx, const Value& value, CompletedRows completed_rows,
                  StateMapping& out) {
  MapReader map(ctx, value, keys_of(state_keys()));
  if (!map.is_mapping()) return;
  std::optional<Value> first_when;
  for (const StateKey& row : state_keys()) {
    if (!first_when && row.style == StateKey::Style::expression) first_when = map.get(row.key);
  }
  const std::optional<Value> column = map.get("column");

  if (column && first_when) {
    ctx.error(first_when->path, first_when->mark,
              fmt::format("state is given twice: state.column (line {}) with value lists, and "
                          "*_when expressions; keep one style",
                          column->mark.line));
    return;
  }
  if (column) {
    assign(read_identifier(ctx, *column), out.column);
    decode_value_lists(ctx, map, completed_rows, out);
  } else if (first_when) {
    decode_expressions(ctx, map, out);
  } else {
    ctx.error(map.path(), map.mark(),
              "give either `column` with ready/running/completed/failed value lists, or the four "
              "expressions ready_when, running_when, completed_when and failed_when");
  }
}

const std::vector<Field<TimestampMapping>>& timestamp_fields() {
  using T = TimestampMapping;
  static const std::vector<Field<T>> rows = {
      field("type", &T::kind, enum_reader(kTimestampKinds),
            "`timestamptz`, or `timestamp_utc` for timestamps without time zone holding UTC"),
      field("enqueued", &T::enqueued, identifier_reader(), "when the job was created"),
      field("run_at", &T::run_at, identifier_reader(), "when it may run"),
      field("started", &T::started, identifier_reader(), "when a worker claimed it"),
      field("finished", &T::finished, identifier_reader(), "when it finished"),
      field("failed", &T::failed, identifier_reader(), "when it failed, if stamped apart"),
      field("heartbeat", &T::heartbeat, identifier_reader(),
            "the last sign of life from its worker"),
  };
  return rows;
}

void decode_timestamps(Context& ctx, const Value& value, TimestampMapping& out) {
  MapReader map(ctx, value, keys_of(timestamp_fields()));
  decode_fields(ctx, map, timestamp_fields(), out);
}

}  // namespace qw::config::detail
