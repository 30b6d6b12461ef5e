#pragma once
// A section of the config file described once, as data. Each key is one row: its name, the struct
// member it fills, the reader that checks it (with its bounds), and a one-line doc; its default is
// the member's value in a default-constructed struct. From the rows come the accepted keys (and
// with them MapReader's "did you mean" suggestions), the decoding, the override patches of the
// rules, and the reference that docs/configuration.md is tested against (config/reference.hpp).
//
// Keys whose meaning depends on other keys (a table name that also sets the schema, a backoff
// that must not undercut the interval) still get a row: their reader is custom, but their name,
// doc and default are declared here like every other key's. Internal to config/.
#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config/dsn_check.hpp"
#include "config/presets.hpp"
#include "config/yaml_reader.hpp"

namespace qw::config::detail {

// How one kind of value is read and checked, and how the reference shows it.
template <typename T>
struct Reader {
  std::function<std::optional<T>(Context&, const Value&)> read;
  std::function<std::string(const T&)> show;
  std::string range;  // for the reference: "1s to 7d", "true or false"; may be empty
};

Reader<Duration> duration_reader(const DurationBounds& bounds);
Reader<std::int64_t> integer_reader(const IntegerBounds& bounds);
// A finite real number in [min, max].
Reader<double> real_reader(double min, double max);
Reader<bool> bool_reader();
Reader<std::string> string_reader();           // any string, "" included
Reader<std::string> nonempty_string_reader();  // read_nonempty_string
Reader<std::string> identifier_reader();       // read_identifier: a column or schema name
Reader<std::string> name_reader();             // read_name: a target or queue name

template <typename T, std::size_t N>
Reader<T> enum_reader(const EnumWord<T> (&table)[N]) {
  std::vector<EnumWord<T>> words(std::begin(table), std::end(table));
  std::string range;
  for (const EnumWord<T>& w : words)
    range += (range.empty() ? "`" : ", `") + std::string(w.word) + "`";
  return Reader<T>{[&table](Context& ctx, const Value& v) { return read_enum(ctx, v, table); },
                   [words](const T& value) {
                     for (const EnumWord<T>& w : words)
                       if (w.value == value) return std::string(w.word);
                     return std::string("?");
                   },
                   range};
}

// One key of a mapping that decodes straight into the struct S.
template <typename S>
struct Field {
  std::string_view key;
  std::string_view doc;
  std::function<void(Context&, const Value&, S&)> decode;
  std::function<std::string(const S&)> show;  // the member's value, as the reference shows it
  std::string range;
  bool required = false;
  std::string default_text;  // when set, the reference's default instead of show(defaults)
  // Rows are decoded in two passes, in row order within each: a key whose check needs another
  // key's value (a queue's state needs its completed_rows) is read in the second.
  int pass = 0;
};

template <typename T>
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};

// How a value reads in the reference: `5s`, `true`; an unset optional is "none". The member may
// be wider or narrower than what the reader yields (a std::size_t read as an integer).
template <typename T, typename M>
std::string show_value(const Reader<T>& reader, const M& value) {
  if constexpr (is_optional<M>::value) {
    return value ? fmt::format("`{}`", reader.show(static_cast<T>(*value))) : std::string("none");
  } else {
    return fmt::format("`{}`", reader.show(static_cast<T>(value)));
  }
}

// A row for `key`, read by `reader` into `member` (a T or an optional T).
template <typename S, typename M, typename T>
Field<S> field(std::string_view key, M S::*member, Reader<T> reader, std::string_view doc) {
  return Field<S>{key,
                  doc,
                  [member, read = reader.read](Context& ctx, const Value& v, S& out) {
                    assign(read(ctx, v), out.*member);
                  },
                  [member, reader](const S& s) { return show_value(reader, s.*member); },
                  reader.range,
                  false,
                  "",
                  0};
}

// A row read by its own code (a cross-key check, a nested section); the reference shows
// `default_doc` as its default.
template <typename S>
Field<S> custom_field(std::string_view key, std::string accepts, std::string_view doc,
                      std::function<void(Context&, const Value&, S&)> decode,
                      std::string default_doc) {
  return Field<S>{key,
                  doc,
                  std::move(decode),
                  [](const S&) { return std::string(); },
                  std::move(accepts),
                  false,
                  std::move(default_doc),
                  0};
}

// A key read together with others by the section's own code (the `url`, `url_file`, `url_env`
// forms of one secret, of which at most one may be given): the row accepts and documents it.
template <typename S>
Field<S> read_by_section(std::string_view key, std::string accepts, std::string_view doc,
                         std::string default_doc) {
  return custom_field<S>(
      key, std::move(accepts), doc, [](Context&, const Value&, S&) {}, std::move(default_doc));
}

// The same row, for a key that must be given (its default is then "required").
template <typename S>
Field<S> required(Field<S> f) {
  f.required = true;
  f.default_text = "required";
  return f;
}

