#pragma once
// Rule thresholds (issue 3). Plain data: decode_rules.cpp reads it, rules/ evaluates with it.
// Every rule has built-in defaults, which the `rules.defaults` section changes for all queues;
// `overrides` then change fields for queues matched by exact name or glob, in file order, the
// last match winning per field. A reload swaps this struct without losing the rules' history.
// docs/rules.md explains every default.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qw::config {

using Duration = std::chrono::milliseconds;

enum class Severity { info, warning, critical };

// Shared by every rule: lifecycle timing, routing labels and the page's words.
struct RuleCommon {
  bool enabled = true;
  Duration for_duration{0};     // pending this long before firing (Prometheus `for`)
  Duration keep_firing_for{0};  // stays firing this long after the condition clears
  Severity severity = Severity::warning;
  std::map<std::string, std::string> labels;  // added to the alert's labels (routing)
  // Templates: {{ $labels.NAME }} and {{ $value }}. Empty: the rule's own text.
  std::string summary, description, runbook_url;
};

// A rule's own lifecycle defaults (designated initializers would have to name every field).
inline RuleCommon rule_common(Duration for_duration, Severity severity) {
  RuleCommon c;
  c.for_duration = for_duration;
  c.severity = severity;
  return c;
}

struct NoThroughputRule {
  RuleCommon common = rule_common(Duration{0}, Severity::critical);
  Duration grace{60000};              // ready work older than this counts as waiting
  Duration min_silence{60000};        // never declare a stall on less silence than this
  double implausible_expected = 9.2;  // expected completions in the silence: Poisson P(0) < 1e-4
};

// A shortfall judged on the shortest window that shows it flickers as windows slide; 15 minutes
// of keep_firing_for make one incident one page, not three.
inline RuleCommon shortfall_common(Duration for_duration, Severity severity) {
  RuleCommon c = rule_common(for_duration, severity);
  c.keep_firing_for = Duration{900000};
  return c;
}

struct ThroughputCollapseRule {
  RuleCommon common = shortfall_common(Duration{0}, Severity::critical);
  // Completions over a window fell to at most `ratio` of what the queue's baseline and recent
  // level expect, and the shortfall cannot be chance: the count's own noise (Poisson widened
  // by burstiness) gives it P < e^-implausible_expected, and the queue's hour-to-hour level
  // noise puts it `sigmas` below normal. Windows from 5 minutes up to `max_window`: a fast
  // queue is judged in minutes, a slow one once its window expects enough (docs/rules.md).
  double ratio = 0.1;
  double implausible_expected = 9.2;
  double sigmas = 4;
  Duration max_window{3 * 3600000};
};

struct BelowBaselineRule {
  RuleCommon common = shortfall_common(Duration{600000}, Severity::warning);
  // The longest of the windows judged (15 minutes up to it): a deep drop shows on a short
  // window, a mild one needs a long one (the multi-window shape of SRE burn-rate alerts).
  Duration window{3 * 3600000};
  // Fire when observed < ratio * expected over a window. 0.6: a queue at half its usual volume
  // for an hour is worth a warning (docs/rules.md, dataset results).
  double ratio = 0.6;
  double min_expected = 10;  // no judgement on a window expected to see fewer jobs
  // ... and the shortfall must exceed this many standard deviations of the normal ratio
  // (log scale: the count's noise widened by burstiness, and the queue's own level noise).
  double sigmas = 3.5;
  double warmup_floor_per_hour = 0;  // static expectation while history is too short (0 = none)
};

struct StuckInProgressRule {
  RuleCommon common = rule_common(Duration{0}, Severity::critical);
  Duration running_for{1800000};       // a job running longer than this is stuck
  Duration heartbeat_timeout{300000};  // ... or one whose heartbeat is older (when mapped)
};

struct QueueLatencyRule {
  RuleCommon common = rule_common(Duration{300000}, Severity::warning);
  Duration max_age{600000};  // oldest ready job older than this
};

struct FailureRatioRule {
  RuleCommon common = rule_common(Duration{300000}, Severity::warning);
  Duration window{900000};
  double max_ratio = 0.1;  // failed / (completed + failed)
  double min_volume = 20;  // completed + failed in the window, below which no judgement
};

struct DatabaseUnavailableRule {
  // 10 s: with the 5 s health interval and 5 s evaluation, the page lands within ~20 s.
  RuleCommon common = rule_common(Duration{10000}, Severity::critical);
};

// Cluster rules (docs/clusters.md): about a cluster's members, not one queue.
struct FailoverRule {
  // A notice that the primary moved: it holds for ten minutes after the move (for its `for`
  // first), then resolves by itself. info or warning, as the team treats a failover.
  RuleCommon common = rule_common(Duration{0}, Severity::warning);
};

struct NoPrimaryRule {
  // The `for` of database_unavailable: when the primary dies, both start on the same health
  // round and fire on the same evaluation, so the member's page is held back from the first
  // notification (no_primary is the cause) instead of paging and then being silenced.
  RuleCommon common = rule_common(Duration{10000}, Severity::critical);
};

