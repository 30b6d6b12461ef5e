#pragma once
// The parsed, validated configuration. Plain data: loading and validation live in loader.cpp,
// and nothing here does I/O. Every probe, and later every rule, reads only these structs.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/alerting_config.hpp"
#include "config/rules_config.hpp"

namespace qw::config {

using Duration = std::chrono::milliseconds;

// Where a value came from, so errors found after parsing can still name line:column. (The
// structs compare with ==, marks included: a reload that only moved lines compares them after
// clearing the marks, see probes/same_settings.hpp.)
struct SourceMark {
  int line = 0;    // 1-based; 0 = not from a file
  int column = 0;  // 1-based
  bool operator==(const SourceMark&) const = default;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:9188";  // host:port; 9187 is postgres_exporter's, so next door.
  Duration request_timeout{5000};         // a slow client cannot hold a connection longer
  std::size_t max_connections = 64;       // concurrent HTTP connections; more are refused
  std::size_t max_request_bytes = 8192;   // header + body; /metrics never needs a body
  // TLS and basic auth (exporter-toolkit's web config; daemon/web_config.hpp reads it), resolved
  // against the config file's directory. --web.config.file overrides it.
  std::optional<std::string> web_config_file;
  bool operator==(const HttpConfig&) const = default;
};

// Settings shared by every instance of one probe kind; each may be overridden per target/queue.
struct ProbeSettings {
  Duration interval{15000};      // how often one instance runs
  Duration query_timeout{3000};  // client-side deadline (cancel) and server statement_timeout
  Duration max_backoff{120000};  // the longest a failing probe waits between runs
  bool operator==(const ProbeSettings&) const = default;
};

struct ProbesConfig {
  ProbeSettings health{Duration{5000}, Duration{2000}, Duration{30000}};
  ProbeSettings queue{Duration{15000}, Duration{3000}, Duration{120000}};
  // Replication lag is judged over minutes (replica_lag's 60 s for 2 min): 10 s is fine-grained.
  ProbeSettings replication{Duration{10000}, Duration{2000}, Duration{60000}};
};

enum class ExpectedRole { any, primary, replica };

// A cloud provider's status feed (probes/provider_status): its open incidents become metrics, the
// provider_incident alert, and words in the database_unavailable page of the targets linked to it.
enum class ProviderKind { statuspage, rss, atom };

struct ProviderConfig {
  std::string name;
  ProviderKind kind = ProviderKind::statuspage;
  std::string url;  // http(s); Statuspage: .../api/v2/summary.json or incidents/unresolved.json
  // Which incidents count: each is a case-insensitive substring of a component name (Statuspage:
  // components and their groups; RSS/Atom: categories) or of the title. Empty: every incident.
  std::vector<std::string> components;
  Duration interval{300000};         // at least a minute: a status page is someone else's server
  Duration timeout{10000};           // the whole fetch, resolve to last byte
  std::int64_t max_bytes = 4 << 20;  // a larger response is refused, not read on
  // RSS/Atom items carry no state: one older than this (by pubDate/published/updated) is history.
  Duration max_age{6LL * 3600 * 1000};
  SourceMark mark;
  bool operator==(const ProviderConfig&) const = default;
};

struct TargetConfig {
  std::string name;
  std::string dsn;  // after ${ENV} expansion; may hold a password: never log
  std::optional<std::string> password_file;
  std::string region;                       // exported as the `region` label
  ExpectedRole expect = ExpectedRole::any;  // a primary that turns read-only is "down"
  // What the user declares about the server (vcpu, memory_gb, tier, ...): compared between a
  // cluster's members by replica_parity, as the settings the server reports are.
  std::map<std::string, std::string> facts;
  // SQL returning rows of (name, value) the health round reads as more facts, so that they come
  // from the server (or a provider's view) instead of going stale in the config; empty: none.
  std::string facts_query;
  Duration connect_timeout{3000};  // libpq connect_timeout (rounded up to whole seconds, >= 2)
  int max_connections = 2;         // the most connections queuewatch ever opens here
  // The provider (a ProviderConfig name) this database runs at, and the substrings of its
  // incidents' components or titles that concern this target (its service and region); empty:
  // every incident of the provider. database_unavailable quotes a matching open incident.
  std::string provider;
  std::vector<std::string> provider_components;
  SourceMark mark;
  bool operator==(const TargetConfig&) const = default;
};

// Targets that are one database: a primary and its standbys. A queue source whose `target` names
// the cluster runs on whichever member is primary now, under the cluster's name (docs/clusters.md).
struct ClusterConfig {
  std::string name;                  // unique among targets and clusters; the `cluster` label
  std::vector<std::string> members;  // target names; each target is in at most one cluster
  SourceMark mark;
  bool operator==(const ClusterConfig&) const = default;
};

enum class TimestampKind {
  timestamptz,    // timestamp with time zone
  timestamp_utc,  // timestamp without time zone that holds UTC (Rails, Procrastinate, ...)
};

enum class CompletedRows {
  kept,     // finished rows stay: count them incrementally by the finished timestamp
  deleted,  // finished rows are deleted: count the table's deletes
};

// How a job's state is told: either a column with value lists, or one SQL boolean per state.
struct StateMapping {
  std::optional<std::string> column;                           // set => the value lists below apply
  std::vector<std::string> ready, running, completed, failed;  // values of `column`
  // Set when `column` is not: trusted SQL boolean expressions over the table's columns.
  std::string ready_when, running_when, completed_when, failed_when;
  bool operator==(const StateMapping&) const = default;
};

struct TimestampMapping {
  TimestampKind kind = TimestampKind::timestamptz;
  std::optional<std::string> enqueued;   // created/enqueued at
  std::optional<std::string> run_at;     // scheduled for; ready jobs in the future are not waiting
  std::optional<std::string> started;    // claimed/attempted at
  std::optional<std::string> finished;   // completed (and failed, unless `failed` is set)
  std::optional<std::string> failed;     // when failures are stamped in another column
  std::optional<std::string> heartbeat;  // last sign of life from the worker
  bool operator==(const TimestampMapping&) const = default;
};

// Reading the table's own history once at start-up (kept rows only), so the seasonal baseline
// and a stall's "rate before" are known from the first minute rather than after weeks.
struct WarmStartConfig {
  bool enabled = true;
  // Four weeks: three whole same-hour-of-week values for the median, and a spare.
  Duration lookback{28LL * 24 * 3600 * 1000};
  // Its own deadline: one range scan over the finished rows, once, much longer than a round.
  Duration timeout{30000};
  bool operator==(const WarmStartConfig&) const = default;
};
// The history the rules keep (rules/history.hpp: five weeks of hours); more is never read.
inline constexpr Duration kMaxWarmStartLookback{35LL * 24 * 3600 * 1000};

struct QueueConfig {
  std::string name;    // the source's name: the `source` label and the key in logs
  std::string target;  // a TargetConfig name, or a ClusterConfig name (runs on its primary)
  std::string schema = "public";
  std::string table;
  std::string id_column = "id";
  std::optional<std::string> queue_column;  // without one the table is a single queue `name`
  std::vector<std::string> queue_names;     // fixed list; empty => discovered from the table
  StateMapping state;
  TimestampMapping timestamps;
  CompletedRows completed_rows = CompletedRows::kept;
  Duration settle_delay{10000};  // rows finished this recently may still commit: count them later
  // Rows the snapshot may count per round, shared by the source's queues (each counts up to
  // count_cap / queues, at least 100): a backlog of millions costs what 50 000 does.
  std::int64_t count_cap = 50000;
  std::optional<Duration> interval;       // overrides probes.queue.interval
  std::optional<Duration> query_timeout;  // overrides probes.queue.query_timeout
  WarmStartConfig warm_start;
  SourceMark mark;
  bool operator==(const QueueConfig&) const = default;
};

struct Config {
  HttpConfig http;
  ProbesConfig probes;
  std::string state_dir = "/var/lib/queuewatch";
  std::string log_level = "info";
  std::string log_format = "text";  // text, logfmt or json; --log-format overrides it
  std::vector<ProviderConfig> providers;
  std::vector<TargetConfig> targets;
  std::vector<ClusterConfig> clusters;
  std::vector<QueueConfig> queues;
  RulesConfig rules;        // issue 3: thresholds
  AlertingConfig alerting;  // issue 3: routing, receivers

  const TargetConfig* find_target(const std::string& name) const {
    for (const auto& t : targets)
      if (t.name == name) return &t;
    return nullptr;
  }
  const ProviderConfig* find_provider(const std::string& name) const {
    for (const auto& p : providers)
      if (p.name == name) return &p;
    return nullptr;
  }
  const ClusterConfig* find_cluster(const std::string& name) const {
    for (const auto& c : clusters)
      if (c.name == name) return &c;
    return nullptr;
  }
  // The cluster a target is a member of, if any.
  const ClusterConfig* cluster_of(const std::string& target) const {
    for (const auto& c : clusters)
      for (const auto& m : c.members)
        if (m == target) return &c;
    return nullptr;
  }
};

}  // namespace qw::config
