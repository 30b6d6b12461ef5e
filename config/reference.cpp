#include "config/reference.hpp"

#include <fmt/format.h>

#include "config/schema.hpp"

namespace qw::config {
namespace {

// Cells hold no '|' of their own: the docs' tables would split there.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string row(std::string_view key, std::string_view def, std::string_view range,
                std::string_view doc) {
  return fmt::format("| `{}` | {} | {} | {} |\n", key, cell(def), cell(range), cell(doc));
}

constexpr std::string_view kConfigDoc = "docs/configuration.md";

constexpr std::string_view kHeader =
    "| Key | Default | Accepts | |\n"
    "|-----|---------|---------|--|\n";

// One row per key of `rows`, defaults from `defaults`; keys shown as `prefix` + key.
template <typename S>
std::string table(const std::vector<detail::Field<S>>& rows, const S& defaults,
                  std::string_view prefix = "") {
  std::string out(kHeader);
  for (const detail::Field<S>& f : rows)
    out += row(fmt::format("{}{}", prefix, f.key), shown_default(f, defaults), f.range, f.doc);
  return out;
}

template <typename S>
std::vector<ReferenceRow> rows_of(const std::vector<detail::Field<S>>& rows, const S& defaults) {
  std::vector<ReferenceRow> out;
  for (const detail::Field<S>& f : rows) {
    out.push_back({std::string(f.key), shown_default(f, defaults), f.range, std::string(f.doc)});
  }
  return out;
}

std::string markdown_of(const std::vector<ReferenceRow>& rows) {
  std::string out(kHeader);
  for (const ReferenceRow& r : rows) out += row(r.key, r.default_value, r.accepts, r.doc);
  return out;
}

// A section documented by a table of prose in the docs: its keys and defaults are checked.
template <typename S>
ReferenceSection prose_section(std::string name, std::string heading,
                               const std::vector<detail::Field<S>>& fields, const S& defaults) {
  ReferenceSection section{std::move(name), std::string(kConfigDoc),   std::move(heading),
                           false,           rows_of(fields, defaults), ""};
  section.markdown = markdown_of(section.rows);
  return section;
}

// The probe kinds share their keys; the docs give every kind's default in one column.
ReferenceSection probes_section() {
  const ProbesConfig defaults;
  const detail::ProbeDecode health{defaults.health};
  const detail::ProbeDecode queue{defaults.queue};
  const detail::ProbeDecode replication{defaults.replication};
  ReferenceSection section{"probes.*", std::string(kConfigDoc), "## `probes`", false, {}, ""};
  for (const auto& f : detail::probe_fields()) {
    section.rows.push_back({std::string(f.key),
                            shown_default(f, health) + " / " + shown_default(f, queue) + " / " +
                                shown_default(f, replication),
                            f.range, std::string(f.doc)});
  }
  section.markdown = markdown_of(section.rows);
  return section;
}

// `rules`: the keys every rule has, then each rule's own. A common key whose default is the same
// for every rule is listed once; one whose default differs (`for`, `severity`) per rule.
std::string rules_reference() {
  using namespace detail;
  const QueueRules queue_defaults;
  RulesConfig rules_defaults;
  const auto& common = rule_common_fields();
  const auto& sections = rule_sections();

  // The rows of a section that come from the common ones are its first common.size() rows.
  std::vector<bool> same(common.size(), true);
  for (std::size_t i = 0; i < common.size(); ++i) {
    const std::string first = shown_default(common[i], rules_defaults.database_unavailable.common);
    for (const RuleSection& s : sections)
      same[i] = same[i] && shown_default(s.fields[i], queue_defaults) == first;
    for (const TopRule& r : top_rules())
      same[i] = same[i] && shown_default(common[i], r.common(rules_defaults)) == first;
  }

  std::string out = table(rules_fields(), RulesConfig{}, "rules.");
  out += "\nAn entry of `rules.overrides`, besides the rules it changes:\n\n";
  out += table(override_fields(), RuleOverride{});
  out += "\nKeys of every rule, in `rules.defaults.RULE`, `rules.overrides[].RULE` and ";
  std::string top_names;
  for (const TopRule& r : top_rules())
    top_names += fmt::format("{}`rules.{}`", top_names.empty() ? "" : ", ", r.name);
  out += top_names + ":\n\n";
  out += kHeader;
  for (std::size_t i = 0; i < common.size(); ++i) {
    const std::string def =
        same[i] ? shown_default(common[i], rules_defaults.database_unavailable.common)
                : "per rule, below";
    out += row(common[i].key, def, common[i].range, common[i].doc);
  }
  out += "\nEach rule's own keys and defaults:\n\n";
  out += kHeader;
  for (const RuleSection& s : sections) {
    for (std::size_t i = 0; i < s.fields.size(); ++i) {
      if (i < common.size() && same[i]) continue;
      const auto& f = s.fields[i];
      out += row(fmt::format("{}.{}", s.name, f.key), shown_default(f, queue_defaults), f.range,
                 f.doc);
    }
  }
  for (const TopRule& r : top_rules()) {
    for (std::size_t i = 0; i < common.size(); ++i) {
      if (same[i]) continue;
      out +=
          row(fmt::format("{}.{}", r.name, common[i].key),
              shown_default(common[i], r.common(rules_defaults)), common[i].range, common[i].doc);
    }
    for (const auto& f : r.own)
      out += row(fmt::format("{}.{}", r.name, f.key), shown_default(f, rules_defaults), f.range,
                 f.doc);
  }
  return out;
}

// `queues[].state`: two styles; what each key accepts and when it must be given.
ReferenceSection state_section() {
  using detail::StateKey;
  ReferenceSection section{"queues[].state", std::string(kConfigDoc), "", true, {}, ""};
  for (const StateKey& k : detail::state_keys()) {
    std::string need, accepts;
    switch (k.need) {
      case StateKey::Need::required:
        need = k.style == StateKey::Style::expression ? "required with expressions"
                                                      : "required with `column`";
        break;
      case StateKey::Need::unless_deleted:
        need = "required with `column`, unless `completed_rows: deleted`";
        break;
      case StateKey::Need::optional:
        need = k.style == StateKey::Style::column ? "none: expressions" : "`[]`";
        break;
    }
    switch (k.style) {
      case StateKey::Style::column:
        accepts = "a column name";
        break;
      case StateKey::Style::list:
        accepts = "a list of values, each in one list only";
        break;
      case StateKey::Style::expression:
        accepts = "a boolean SQL expression";
        break;
    }
    section.rows.push_back({std::string(k.key), need, accepts, std::string(k.doc)});
  }
  section.markdown = markdown_of(section.rows);
  return section;
}

// `alerting`, as docs/alerting.md's table has it: nested sections flattened into
// `routes[].KEY` rows, and the forms of one secret (`url`, `url_file`, `url_env`) in one row.
template <typename S>
void add_flat(std::vector<ReferenceRow>& out, const std::string& prefix,
              const std::vector<detail::Field<S>>& fields, const S& defaults) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const detail::Field<S>& f = fields[i];
    std::string key = prefix + std::string(f.key);
    std::string base(f.key);
    if (base.ends_with("_file")) base.resize(base.size() - 5);
    while (i + 1 < fields.size() &&
           (fields[i + 1].key == base + "_file" || fields[i + 1].key == base + "_env")) {
      key += fmt::format("`, `{}", fields[++i].key);
    }
    out.push_back({key, shown_default(f, defaults), f.range, std::string(f.doc)});
  }
}