struct SplitBrainRule {
  // Two health rounds: a member's state is one round old at worst when the other reports.
  RuleCommon common = rule_common(Duration{10000}, Severity::critical);
};

struct ReplicaParityRule {
  // Settings change by restart only; a minute keeps a failover's in-between rounds quiet.
  RuleCommon common = rule_common(Duration{60000}, Severity::warning);
};

// A provider's open incident (probes/provider_status): one alert per incident, while it is in
// the feed. A warning, not a page: the page is database_unavailable, which quotes it.
struct ProviderIncidentRule {
  RuleCommon common = rule_common(Duration{0}, Severity::warning);
};

struct ReplicaLagRule {
  // Two minutes over the threshold: a burst of writes that replays within it is no page.
  RuleCommon common = rule_common(Duration{120000}, Severity::warning);
  Duration max_lag{60000};  // a standby's replay lag above this, in seconds of WAL time
};

struct ReplicaNotStreamingRule {
  // A WAL receiver reconnects within seconds after a primary restart; two minutes is not that.
  RuleCommon common = rule_common(Duration{120000}, Severity::warning);
};

struct CannotMeasureRule {
  RuleCommon common = rule_common(Duration{60000}, Severity::warning);
  // No fresh sample for this long. Unset: 3x the queue's observed probe interval (at least 3x
  // the evaluation interval), so one late round is not an alert.
  std::optional<Duration> stale_after;
};

struct QueueRules {
  NoThroughputRule no_throughput;
  ThroughputCollapseRule throughput_collapse;
  BelowBaselineRule below_baseline;
  StuckInProgressRule stuck_in_progress;
  QueueLatencyRule queue_latency;
  FailureRatioRule failure_ratio;
  CannotMeasureRule cannot_measure;
};

// A partial QueueRules: only what one `defaults` or `overrides` entry sets. Applying patches in
// order, each set field replacing the one before, is the whole override mechanism.
template <typename T>
using Set = std::optional<T>;

struct RuleCommonPatch {
  Set<bool> enabled;
  Set<Duration> for_duration, keep_firing_for;
  Set<Severity> severity;
  std::map<std::string, std::string> labels;  // merged key by key, later entries win
  Set<std::string> summary, description, runbook_url;
};

struct QueueRulesPatch {
  struct {
    RuleCommonPatch common;
    Set<Duration> grace, min_silence;
    Set<double> implausible_expected;
  } no_throughput;
  struct {
    RuleCommonPatch common;
    Set<double> ratio, implausible_expected, sigmas;
    Set<Duration> max_window;
  } throughput_collapse;
  struct {
    RuleCommonPatch common;
    Set<Duration> window;
    Set<double> ratio, min_expected, sigmas, warmup_floor_per_hour;
  } below_baseline;
  struct {
    RuleCommonPatch common;
    Set<Duration> running_for, heartbeat_timeout;
  } stuck_in_progress;
  struct {
    RuleCommonPatch common;
    Set<Duration> max_age;
  } queue_latency;
  struct {
    RuleCommonPatch common;
    Set<Duration> window;
    Set<double> max_ratio, min_volume;
  } failure_ratio;
  struct {
    RuleCommonPatch common;
    Set<Duration> stale_after;
  } cannot_measure;
};

// One `overrides` entry: which queues, and the fields it replaces.
struct RuleOverride {
  std::vector<std::string> queues;   // exact names or globs (*, ?, [..]) over the queue name
  std::vector<std::string> sources;  // optional: also restrict by source name (globs)
  QueueRulesPatch patch;
};

struct RulesConfig {
  std::string timezone = "UTC";        // IANA name; the baseline's hour-of-week is local to it
  Duration evaluation_interval{5000};  // how often rules run over the latest samples
  // Where docs/runbooks/ is published. Set, every rule's runbook_url defaults to
  // BASE/<alertname>.md (filled into `defaults` and `database_unavailable` at load, so a
  // runbook_url written anywhere in the file wins). Empty: no runbook_url unless written.
  std::string runbook_base_url;
  QueueRules defaults;  // built-in defaults with `rules.defaults` applied
  DatabaseUnavailableRule database_unavailable;
  FailoverRule failover;
  NoPrimaryRule no_primary;
  SplitBrainRule split_brain;
  ReplicaParityRule replica_parity;
  ProviderIncidentRule provider_incident;
  ReplicaLagRule replica_lag;
  ReplicaNotStreamingRule replica_not_streaming;
  std::vector<RuleOverride> overrides;
};

// Applies the fields `patch` sets onto `rules` (defined in decode_rules.cpp: the loader applies
// `rules.defaults` with it, rules/thresholds.cpp each matching override).
void apply_patch(const QueueRulesPatch& patch, QueueRules& rules);

// The longest window any rule may look back over: rules keep per-minute history this long.
inline constexpr Duration kMaxRuleWindow{6 * 3600 * 1000};

}  // namespace qw::config
