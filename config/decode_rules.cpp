// The `rules` section: timezone, thresholds for every rule, and per-queue overrides. `defaults`
// and each `overrides` entry decode into the same patch type, so a field means the same thing in
// both places and is checked by the same code. Each key is one row (config/schema.hpp): the key
// lists, the decoding, apply_patch and the reference in docs/configuration.md come from the rows.
// A new rule key is a member of the rule, a Set<> of its patch, and one row here.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>

#include "config/decoders.hpp"
#include "config/schema.hpp"

namespace qw::config::detail {
namespace {

constexpr EnumWord<Severity> kSeverities[] = {
    {"info", Severity::info}, {"warning", Severity::warning}, {"critical", Severity::critical}};

// Labels every condition carries already; a rule label may not redefine them, or routing on
// `queue` or `severity` would see a different value than the page shows.
constexpr std::string_view kReservedLabels[] = {"alertname", "severity", "target",
                                                "source",    "queue",    "region"};

constexpr const char* kZoneinfoDir = "/usr/share/zoneinfo";

// A base the runbook file names are appended to: a URL with a host, and nothing that would end
// the path early (a query or fragment) or read as a template.
bool is_runbook_base(std::string_view s) {
  std::string_view rest;
  if (s.starts_with("https://")) {
    rest = s.substr(8);
  } else if (s.starts_with("http://")) {
    rest = s.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/') return false;
  return s.find_first_of(" \t\r\n?#") == std::string_view::npos &&
         s.find("{{") == std::string_view::npos;
}

std::string runbook_url(const std::string& base, std::string_view alertname) {
  return fmt::format("{}/{}.md", base, alertname);
}

// Templates may only use what the renderer knows; a typo would otherwise reach the page as-is.
std::optional<std::string> read_template(Context& ctx, const Value& v) {
  std::optional<std::string> s = read_string(ctx, v);
  if (!s) return s;
  std::size_t pos = 0;
  while ((pos = s->find("{{", pos)) != std::string::npos) {
    const std::size_t close = s->find("}}", pos);
    if (close == std::string::npos) {
      ctx.error(v.path, v.mark, "unclosed \"{{\" in template");
      return std::nullopt;
    }
    std::string inner = s->substr(pos + 2, close - pos - 2);
    const auto first = inner.find_first_not_of(' ');
    const auto last = inner.find_last_not_of(' ');
    inner = first == std::string::npos ? "" : inner.substr(first, last - first + 1);
    const bool ok =
        inner == "$value" || (inner.starts_with("$labels.") && is_label_name(inner.substr(8)));
    if (!ok) {
      ctx.error(v.path, v.mark,
                fmt::format("unknown template expression \"{{{{ {} }}}}\" (use {{{{ $value }}}} "
                            "or {{{{ $labels.NAME }}}})",
                            inner));
      return std::nullopt;
    }
    pos = close + 2;
  }
  return s;
}

Reader<std::string> template_reader() {
  return Reader<std::string>{read_template, [](const std::string& s) { return s; },
                             "a template with `{{ $value }}`, `{{ $labels.NAME }}`"};
}

using CommonRow = PatchField<RuleCommon, RuleCommonPatch>;

// `labels` merges key by key (a later entry adds to an earlier one's), so it is no Set<>.
CommonRow labels_row() {
  return CommonRow{"labels",
                   "added to the alert's labels, for routing",
                   [](Context& ctx, const Value& v, RuleCommonPatch& p) {
                     read_label_map(ctx, v, kReservedLabels,
                                    "is set by queuewatch itself and cannot be redefined",
                                    p.labels);
                   },
                   [](const RuleCommonPatch& p, RuleCommon& r) {
                     for (const auto& [k, v] : p.labels) r.labels[k] = v;
                   },
                   [](const RuleCommon& r) {
                     std::string out;
                     for (const auto& [k, v] : r.labels)
                       out += fmt::format("{}{}={}", out.empty() ? "" : ", ", k, v);
                     return out;
                   },
                   "label: value",
                   "none"};
}

std::vector<CommonRow> make_common_rows() {
  using C = RuleCommon;
  using P = RuleCommonPatch;
  std::vector<CommonRow> rows = {
      patch_field("enabled", &C::enabled, &P::enabled, bool_reader(), "`false` turns the rule off"),
      patch_field("for", &C::for_duration, &P::for_duration, duration_reader(bounds::kFor),
                  "pending this long before firing"),
      patch_field("keep_firing_for", &C::keep_firing_for, &P::keep_firing_for,
                  duration_reader(bounds::kKeepFiringFor),
                  "stays firing this long after the condition clears"),
      patch_field("severity", &C::severity, &P::severity, enum_reader(kSeverities),
                  "the `severity` label"),
      labels_row(),
  };
  rows.push_back(default_text(patch_field("summary", &C::summary, &P::summary, template_reader(),
                                          "the page's one-line summary"),
                              "the rule's own"));
  rows.push_back(default_text(patch_field("description", &C::description, &P::description,
                                          template_reader(), "the page's longer text"),
                              "the rule's own"));
  rows.push_back(default_text(patch_field("runbook_url", &C::runbook_url, &P::runbook_url,
                                          template_reader(), "a link for the person paged"),
                              "`runbook_base_url`/RULE.md, or none"));
  return rows;
}

// One rule's rows: the common ones, then its own, all over QueueRules / QueueRulesPatch.
template <typename Rule, typename Patch>
RuleSection rule_section(std::string_view name, Rule QueueRules::*rule,
                         Patch QueueRulesPatch::*patch,
                         const std::vector<PatchField<Rule, Patch>>& own) {
  RuleSection section{name, {}, [rule](QueueRules& r) -> RuleCommon& { return (r.*rule).common; }};
  for (const CommonRow& row : rule_common_fields()) {
    section.fields.push_back(lift(lift(row, &Rule::common, &Patch::common), rule, patch));
  }
  for (const PatchField<Rule, Patch>& row : own) section.fields.push_back(lift(row, rule, patch));
  return section;
}

std::vector<RuleSection> make_rule_sections() {
  using NT = NoThroughputRule;
  using NTP = decltype(QueueRulesPatch::no_throughput);
  using TC = ThroughputCollapseRule;
  using TCP = decltype(QueueRulesPatch::throughput_collapse);
  using BB = BelowBaselineRule;
  using BBP = decltype(QueueRulesPatch::below_baseline);
  using SP = StuckInProgressRule;
  using SPP = decltype(QueueRulesPatch::stuck_in_progress);
  using QL = QueueLatencyRule;
  using QLP = decltype(QueueRulesPatch::queue_latency);
  using FR = FailureRatioRule;
  using FRP = decltype(QueueRulesPatch::failure_ratio);
  using CM = CannotMeasureRule;
  using CMP = decltype(QueueRulesPatch::cannot_measure);
  // At most the per-minute history the rules keep (kMaxRuleWindow).
  const Reader<Duration> window = duration_reader(bounds::kWindow);
  return {
      rule_section<NT, NTP>(
          "no_throughput", &QueueRules::no_throughput, &QueueRulesPatch::no_throughput,
          {patch_field("grace", &NT::grace, &NTP::grace, duration_reader(bounds::kGrace),
                       "ready work older than this counts as waiting"),
           patch_field("min_silence", &NT::min_silence, &NTP::min_silence,
                       duration_reader(bounds::kMinSilence),
                       "never declare a stall on less silence than this"),
           patch_field("implausible_expected", &NT::implausible_expected,
                       &NTP::implausible_expected, real_reader(1, 1e6),
                       "completions expected in the silence for it to be implausible")}),
      rule_section<TC, TCP>(
          "throughput_collapse", &QueueRules::throughput_collapse,
          &QueueRulesPatch::throughput_collapse,
          {patch_field("ratio", &TC::ratio, &TCP::ratio, real_reader(0.001, 0.5),
                       "fire at or below this share of the expected count"),
           patch_field("implausible_expected", &TC::implausible_expected,
                       &TCP::implausible_expected, real_reader(1, 1e6),
                       "-ln P of the count's own noise producing the shortfall"),
           patch_field("sigmas", &TC::sigmas, &TCP::sigmas, real_reader(0, 100),
                       "log-scale standard deviations below the queue's normal level"),
           patch_field("max_window", &TC::max_window, &TCP::max_window, window,
                       "the longest window judged (5 minutes up to this); a queue so slow "
                       "or bursty that even a silence this long is not significant is also "
                       "judged on windows up to twice this (6h at most)")}),
      rule_section<BB, BBP>(
          "below_baseline", &QueueRules::below_baseline, &QueueRulesPatch::below_baseline,
          {patch_field("window", &BB::window, &BBP::window, window,
                       "the longest window compared (15 minutes up to this)"),
           patch_field("ratio", &BB::ratio, &BBP::ratio, real_reader(0.01, 1),
                       "fire below this share of the expected count"),
           patch_field("min_expected", &BB::min_expected, &BBP::min_expected, real_reader(0, 1e12),
                       "no judgement on a window expecting fewer jobs"),
           patch_field("sigmas", &BB::sigmas, &BBP::sigmas, real_reader(0, 100),
                       "log-scale standard deviations below the queue's normal level"),
           patch_field("warmup_floor_per_hour", &BB::warmup_floor_per_hour,
                       &BBP::warmup_floor_per_hour, real_reader(0, 1e12),
                       "static expectation while history is too short (0: none)")}),
      rule_section<SP, SPP>(
          "stuck_in_progress", &QueueRules::stuck_in_progress, &QueueRulesPatch::stuck_in_progress,
          {patch_field("running_for", &SP::running_for, &SPP::running_for,
                       duration_reader(bounds::kRunningFor),
                       "a job running longer than this is stuck"),
           patch_field("heartbeat_timeout", &SP::heartbeat_timeout, &SPP::heartbeat_timeout,
                       duration_reader(bounds::kHeartbeatTimeout),
                       "... or one whose heartbeat is older (when mapped)")}),
      rule_section<QL, QLP>(
          "queue_latency", &QueueRules::queue_latency, &QueueRulesPatch::queue_latency,
          {patch_field("max_age", &QL::max_age, &QLP::max_age, duration_reader(bounds::kMaxAge),
                       "the oldest ready job may be this old")}),
      rule_section<FR, FRP>(
          "failure_ratio", &QueueRules::failure_ratio, &QueueRulesPatch::failure_ratio,
          {patch_field("window", &FR::window, &FRP::window, window,
                       "failures are counted over this window"),
           patch_field("max_ratio", &FR::max_ratio, &FRP::max_ratio, real_reader(0, 1),
                       "fire above this failed / (completed + failed)"),
           patch_field("min_volume", &FR::min_volume, &FRP::min_volume, real_reader(0, 1e12),
                       "no judgement on fewer finished jobs in the window")}),
      rule_section<CM, CMP>(
          "cannot_measure", &QueueRules::cannot_measure, &QueueRulesPatch::cannot_measure,
          {default_text(
              patch_field("stale_after", &CM::stale_after, &CMP::stale_after,
                          duration_reader(bounds::kStaleAfter), "no fresh sample for this long"),
              "3 × the probe interval (at least 3 × `evaluation_interval`)")}),
  };
}

// `rules.defaults`: a mapping of rule names.
std::vector<std::string_view> rule_names() {
  std::vector<std::string_view> names;
  for (const RuleSection& s : rule_sections()) names.push_back(s.name);
  return names;
}

// `rules.overrides[]`: which queues, then any rule.
std::vector<std::string_view> override_keys() {
  std::vector<std::string_view> keys = keys_of(override_fields());
  for (const RuleSection& s : rule_sections()) keys.push_back(s.name);
  return keys;
}

void decode_rule_patches(Context& ctx, const MapReader& parent, QueueRulesPatch& out) {
  for (const RuleSection& section : rule_sections()) {
    if (auto v = parent.get(section.name)) {
      const MapReader m(ctx, *v, keys_of(section.fields));
      decode_patch(ctx, m, section.fields, out);
    }
  }
}

// A glob is checked only for what would make it match nothing by accident: an unclosed class.
std::optional<std::vector<std::string>> read_globs(Context& ctx, const Value& v) {
  std::optional<std::vector<std::string>> list = read_string_list(ctx, v);
  if (!list) return list;
  if (list->empty()) {
    ctx.error(v.path, v.mark, "must list at least one name or glob");
    return std::nullopt;
  }
  for (const std::string& g : *list) {
    if (g.size() > static_cast<std::size_t>(bounds::kGlobBytes.max)) {
      ctx.error(v.path, v.mark,
                fmt::format("\"{}...\" is {} bytes long; a glob may have at most {}",
                            g.substr(0, 60), g.size(), bounds::kGlobBytes.max));
      return std::nullopt;
    }
    std::size_t open = g.find('[');
    while (open != std::string::npos) {
      const std::size_t close = g.find(']', open + 2);
      if (close == std::string::npos) {
        ctx.error(v.path, v.mark, fmt::format("\"{}\": unclosed \"[\" in glob", g));
        return std::nullopt;
      }
      open = g.find('[', close + 1);
    }
  }
  return list;
}

// The zone must exist now, not at the first evaluation: a typo would otherwise shift every
// baseline. The full TZif parse happens when the daemon builds its rules::Timezone.
void check_timezone(Context& ctx, const Value& v, const std::string& name) {
  const bool safe = !name.empty() && name.front() != '/' && name.find("..") == std::string::npos;
  std::ifstream in;
  if (safe) in.open(std::string(kZoneinfoDir) + "/" + name, std::ios::binary);
  char magic[5] = {};
  if (in) in.read(magic, 5);
  if (!in || std::string_view(magic, 4) != "TZif") {
    ctx.error(v.path, v.mark,
              fmt::format("\"{}\" is not a time zone in {} (use an IANA name such as "
                          "Europe/Berlin or UTC)",
                          name, kZoneinfoDir));
    return;
  }
  if (magic[4] < '2') {
    ctx.error(v.path, v.mark,
              fmt::format("\"{}\": TZif version 1 file; version 2 or later is needed", name));
  }
}

}  // namespace

const std::vector<PatchField<RuleCommon, RuleCommonPatch>>& rule_common_fields() {
  static const std::vector<CommonRow> rows = make_common_rows();
  return rows;
}

const std::vector<RuleSection>& rule_sections() {
  static const std::vector<RuleSection> sections = make_rule_sections();
  return sections;
}

const std::vector<Field<RulesConfig>>& rules_fields() {
  static const std::vector<Field<RulesConfig>> rows = [] {
    const Reader<std::string> zone{[](Context& ctx, const Value& v) -> std::optional<std::string> {
                                     std::optional<std::string> name = read_nonempty_string(ctx, v);
                                     if (name) check_timezone(ctx, v, *name);
                                     return name;
                                   },
                                   [](const std::string& s) { return s; },
                                   "an IANA name in /usr/share/zoneinfo"};
    Field<RulesConfig> defaults{"defaults",
                                "changes the built-in defaults of a rule for every queue",
                                [](Context& ctx, const Value& v, RulesConfig& out) {
                                  const MapReader map(ctx, v, rule_names());
                                  QueueRulesPatch patch;
                                  decode_rule_patches(ctx, map, patch);
                                  apply_patch(patch, out.defaults);
                                },
                                [](const RulesConfig&) { return std::string(); },
                                "RULE: {KEY: VALUE}",
                                false,
                                "the table below"};
    Field<RulesConfig> overrides{
        "overrides",
        "changes rules for the queues each entry names; the last match wins per key",
        [](Context& ctx, const Value& v, RulesConfig& out) {
          for (const Value& item : read_sequence(ctx, v)) {
            MapReader map(ctx, item, override_keys());
            if (!map.is_mapping()) continue;
            RuleOverride o;
            decode_fields(ctx, map, override_fields(), o);
            decode_rule_patches(ctx, map, o.patch);
            out.overrides.push_back(std::move(o));
          }
        },
        [](const RulesConfig&) { return std::string(); },
        "a list of entries",
        false,
        "none"};
    // Before `defaults`: it fills the built-in runbook_url of every rule, which a runbook_url
    // written in `defaults`, `database_unavailable` or `overrides` then replaces.
    Field<RulesConfig> runbook_base_url{
        "runbook_base_url",
        "where docs/runbooks/ is published: every rule's `runbook_url` is then "
        "BASE/ALERTNAME.md",
        [](Context& ctx, const Value& v, RulesConfig& out) {
          std::optional<std::string> base = read_string(ctx, v);
          if (!base || base->empty()) return;
          if (!is_runbook_base(*base)) {
            ctx.error(v.path, v.mark,
                      fmt::format("\"{}\" is not an http:// or https:// URL with a host (and "
                                  "without spaces, ?, # or {{{{)",
                                  *base));
            return;
          }
          while (base->ends_with('/')) base->pop_back();
          out.runbook_base_url = *base;
          for (const RuleSection& section : rule_sections())
            section.common(out.defaults).runbook_url = runbook_url(*base, section.name);
          for (const TopRule& rule : top_rules())
            rule.common(out).runbook_url = runbook_url(*base, rule.name);
        },
        [](const RulesConfig&) { return std::string(); },
        "an `http://` or `https://` URL",
        false,
        "none"};
    std::vector<Field<RulesConfig>> list{
        field("timezone", &RulesConfig::timezone, zone,
              "the baseline's hour of the week is local to it"),
        field("evaluation_interval", &RulesConfig::evaluation_interval,
              duration_reader(bounds::kEvaluationInterval),
              "how often the rules run over the latest samples"),
        runbook_base_url,
        defaults,
    };
    for (const TopRule& rule : top_rules()) {
      list.push_back(Field<RulesConfig>{
          rule.name, rule.doc,
          [common = rule.common, &own = rule.own](Context& ctx, const Value& v, RulesConfig& out) {
            std::vector<std::string_view> keys = keys_of(rule_common_fields());
            for (const auto& row : own) keys.push_back(row.key);
            MapReader map(ctx, v, keys);
            RuleCommonPatch patch;
            decode_patch(ctx, map, rule_common_fields(), patch);
            apply_rows(rule_common_fields(), patch, common(out));
            decode_fields(ctx, map, own, out);
          },
          [](const RulesConfig&) { return std::string(); }, "{KEY: VALUE}", false,
          "the table below", 0});
    }
    list.push_back(overrides);
    return list;
  }();
  return rows;
}

const std::vector<TopRule>& top_rules() {
  static const std::vector<TopRule> rules = {
      {"database_unavailable", "the database_unavailable rule (the keys of every rule)",
       [](RulesConfig& c) -> RuleCommon& { return c.database_unavailable.common; }},
      {"failover", "the failover rule: a cluster's primary moved (docs/clusters.md)",
       [](RulesConfig& c) -> RuleCommon& { return c.failover.common; }},
      {"no_primary", "the no_primary rule: no member of a cluster accepts writes",
       [](RulesConfig& c) -> RuleCommon& { return c.no_primary.common; }},
      {"split_brain", "the split_brain rule: two members of a cluster accept writes",
       [](RulesConfig& c) -> RuleCommon& { return c.split_brain.common; }},
      {"replica_parity", "the replica_parity rule: a standby's capacity differs from the primary's",
       [](RulesConfig& c) -> RuleCommon& { return c.replica_parity.common; }},
      {"provider_incident",
       "the provider_incident rule: a provider's status feed lists an open incident",
       [](RulesConfig& c) -> RuleCommon& { return c.provider_incident.common; }},
      {"replica_lag",
       "the replica_lag rule: a standby's replay lag is over max_lag",
       [](RulesConfig& c) -> RuleCommon& { return c.replica_lag.common; },
       {lift_field(field("max_lag", &ReplicaLagRule::max_lag, duration_reader(bounds::kMaxLag),
                         "fires while a standby's replay lag is over this"),
                   &RulesConfig::replica_lag)}},
      {"replica_not_streaming",
       "the replica_not_streaming rule: a standby that answers does not stream from the primary",
       [](RulesConfig& c) -> RuleCommon& { return c.replica_not_streaming.common; }},
  };
  return rules;
}

const std::vector<Field<RuleOverride>>& override_fields() {
  static const std::vector<Field<RuleOverride>> rows = [] {
    const Reader<std::vector<std::string>> globs{
        read_globs,
        [](const std::vector<std::string>& g) { return fmt::format("{}", fmt::join(g, ", ")); },
        "exact names or globs: `*`, `?`, `[a-z]`, `[!a-z]`"};
    return std::vector<Field<RuleOverride>>{
        required(
            field("queues", &RuleOverride::queues, globs, "the queue names the entry applies to")),
        default_text(field("sources", &RuleOverride::sources, globs,
                           "restricts the entry to these sources' queues"),
                     "any source"),
    };
  }();
  return rows;
}

void decode_rules(Context& ctx, const Value& value, RulesConfig& out) {
  MapReader map(ctx, value, keys_of(rules_fields()));
  if (!map.is_mapping()) return;
  decode_fields(ctx, map, rules_fields(), out);
}

}  // namespace qw::config::detail

namespace qw::config {

// Declared in rules_config.hpp; the loader applies `rules.defaults` with it, rules/thresholds.cpp
// each matching override.
void apply_patch(const QueueRulesPatch& patch, QueueRules& rules) {
  for (const detail::RuleSection& section : detail::rule_sections())
    detail::apply_rows(section.fields, patch, rules);
}

}  // namespace qw::config
