// The `rules` section: timezone, thresholds for every rule, and per-queue overrides. `defaults`
// and each `overrides` entry decode into the same patch type, so a field means the same thing in
// both places and is checked by the same code.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>

#include "config/decoders.hpp"
#include "config/duration.hpp"

namespace qw::config {

namespace {
void apply_common(const RuleCommonPatch& p, RuleCommon& r) {
  if (p.enabled) r.enabled = *p.enabled;
  if (p.for_duration) r.for_duration = *p.for_duration;
  if (p.keep_firing_for) r.keep_firing_for = *p.keep_firing_for;
  if (p.severity) r.severity = *p.severity;
  for (const auto& [k, v] : p.labels) r.labels[k] = v;
  if (p.summary) r.summary = *p.summary;
  if (p.description) r.description = *p.description;
  if (p.runbook_url) r.runbook_url = *p.runbook_url;
}

template <typename T>
void set(const std::optional<T>& from, T& to) {
  if (from) to = *from;
}
}  // namespace

// Declared in rules_config.hpp's users (rules/thresholds.hpp); lives here because the loader
// applies `rules.defaults` with it too.
void apply_patch(const QueueRulesPatch& p, QueueRules& r) {
  apply_common(p.no_throughput.common, r.no_throughput.common);
  set(p.no_throughput.grace, r.no_throughput.grace);
  set(p.no_throughput.min_silence, r.no_throughput.min_silence);
  set(p.no_throughput.implausible_expected, r.no_throughput.implausible_expected);
  apply_common(p.below_baseline.common, r.below_baseline.common);
  set(p.below_baseline.window, r.below_baseline.window);
  set(p.below_baseline.ratio, r.below_baseline.ratio);
  set(p.below_baseline.min_expected, r.below_baseline.min_expected);
  set(p.below_baseline.sigmas, r.below_baseline.sigmas);
  set(p.below_baseline.warmup_floor_per_hour, r.below_baseline.warmup_floor_per_hour);
  apply_common(p.stuck_in_progress.common, r.stuck_in_progress.common);
  set(p.stuck_in_progress.running_for, r.stuck_in_progress.running_for);
  set(p.stuck_in_progress.heartbeat_timeout, r.stuck_in_progress.heartbeat_timeout);
  apply_common(p.queue_latency.common, r.queue_latency.common);
  set(p.queue_latency.max_age, r.queue_latency.max_age);
  apply_common(p.failure_ratio.common, r.failure_ratio.common);
  set(p.failure_ratio.window, r.failure_ratio.window);
  set(p.failure_ratio.max_ratio, r.failure_ratio.max_ratio);
  set(p.failure_ratio.min_volume, r.failure_ratio.min_volume);
  apply_common(p.cannot_measure.common, r.cannot_measure.common);
  if (p.cannot_measure.stale_after) r.cannot_measure.stale_after = p.cannot_measure.stale_after;
}

}  // namespace qw::config

