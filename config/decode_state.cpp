// `queues[].state` and `queues[].timestamps`: how a job table is read.
#include <fmt/format.h>

#include "config/decoders.hpp"
#include "config/schema.hpp"

namespace qw::config::detail {
namespace {

constexpr std::string_view kStateKeys[] = {"column",       "ready",          "running",
                                           "completed",    "failed",         "ready_when",
                                           "running_when", "completed_when", "failed_when"};
constexpr std::string_view kListKeys[] = {"ready", "running", "completed", "failed"};
constexpr std::string_view kWhenKeys[] = {"ready_when", "running_when", "completed_when",
                                          "failed_when"};

constexpr EnumWord<TimestampKind> kTimestampKinds[] = {
    {"timestamptz", TimestampKind::timestamptz},
    {"timestamp_utc", TimestampKind::timestamp_utc},
};

std::vector<std::string>* list_field(StateMapping& s, std::string_view key) {
  if (key == "ready") return &s.ready;
  if (key == "running") return &s.running;
  if (key == "completed") return &s.completed;
  return &s.failed;
}

std::string* when_field(StateMapping& s, std::string_view key) {
  if (key == "ready_when") return &s.ready_when;
  if (key == "running_when") return &s.running_when;
  if (key == "completed_when") return &s.completed_when;
  return &s.failed_when;
}

void decode_value_lists(Context& ctx, MapReader& map, CompletedRows completed_rows,
                        StateMapping& out) {
  std::vector<std::pair<std::string, Value>> seen;  // value -> where it was first listed
  for (std::string_view key : kListKeys) {
    // Without failures (or with deleted finished rows) there may be nothing to list; ready and
    // running jobs always exist as rows, so an empty list there is a mistake.
    const bool may_be_empty =
        key == "failed" || (key == "completed" && completed_rows == CompletedRows::deleted);
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
    *list_field(out, key) = std::move(*values);
  }
}

void decode_expressions(Context& ctx, MapReader& map, StateMapping& out) {
  for (std::string_view key : kListKeys) {
    if (auto v = map.get(key)) {
      ctx.error(v->path, v->mark,
                "value lists need state.column; with *_when expressions, leave them out");
    }
  }
  for (std::string_view key : kWhenKeys) {
    if (auto v = map.require(key)) assign(read_nonempty_string(ctx, *v), *when_field(out, key));
  }
}

}  // namespace

void decode_state(Context& ctx, const Value& value, CompletedRows completed_rows,
                  StateMapping& out) {
  MapReader map(ctx, value, kStateKeys);
  if (!map.is_mapping()) return;
  std::optional<Value> first_when;
  for (std::string_view key : kWhenKeys) {
    if (!first_when) first_when = map.get(key);
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
