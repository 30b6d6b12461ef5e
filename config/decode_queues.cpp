// `queues`: job tables to watch, each read through a mapping of its columns. Each key is one row
// (config/schema.hpp).
#include <fmt/format.h>

#include <limits>

#include "config/decoders.hpp"
#include "config/duration.hpp"
#include "config/presets.hpp"
#include "config/schema.hpp"
#include "config/suggest.hpp"
#include "config/table_name.hpp"

namespace qw::config::detail {
namespace {

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

// `{enabled: true, lookback: 28d, timeout: 30s}`: the defaults, in the form a source may write.
std::string warm_start_default() {
  const WarmStartConfig defaults;
  std::string out;
  for (const Field<WarmStartConfig>& row : warm_start_fields()) {
    std::string shown = row.show(defaults);
    std::erase(shown, '`');
    out += fmt::format("{}{}: {}", out.empty() ? "" : ", ", row.key, shown);
  }
  return "`{" + out + "}`";
}

// `warm_start: false`, or a mapping of its settings.
void decode_warm_start(Context& ctx, const Value& value, WarmStartConfig& out) {
  if (value.node.IsScalar()) {
    assign(read_bool(ctx, value), out.enabled);
    return;
  }
  MapReader map(ctx, value, keys_of(warm_start_fields()));
  if (!map.is_mapping()) return;
  decode_fields(ctx, map, warm_start_fields(), out);
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

// A row that decodes with its own code; the default is documented as `default_doc`.
Field<QueueDecode> custom(std::string_view key, std::string accepts, std::string_view doc,
                          std::function<void(Context&, const Value&, QueueDecode&)> decode,
                          std::string default_doc) {
  return Field<QueueDecode>{key,
                            doc,
                            std::move(decode),
                            [](const QueueDecode&) { return std::string(); },
                            std::move(accepts),
                            false,
                            std::move(default_doc),
                            0};
}

// `pg-boss`, `graphile-worker`, ...: what `preset:` accepts.
std::string preset_names() {
  std::string out;
  for (const Preset& p : presets()) out += fmt::format("{}`{}`", out.empty() ? "" : ", ", p.name);
  return out;
}

std::vector<Field<QueueDecode>> make_queue_rows() {
  auto of_queue = [](auto row) { return lift_field(std::move(row), &QueueDecode::queue); };
  using Q = QueueConfig;
  return {
      of_queue(required(
          field("name", &Q::name, name_reader(), "unique among queues; the `source` label"))),
      required(custom(
          "target", "a target's `name`", "the `name` of a target: the database holding the table",
          [](Context& ctx, const Value& v, QueueDecode& out) {
            if (std::optional<std::string> name = read_nonempty_string(ctx, v)) {
              check_target_reference(ctx, v, *name, *out.targets);
              out.queue.target = std::move(*name);
            }
          },
          "")),
      required(custom(
          "table", "`table` or `schema.table`",
          "`table` or `schema.table`, read as PostgreSQL reads a qualified name",
          [](Context& ctx, const Value& v, QueueDecode& out) {
            if (std::optional<std::string> text = read_nonempty_string(ctx, v)) {
              TableNameResult split = split_table_name(*text);
              if (split.name) {
                out.queue.schema = std::move(split.name->schema);
                out.queue.table = std::move(split.name->table);
              } else {
                ctx.error(v.path, v.mark, fmt::format("\"{}\": {}", *text, split.error));
              }
            }
          },
          "")),
      of_queue(field("id_column", &Q::id_column, identifier_reader(), "the primary key")),
      custom(
          "queue_column", "a column name", "the column naming each job's queue",
          [](Context& ctx, const Value& v, QueueDecode& out) {
            out.queue_column_given = true;
            assign(read_identifier(ctx, v), out.queue.queue_column);
          },
          "none"),
      custom(
          "queue_names", "a list of names",
          "a fixed list of queues to report (needs `queue_column`)",
          [](Context& ctx, const Value& v, QueueDecode& out) {
            assign(read_string_list(ctx, v), out.queue.queue_names);
            if (!out.queue_column_given) {
              ctx.error(v.path, v.mark,
                        "needs queue_column: without it the table is one queue, named after "
                        "the source");
            }
          },
          "discover"),
      // Read before the mapping is (apply_preset): its keys are the mapping's defaults.
      custom(
          "preset", preset_names(),
          "fills in every key the source does not give with a job system's mapping",
          [](Context&, const Value&, QueueDecode&) {}, "none"),
      custom(
          "schema", "a schema name", "with `preset` and without `table`: the job system's schema",
          [](Context& ctx, const Value& v, QueueDecode& out) {
            // The schema a library was told to use (pg-boss `schema`, graphile-worker
            // `--schema`).
            if (out.preset == nullptr) {
              ctx.error(v.path, v.mark, "needs preset: without one, write the schema in table");
            } else if (out.own_table) {
              ctx.error(v.path, v.mark, "is for the preset's table: with table, write it there");
            } else {
              assign(read_identifier(ctx, v), out.queue.schema);
            }
          },
          "the preset's"),
      // Second pass: whether `completed` may be empty depends on completed_rows.
      later(required(custom(
          "state", "a mapping", "how a row tells its state",
          [](Context& ctx, const Value& v, QueueDecode& out) {
            decode_state(ctx, v, out.queue.completed_rows, out.queue.state);
          },
          ""))),
      custom(
          "timestamps", "a mapping", "which columns hold the job's timestamps",
          [](Context& ctx, const Value& v, QueueDecode& out) {
            decode_timestamps(ctx, v, out.queue.timestamps);
          },
          "see below"),
      of_queue(field("completed_rows", &Q::completed_rows, enum_reader(kCompletedRows),
                     "whether finished rows stay in the table or are deleted")),
      of_queue(field("settle_delay", &Q::settle_delay, duration_reader(bounds::kSettleDelay),
                     "rows finished this recently are counted on a later run")),
      of_queue(field("count_cap", &Q::count_cap, integer_reader(bounds::kCountCap),
                     "rows the probe may count per round for this source")),
      of_queue(default_text(field("interval", &Q::interval, duration_reader(bounds::kProbeInterval),
                                  "per-queue override of the probe interval"),
                            "`probes.postgres_queue.interval`")),
      of_queue(default_text(
          field("query_timeout", &Q::query_timeout, duration_reader(bounds::kProbeQueryTimeout),
                "per-queue override of the probe query timeout"),
          "`probes.postgres_queue.query_timeout`")),
      custom(
          "warm_start", "`false` or a mapping",
          "read the table's completions per hour once at start-up",
          [](Context& ctx, const Value& v, QueueDecode& out) {
            decode_warm_start(ctx, v, out.queue.warm_start);
          },
          warm_start_default()),
  };
}

QueueConfig decode_queue(Context& ctx, const Value& value,
                         const std::vector<TargetConfig>& targets) {
  QueueDecode out;
  out.queue.mark = value.mark;
  out.targets = &targets;
  out.own_table = value.node.IsMap() && value.node["table"];
  out.preset = apply_preset(ctx, value);
  MapReader map(ctx, value, keys_of(queue_fields()));
  if (!map.is_mapping()) return out.queue;
  decode_fields(ctx, map, queue_fields(), out);

  QueueConfig& q = out.queue;
  // Kept rows are counted as they finish, by this timestamp; without it nothing would count.
  if (q.completed_rows == CompletedRows::kept && !q.timestamps.finished) {
    const std::optional<Value> timestamps = map.get("timestamps");
    const bool have_mapping = timestamps && timestamps->node.IsMap();
    ctx.error(child_path(child_path(map.path(), "timestamps"), "finished"),
              have_mapping ? timestamps->mark : map.mark(),
              "is required with completed_rows: kept (finished jobs are counted by this "
              "timestamp); use completed_rows: deleted if the queue deletes finished rows");
  }
  return q;
}

}  // namespace

const std::vector<Field<QueueDecode>>& queue_fields() {
  static const std::vector<Field<QueueDecode>> rows = make_queue_rows();
  return rows;
}

const std::vector<Field<WarmStartConfig>>& warm_start_fields() {
  static const std::vector<Field<WarmStartConfig>> rows = {
      field("enabled", &WarmStartConfig::enabled, bool_reader(), "`false` turns it off"),
      // At most the hourly history the rules keep (kMaxWarmStartLookback).
      field("lookback", &WarmStartConfig::lookback, duration_reader(bounds::kWarmStartLookback),
            "how far back the completions are read"),
      field("timeout", &WarmStartConfig::timeout, duration_reader(bounds::kWarmStartTimeout),
            "that one read's deadline"),
  };
  return rows;
}

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