namespace qw::config::detail {
namespace {

constexpr std::string_view kRulesKeys[] = {"timezone", "evaluation_interval", "defaults",
                                           "database_unavailable", "overrides"};
constexpr std::string_view kRuleNames[] = {"no_throughput", "below_baseline", "stuck_in_progress",
                                           "queue_latency", "failure_ratio",  "cannot_measure"};
constexpr std::string_view kOverrideKeys[] = {
    "queues",        "sources",       "no_throughput", "below_baseline", "stuck_in_progress",
    "queue_latency", "failure_ratio", "cannot_measure"};
#define QW_COMMON_KEYS \
  "enabled", "for", "keep_firing_for", "severity", "labels", "summary", "description", "runbook_url"
constexpr std::string_view kNoThroughputKeys[] = {QW_COMMON_KEYS, "grace", "min_silence",
                                                  "implausible_expected"};
constexpr std::string_view kBelowBaselineKeys[] = {
    QW_COMMON_KEYS, "window", "ratio", "min_expected", "sigmas", "warmup_floor_per_hour"};
constexpr std::string_view kStuckKeys[] = {QW_COMMON_KEYS, "running_for", "heartbeat_timeout"};
constexpr std::string_view kLatencyKeys[] = {QW_COMMON_KEYS, "max_age"};
constexpr std::string_view kFailureKeys[] = {QW_COMMON_KEYS, "window", "max_ratio", "min_volume"};
constexpr std::string_view kCannotMeasureKeys[] = {QW_COMMON_KEYS, "stale_after"};
constexpr std::string_view kCommonKeys[] = {QW_COMMON_KEYS};
#undef QW_COMMON_KEYS

constexpr EnumWord<Severity> kSeverities[] = {
    {"info", Severity::info}, {"warning", Severity::warning}, {"critical", Severity::critical}};

// Labels every condition carries already; a rule label may not redefine them, or routing on
// `queue` or `severity` would see a different value than the page shows.
constexpr std::string_view kReservedLabels[] = {"alertname", "severity", "target",
                                                "source",    "queue",    "region"};

constexpr const char* kZoneinfoDir = "/usr/share/zoneinfo";

// A finite real number in [min, max].
std::optional<double> read_real(Context& ctx, const Value& v, double min, double max) {
  std::optional<std::string> s = read_string(ctx, v);
  if (!s) return std::nullopt;
  double x = 0;
  const char* end = s->data() + s->size();
  const auto [ptr, ec] = std::from_chars(s->data(), end, x);
  if (s->empty() || ec != std::errc{} || ptr != end || !std::isfinite(x)) {
    ctx.error(v.path, v.mark, fmt::format("\"{}\" is not a number", *s));
    return std::nullopt;
  }
  if (x < min || x > max) {
    ctx.error(v.path, v.mark, fmt::format("must be between {} and {}, got {}", min, max, *s));
    return std::nullopt;
  }
  return x;
}

// At most the per-minute history the rules keep (kMaxRuleWindow).
std::optional<Duration> read_window(Context& ctx, const Value& v) {
  return read_duration(ctx, v, bounds::kWindow);
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

void decode_common(Context& ctx, const MapReader& map, RuleCommonPatch& out) {
  if (auto v = map.get("enabled")) out.enabled = read_bool(ctx, *v);
  if (auto v = map.get("for")) out.for_duration = read_duration(ctx, *v, bounds::kFor);
  if (auto v = map.get("keep_firing_for")) {
    out.keep_firing_for = read_duration(ctx, *v, bounds::kKeepFiringFor);
  }
  if (auto v = map.get("severity")) out.severity = read_enum(ctx, *v, kSeverities);
  if (auto v = map.get("labels"))
    read_label_map(ctx, *v, kReservedLabels, "is set by queuewatch itself and cannot be redefined",
                   out.labels);
  if (auto v = map.get("summary")) out.summary = read_template(ctx, *v);
  if (auto v = map.get("description")) out.description = read_template(ctx, *v);
  if (auto v = map.get("runbook_url")) out.runbook_url = read_template(ctx, *v);
}

void decode_rule_patches(Context& ctx, const MapReader& parent, QueueRulesPatch& out) {
  if (auto v = parent.get("no_throughput")) {
    MapReader m(ctx, *v, kNoThroughputKeys);
    auto& p = out.no_throughput;
    decode_common(ctx, m, p.common);
    if (auto x = m.get("grace")) p.grace = read_duration(ctx, *x, bounds::kGrace);
    if (auto x = m.get("min_silence")) p.min_silence = read_duration(ctx, *x, bounds::kMinSilence);
    if (auto x = m.get("implausible_expected")) {
      p.implausible_expected = read_real(ctx, *x, 1, 1e6);
    }
  }
  if (auto v = parent.get("below_baseline")) {
    MapReader m(ctx, *v, kBelowBaselineKeys);
    auto& p = out.below_baseline;
    decode_common(ctx, m, p.common);
    if (auto x = m.get("window")) p.window = read_window(ctx, *x);
    if (auto x = m.get("ratio")) p.ratio = read_real(ctx, *x, 0.01, 1);
    if (auto x = m.get("min_expected")) p.min_expected = read_real(ctx, *x, 0, 1e12);
    if (auto x = m.get("sigmas")) p.sigmas = read_real(ctx, *x, 0, 100);
    if (auto x = m.get("warmup_floor_per_hour")) {
      p.warmup_floor_per_hour = read_real(ctx, *x, 0, 1e12);
    }
  }
  if (auto v = parent.get("stuck_in_progress")) {
    MapReader m(ctx, *v, kStuckKeys);
    auto& p = out.stuck_in_progress;
    decode_common(ctx, m, p.common);
    if (auto x = m.get("running_for")) p.running_for = read_duration(ctx, *x, bounds::kRunningFor);
    if (auto x = m.get("heartbeat_timeout")) {
      p.heartbeat_timeout = read_duration(ctx, *x, bounds::kHeartbeatTimeout);
    }
  }
  if (auto v = parent.get("queue_latency")) {
    MapReader m(ctx, *v, kLatencyKeys);
    decode_common(ctx, m, out.queue_latency.common);
    if (auto x = m.get("max_age"))
      out.queue_latency.max_age = read_duration(ctx, *x, bounds::kMaxAge);
  }
  if (auto v = parent.get("failure_ratio")) {
    MapReader m(ctx, *v, kFailureKeys);
    auto& p = out.failure_ratio;
    decode_common(ctx, m, p.common);
    if (auto x = m.get("window")) p.window = read_window(ctx, *x);
    if (auto x = m.get("max_ratio")) p.max_ratio = read_real(ctx, *x, 0, 1);
    if (auto x = m.get("min_volume")) p.min_volume = read_real(ctx, *x, 0, 1e12);
  }
  if (auto v = parent.get("cannot_measure")) {
    MapReader m(ctx, *v, kCannotMeasureKeys);
    decode_common(ctx, m, out.cannot_measure.common);
    if (auto x = m.get("stale_after")) {
      out.cannot_measure.stale_after = read_duration(ctx, *x, bounds::kStaleAfter);
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

void decode_rules(Context& ctx, const Value& value, RulesConfig& out) {
  MapReader map(ctx, value, kRulesKeys);
  if (!map.is_mapping()) return;
  if (auto v = map.get("timezone")) {
    if (auto name = read_nonempty_string(ctx, *v)) {
      check_timezone(ctx, *v, *name);
      out.timezone = std::move(*name);
    }
  }
  if (auto v = map.get("evaluation_interval")) {
    assign(read_duration(ctx, *v, bounds::kEvaluationInterval), out.evaluation_interval);
  }
  if (auto v = map.get("defaults")) {
    MapReader defaults(ctx, *v, kRuleNames);
    QueueRulesPatch patch;
    decode_rule_patches(ctx, defaults, patch);
    apply_patch(patch, out.defaults);
  }
  if (auto v = map.get("database_unavailable")) {
    MapReader m(ctx, *v, kCommonKeys);
    RuleCommonPatch patch;
    decode_common(ctx, m, patch);
    apply_common(patch, out.database_unavailable.common);
  }
  if (auto v = map.get("overrides")) {
    for (const Value& item : read_sequence(ctx, *v)) {
      MapReader m(ctx, item, kOverrideKeys);
      if (!m.is_mapping()) continue;
      RuleOverride o;
      if (auto q = m.require("queues")) assign(read_globs(ctx, *q), o.queues);
      if (auto s = m.get("sources")) assign(read_globs(ctx, *s), o.sources);
      decode_rule_patches(ctx, m, o.patch);
      out.overrides.push_back(std::move(o));
    }
  }
}

}  // namespace qw::config::detail