// A row (Field or PatchField) whose default reads as `text` rather than the member's value: a
// default computed elsewhere, such as a per-queue override of a probe setting.
template <typename Row>
Row default_text(Row f, std::string text) {
  f.default_text = std::move(text);
  return f;
}

// A row whose reader is its own: what it accepts, as the reference says.
template <typename Row>
Row accepts(Row f, std::string text) {
  f.range = std::move(text);
  return f;
}

// The default as the reference shows it.
template <typename Row, typename S>
std::string shown_default(const Row& row, const S& defaults) {
  return row.default_text.empty() ? row.show(defaults) : row.default_text;
}

// The same row, read in the second pass.
template <typename S>
Field<S> later(Field<S> f) {
  f.pass = 1;
  return f;
}

// A row of an inner struct as a row of the struct holding it, so that a decoder can keep what
// the cross-key checks need next to the config it fills.
template <typename Outer, typename Inner>
Field<Outer> lift_field(Field<Inner> f, Inner Outer::*inner) {
  return Field<Outer>{f.key,
                      f.doc,
                      [decode = f.decode, inner](Context& ctx, const Value& v, Outer& out) {
                        decode(ctx, v, out.*inner);
                      },
                      [show = f.show, inner](const Outer& o) { return show(o.*inner); },
                      f.range,
                      f.required,
                      f.default_text,
                      f.pass};
}

template <typename Row>
std::vector<std::string_view> keys_of(const std::vector<Row>& rows) {
  std::vector<std::string_view> keys;
  keys.reserve(rows.size());
  for (const Row& r : rows) keys.push_back(r.key);
  return keys;
}

// Reads every row's key from `map` into `out`, in row order. A missing required key is
// reported at the mapping, as MapReader::require does.
template <typename S>
void decode_fields(Context& ctx, MapReader& map, const std::vector<Field<S>>& rows, S& out) {
  for (int pass : {0, 1}) {
    for (const Field<S>& row : rows) {
      if (row.pass != pass) continue;
      const std::optional<Value> v = row.required ? map.require(row.key) : map.get(row.key);
      if (v) row.decode(ctx, *v, out);
    }
  }
}

// One key of a rule, read into a patch (only what an entry sets) and applied onto the rule.
// `defaults` and every `overrides` entry decode with the same rows, so a key means the same
// thing, with the same checks, in both places.
template <typename Rule, typename Patch>
struct PatchField {
  std::string_view key;
  std::string_view doc;
  std::function<void(Context&, const Value&, Patch&)> decode;
  std::function<void(const Patch&, Rule&)> apply;
  std::function<std::string(const Rule&)> show;
  std::string range;
  std::string default_text;  // as Field's
};

// A row whose patch member is a Set<T> and whose rule member a T (or an optional T).
template <typename Rule, typename Patch, typename M, typename T>
PatchField<Rule, Patch> patch_field(std::string_view key, M Rule::*rule_member,
                                    std::optional<T> Patch::*patch_member, Reader<T> reader,
                                    std::string_view doc) {
  return PatchField<Rule, Patch>{
      key,
      doc,
      [patch_member, read = reader.read](Context& ctx, const Value& v, Patch& p) {
        p.*patch_member = read(ctx, v);
      },
      [rule_member, patch_member](const Patch& p, Rule& r) {
        if (p.*patch_member) r.*rule_member = *(p.*patch_member);
      },
      [rule_member, reader](const Rule& r) { return show_value(reader, r.*rule_member); },
      reader.range,
      ""};
}

// The rows of an inner struct (a rule's `common` part) as rows of the struct holding it.
template <typename Outer, typename OuterPatch, typename Inner, typename InnerPatch>
PatchField<Outer, OuterPatch> lift(const PatchField<Inner, InnerPatch>& f, Inner Outer::*inner,
                                   InnerPatch OuterPatch::*inner_patch) {
  return PatchField<Outer, OuterPatch>{
      f.key,
      f.doc,
      [decode = f.decode, inner_patch](Context& ctx, const Value& v, OuterPatch& p) {
        decode(ctx, v, p.*inner_patch);
      },
      [apply = f.apply, inner, inner_patch](const OuterPatch& p, Outer& r) {
        apply(p.*inner_patch, r.*inner);
      },
      [show = f.show, inner](const Outer& r) { return show(r.*inner); },
      f.range,
      f.default_text};
}

template <typename Rule, typename Patch>
void decode_patch(Context& ctx, const MapReader& map,
                  const std::vector<PatchField<Rule, Patch>>& rows, Patch& out) {
  for (const PatchField<Rule, Patch>& row : rows) {
    if (auto v = map.get(row.key)) row.decode(ctx, *v, out);
  }
}