ReferenceSection alerting_section() {
  using namespace detail;
  ReferenceSection section{"alerting", "docs/alerting.md", "### Keys", false, {}, ""};
  const AlertingConfig defaults;
  for (const Field<AlertingConfig>& f : alerting_fields()) {
    if (f.key == "routes") {
      add_flat(section.rows, "routes[].", route_fields(), RouteDecode{});
    } else if (f.key == "receivers") {
      add_flat(section.rows, "receivers[].", receiver_fields(), ReceiverDecode{});
    } else if (f.key == "inhibit_rules") {
      add_flat(section.rows, "inhibit_rules[].", inhibit_rule_fields(), InhibitRule{});
    } else if (f.key == "heartbeat") {
      add_flat(section.rows, "heartbeat.", heartbeat_fields(), HeartbeatConfig{});
    } else {
      section.rows.push_back(
          {std::string(f.key), shown_default(f, defaults), f.range, std::string(f.doc)});
    }
  }
  section.markdown = markdown_of(section.rows);
  return section;
}

}  // namespace

std::vector<ReferenceSection> config_reference() {
  using namespace detail;
  // Named, not temporaries: g++ 12 at -O2 reports a false -Wmaybe-uninitialized on a Config{}
  // passed by reference here (Release builds failed -Werror).
  const Config config;
  const HttpConfig http;
  const TargetDecode target;
  const ProviderConfig provider;
  const QueueDecode queue;
  const ClusterDecode cluster;
  const TimestampMapping timestamps;
  std::vector<ReferenceSection> out;
  out.push_back(prose_section("top level", "## Top level", root_fields(), config));
  out.push_back(prose_section("http", "## `http`", http_fields(), http));
  out.push_back(probes_section());
  out.push_back(prose_section("targets[]", "## `targets`", target_fields(), target));
  out.push_back(prose_section("providers[]", "## `providers`", provider_fields(), provider));
  out.push_back(prose_section("clusters[]", "## `clusters`", cluster_fields(), cluster));
  out.push_back(prose_section("queues[]", "## `queues`", queue_fields(), queue));
  out.push_back(state_section());
  out.push_back(
      prose_section("queues[].timestamps", "### Timestamps", timestamp_fields(), timestamps));
  out.push_back({"rules", std::string(kConfigDoc), "", true, {}, rules_reference()});
  out.push_back(alerting_section());
  return out;
}

}  // namespace qw::config

namespace qw::config {

std::string reference_markdown() {
  std::string out =
      "# queuewatch configuration reference\n\n"
      "Generated from the code that reads the file; the documentation explains each key.\n";
  for (const ReferenceSection& section : config_reference()) {
    out += fmt::format("\n## `{}` ({})\n\n", section.name, section.doc);
    out += section.markdown;
  }
  return out;
}

}  // namespace qw::config
