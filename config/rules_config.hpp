#pragma once
// Rule thresholds (issue 3). Plain data: decode_rules.cpp reads it, rules/ evaluates with it.
// Every rule has defaults; `overrides` replace fields for queues matched by exact name or glob,
// in order, the last match winning per field. A reload swaps this struct without losing the
// rules' history.
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
  std::optional<Severity> severity;           // unset: the rule's own default
  std::map<std::string, std::string> labels;  // added to the alert's labels (routing)
  // Templates; {{ $labels.queue }}, {{ $value }} and the like. Empty: the rule's default text.
  std::string summary, description, runbook_url;
};

struct NoThroughputRule {
  RuleCommon common;                 // default severity critical, for 0s
  Duration grace{60000};             // ready work older than this counts as waiting
  Duration min_silence{60000};       // never declare a stall on less silence than this
  double implausible_expected = 9.2;  // expected completions in the silence: Poisson P(0) < 1e-4
};

struct BelowBaselineRule {
  RuleCommon common;  // default severity warning, for 30m
  Duration window{3600000};
  double ratio = 0.5;          // fire when observed < ratio * expected over the window
  double min_expected = 50;    // no judgement on a window expected to see fewer jobs
  double warmup_floor_per_hour = 0;  // static expectation while history is too short (0 = none)
};

struct StuckInProgressRule {
  RuleCommon common;                    // default severity critical
  Duration running_for{1800000};        // a job running longer than this is stuck
  Duration heartbeat_timeout{300000};   // ... or one whose heartbeat is older (when mapped)
};

struct QueueLatencyRule {
  RuleCommon common;  // default severity warning, for 5m
  Duration max_age{600000};  // oldest ready job older than this
};

struct FailureRatioRule {
  RuleCommon common;  // default severity warning, for 5m
  Duration window{900000};
  double max_ratio = 0.1;   // failed / (completed + failed)
  double min_volume = 20;   // completed + failed in the window, below which no judgement
};

struct DatabaseUnavailableRule {
  RuleCommon common;  // default severity critical, for 15s
};

struct CannotMeasureRule {
  RuleCommon common;             // default severity warning, for 1m
  std::optional<Duration> stale_after;  // no fresh sample for this long; default 3x interval
};

struct QueueRules {
  NoThroughputRule no_throughput;
  BelowBaselineRule below_baseline;
  StuckInProgressRule stuck_in_progress;
  QueueLatencyRule queue_latency;
  FailureRatioRule failure_ratio;
  CannotMeasureRule cannot_measure;
};

// One `overrides` entry: which queues, and the YAML of the fields it replaces. The fields are
// applied by rules/thresholds.cpp on top of the defaults; kept as a decoded partial copy.
struct RuleOverride {
  std::vector<std::string> queues;   // exact names or globs (*, ?, [..]) over the queue name
  std::vector<std::string> sources;  // optional: also restrict by source name (globs)
  // Only the fields set in the file are applied; `set_fields` lists their paths
  // ("no_throughput.min_silence"), `values` holds them decoded.
  QueueRules values;
  std::vector<std::string> set_fields;
};

struct RulesConfig {
  std::string timezone = "UTC";  // IANA name; the baseline's hour-of-week is local to it
  Duration evaluation_interval{5000};  // how often rules run over the latest samples
  QueueRules defaults;
  DatabaseUnavailableRule database_unavailable;
  std::vector<RuleOverride> overrides;
};

}  // namespace qw::config