template <typename Rule, typename Patch>
void apply_rows(const std::vector<PatchField<Rule, Patch>>& rows, const Patch& p, Rule& r) {
  for (const PatchField<Rule, Patch>& row : rows) row.apply(p, r);
}

// One rule under `rules.defaults` / `rules.overrides[]`: its key and rows, over the whole
// QueueRules so that rules of different types sit in one list.
struct RuleSection {
  std::string_view name;
  std::vector<PatchField<QueueRules, QueueRulesPatch>> fields;
  std::function<RuleCommon&(QueueRules&)> common;  // the rule's shared keys (runbook_base_url)
};

// The rule sections, in file order (decode_rules.cpp).
const std::vector<RuleSection>& rule_sections();
// The keys every rule has (enabled, for, severity, ...): `rules.database_unavailable` is just
// these.
const std::vector<PatchField<RuleCommon, RuleCommonPatch>>& rule_common_fields();

// The rules that are keys of `rules` itself, not of `defaults`: they judge a target or a cluster,
// so they have the keys every rule has, their own (`own`, e.g. replica_lag.max_lag) and no
// per-queue overrides.
struct TopRule {
  std::string_view name;
  std::string_view doc;
  RuleCommon& (*common)(RulesConfig&);
  std::vector<Field<RulesConfig>> own = {};
};
const std::vector<TopRule>& top_rules();

// The sections whose rows live in decode_root.cpp.
const std::vector<Field<Config>>& root_fields();
const std::vector<Field<HttpConfig>>& http_fields();
const std::vector<Field<ProbesConfig>>& probes_fields();
// A probe kind's settings (probes.postgres_health, probes.postgres_queue), with what the
// cross-key check needs: a refused interval is reported once, not again via max_backoff.
struct ProbeDecode {
  ProbeSettings settings;
  bool interval_ok = true;
};
const std::vector<Field<ProbeDecode>>& probe_fields();

// A target, with what the cross-key check needs: password_file is refused next to a dsn that
// holds a password.
struct TargetDecode {
  TargetConfig target;
  DsnCheck dsn;
  const std::vector<ProviderConfig>* providers = nullptr;  // `provider` must name one
};
const std::vector<Field<TargetDecode>>& target_fields();
const std::vector<Field<ProviderConfig>>& provider_fields();

// A cluster, with what its cross-key checks need: members must be targets.
struct ClusterDecode {
  ClusterConfig cluster;
  const std::vector<TargetConfig>* targets = nullptr;
};
const std::vector<Field<ClusterDecode>>& cluster_fields();

// A queue source, with what its cross-key checks need.
struct QueueDecode {
  QueueConfig queue;
  // `target` must name one (clusters are in the list too, by name: decode_root.cpp)
  const std::vector<TargetConfig>* targets = nullptr;
  const Preset* preset = nullptr;   // `schema` needs one ...
  bool own_table = false;           // ... and no `table` of the source's own
  bool queue_column_given = false;  // `queue_names` needs one, even a refused one
};
const std::vector<Field<QueueDecode>>& queue_fields();
const std::vector<Field<WarmStartConfig>>& warm_start_fields();
const std::vector<Field<TimestampMapping>>& timestamp_fields();

// `queues[].state`: its keys form two styles that exclude each other (a column with value lists,
// or four SQL expressions), so they are rows of their own kind: the style, the member, and when
// the key must be given. decode_state reads them; the reference documents them.
struct StateKey {
  std::string_view key;
  enum class Style { column, list, expression } style;
  std::vector<std::string> StateMapping::*list;  // Style::list
  std::string StateMapping::*expression;         // Style::expression
  enum class Need { required, unless_deleted, optional } need;
  std::string_view doc;
};
const std::vector<StateKey>& state_keys();

// `alerting` and its parts (decode_alerting.cpp). Receivers are read before routes and
// default_receiver, which must name one of them.
struct ReceiverDecode {
  ReceiverConfig receiver;
  bool kind_known = false;  // `type` was read: the per-type checks apply
};
struct RouteDecode {
  Route route;
  const std::vector<ReceiverConfig>* receivers = nullptr;
};
// A matcher in its mapping form {label, op, value}: all three, each valid, or none.
struct MatcherDecode {
  LabelMatcher matcher;
  std::size_t keys_read = 0;
};
const std::vector<Field<MatcherDecode>>& matcher_fields();
const std::vector<Field<AlertingConfig>>& alerting_fields();
const std::vector<Field<RouteDecode>>& route_fields();
const std::vector<Field<ReceiverDecode>>& receiver_fields();
const std::vector<Field<InhibitRule>>& inhibit_rule_fields();
const std::vector<Field<HeartbeatConfig>>& heartbeat_fields();

// `rules` itself, and the keys of an `overrides` entry before its rules.
const std::vector<Field<RulesConfig>>& rules_fields();
const std::vector<Field<RuleOverride>>& override_fields();

}  // namespace qw::config::detail
