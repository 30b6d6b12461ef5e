// `queues`: job tables to watch, each read through a mapping of its columns.
#include <fmt/format.h>

#include <limits>

#include "config/decoders.hpp"
#include "config/duration.hpp"
#include "config/presets.hpp"
#include "config/suggest.hpp"
#include "config/table_name.hpp"

namespace qw::config::detail {
namespace {

constexpr std::string_view kQueueKeys[] = {
    "name",          "target",     "table",          "id_column",    "queue_column", "queue_names",
    "state",         "timestamps", "completed_rows", "settle_delay", "count_cap",    "interval",
    "query_timeout", "warm_start", "preset",         "schema"};

constexpr std::string_view kWarmStartKeys[] = {"enabled", "lookback", "timeout"};

constexpr EnumWord<CompletedRows> kCompletedRows[] = {
    {"kept", CompletedRows::kept},
    {"deleted", CompletedRows::deleted},
};

void check_target_reference(Context& ctx, const Value& v, const std::string& name,
                            const std::vector<TargetConfig>& targets) {
  if (find_by_name(targets, name) != nullptr) return;
  std::vector<std::string_view> names;
  for (const TargetConfig& t : targets) {
    if (!t.name.empty()) names.push_back(t.name);  // unnamed ones are reported already
  }
  std::string message = fmt::format("no target named \"{}\"", name);
  if (auto guess = closest_match(name, names)) {
    message += fmt::format("; did you mean \"{}\"?", *guess);
  } else if (!names.empty()) {
    message += fmt::format(" (targets: {})", fmt::join(names, ", "));
  }
  ctx.error(v.path, v.mark, std::move(message));
}

// `warm_start: false`, or a mapping of its settings.
void decode_warm_start(Context& ctx, const Value& value, WarmStartConfig& out) {
  if (value.node.IsScalar()) {
    assign(read_bool(ctx, value), out.enabled);
    return;
  }
  MapReader map(ctx, value, kWarmStartKeys);
  if (!map.is_mapping()) return;
  if (auto v = map.get("enabled")) assign(read_bool(ctx, *v), out.enabled);
  if (auto v = map.get("lookback")) {
    // At most the hourly history the rules keep (kMaxWarmStartLookback).
    assign(read_duration(ctx, *v, bounds::kWarmStartLookback), out.lookback);
  }
  if (auto v = map.get("timeout"))
    assign(read_duration(ctx, *v, bounds::kWarmStartTimeout), out.timeout);
}

// `preset: NAME`: adds the preset's keys that the source does not give itself to the source's
// mapping, so that everything after reads one mapping, and an override is just a key of the
// source. Returns the preset, or null (none asked for, or an unknown name: reported).
const Preset* apply_preset(Context& ctx, const Value& value) {
  if (!value.node.IsMap()) return nullptr;
  const YAML::Node& source = value.node;
  const YAML::Node name_node = source["preset"];
  if (!name_node) return nullptr;
  const Value name_value{name_node, child_path(value.path, "preset"), mark_of(name_node.Mark())};
  const std::optional<std::string> name = read_nonempty_string(ctx, name_value);
  if (!name) return nullptr;
  const Preset* preset = find_preset(*name);
  if (preset == nullptr) {
    std::vector<std::string_view> names;
    for (const Preset& p : presets()) names.push_back(p.name);
    std::string message = fmt::format("no preset named \"{}\"", *name);
    if (auto guess = closest_match(*name, names))
      message += fmt::format("; did you mean \"{}\"?", *guess);
    message += fmt::format(" (presets: {})", fmt::join(names, ", "));
    ctx.error(name_value.path, name_value.mark, std::move(message));
    return nullptr;
  }
  const YAML::Node defaults = YAML::Load(std::string(preset->yaml));
  YAML::Node target = value.node;
  for (const auto& entry : defaults) {
    if (!source[entry.first.Scalar()]) target.force_insert(entry.first, entry.second);
  }
  return preset;
}

QueueConfig decode_queue(Context& ctx, const Value& value,
                         const std::vector<TargetConfig>& targets) {
  QueueConfig q;
  q.mark = value.mark;
  const bool own_table = value.node.IsMap() && value.node["table"];
  const Preset* preset = apply_preset(ctx, value);
  MapReader map(ctx, value, kQueueKeys);
  if (!map.is_mapping()) return q;

  if (auto v = map.require("name")) assign(read_name(ctx, *v), q.name);
  if (auto v = map.require("target")) {
    if (std::optional<std::string> name = read_nonempty_string(ctx, *v)) {
      check_target_reference(ctx, *v, *name, targets);
      q.target = std::move(*name);
    }
  }
  if (auto v = map.require("table")) {
    if (std::optional<std::string> text = read_nonempty_string(ctx, *v)) {
      TableNameResult split = split_table_name(*text);
      if (split.name) {
        q.schema = std::move(split.name->schema);
        q.table = std::move(split.name->table);
      } else {
        ctx.error(v->path, v->mark, fmt::format("\"{}\": {}", *text, split.error));
      }
    }
  }
  if (auto v = map.get("id_column")) assign(read_identifier(ctx, *v), q.id_column);
  if (auto v = map.get("queue_column")) assign(read_identifier(ctx, *v), q.queue_column);
  if (auto v = map.get("queue_names")) {
    assign(read_string_list(ctx, *v), q.queue_names);
    if (!map.has("queue_column")) {
      ctx.error(v->path, v->mark,
                "needs queue_column: without it the table is one queue, named after the source");
    }
  }
  if (auto v = map.get("completed_rows")) {
    assign(read_enum(ctx, *v, kCompletedRows), q.completed_rows);
  }
  if (auto v = map.require("state")) decode_state(ctx, *v, q.completed_rows, q.state);
  const std::optional<Value> timestamps = map.get("timestamps");
  if (timestamps) decode_timestamps(ctx, *timestamps, q.timestamps);
  if (auto v = map.get("settle_delay"))
    assign(read_duration(ctx, *v, bounds::kSettleDelay), q.settle_delay);
  if (auto v = map.get("count_cap")) {
    assign(read_integer(ctx, *v, bounds::kCountCap), q.count_cap);
  }
  if (auto v = map.get("interval"))
    assign(read_duration(ctx, *v, bounds::kProbeInterval), q.interval);
  if (auto v = map.get("query_timeout")) {
    assign(read_duration(ctx, *v, bounds::kProbeQueryTimeout), q.query_timeout);
  }
  if (auto v = map.get("warm_start")) decode_warm_start(ctx, *v, q.warm_start);
  if (auto v = map.get("schema")) {
    // The schema a library was told to use (pg-boss `schema`, graphile-worker `--schema`).
    if (preset == nullptr) {
      ctx.error(v->path, v->mark, "needs preset: without one, write the schema in table");
    } else if (own_table) {
      ctx.error(v->path, v->mark, "is for the preset's table: with table, write it there");
    } else {
      assign(read_identifier(ctx, *v), q.schema);
    }
  }

  // Kept rows are counted as they finish, by this timestamp; without it nothing would count.
  if (q.completed_rows == CompletedRows::kept && !q.timestamps.finished) {
    const bool have_mapping = timestamps && timestamps->node.IsMap();
    ctx.error(child_path(child_path(map.path(), "timestamps"), "finished"),
              have_mapping ? timestamps->mark : map.mark(),
              "is required with completed_rows: kept (finished jobs are counted by this "
              "timestamp); use completed_rows: deleted if the queue deletes finished rows");
  }
  return q;
}

}  // namespace

void decode_queues(Context& ctx, const Value& value, const std::vector<TargetConfig>& targets,
                   std::vector<QueueConfig>& out) {
  for (const Value& item : read_sequence(ctx, value)) {
    QueueConfig queue = decode_queue(ctx, item, targets);
    const QueueConfig* first = find_by_name(out, queue.name);
    if (!queue.name.empty() && first != nullptr) {
      ctx.error(child_path(item.path, "name"), mark_of(item.node["name"].Mark()),
                fmt::format("duplicate queue name \"{}\" (first defined at line {})", queue.name,
                            first->mark.line));
      continue;
    }
    out.push_back(std::move(queue));
  }
}

}  // namespace qw::config::detail
