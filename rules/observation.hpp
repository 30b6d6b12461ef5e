#pragma once
// What the rules see: probe samples reduced to plain values with a timestamp from the injected
// clock. The daemon converts probes::Sample into these; backtest builds them from a CSV. Rules
// never read the wall clock and never do I/O: the same code runs live and in backtest.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qw::rules {

// Wall-clock time as a value (the baseline is about hours of the week, so it must be real time,
// passed in, never read).
using Time = std::chrono::sys_time<std::chrono::milliseconds>;
using Labels = std::map<std::string, std::string>;

struct QueueKey {
  std::string target;
  std::string source;
  std::string queue;
  auto operator<=>(const QueueKey&) const = default;
};

// One probe round for one queue.
struct QueueTick {
  QueueKey key;
  std::string region;
  Time at;
  bool measured = true;  // false: the probe failed (cannot measure); the values are unset
  std::string error;     // reason and detail when !measured, e.g. "undefined_table: ..."
  std::int64_t ready = 0;
  std::optional<double> oldest_ready_age_seconds;
  std::int64_t running = 0;
  std::optional<double> oldest_running_age_seconds;
  std::optional<double> oldest_heartbeat_age_seconds;
  bool completions_known = true;  // deleted-mode multi-queue tables: per-queue counts unknown
  double completed = 0;           // completions counted this round (a delta, not a total)
  // How long before `at` the newest of those finished (database clock), when known: the silence
  // starts there rather than at this round, which saw it a settle delay and a probe interval late.
  std::optional<double> last_completion_age_seconds;
  double failed = 0;
  // Where completions are not known per queue (deleted rows, several queues): progress events
  // the probe observed this round (tracked jobs that left or changed state, new claims), a lower
  // bound on activity; none when not measured. no_throughput judges such queues by it.
  std::optional<double> progress;
  // A queue newly discovered had nothing ready or running this long before `at` (see
  // probes::QueueSample::drained_age_seconds): it was keeping up then.
  std::optional<double> drained_age_seconds;
  // Jobs over the stuck thresholds this round (computed by the probe with the rule's values).
  std::int64_t stuck = 0;
  std::vector<std::string> stuck_job_ids;  // up to 10, oldest first
};

// One health round for one target.
struct TargetTick {
  std::string target;
  std::string region;
  std::string endpoint;  // "10.0.0.5:5432", for the page's words
  Time at;
  bool up = true;
  std::string reason;  // "connection_refused", ... when !up
  std::string detail;  // the server's or libpq's words
  // The role, when the server answered: a cluster's primary is the member that is neither in
  // recovery nor read-only (docs/clusters.md).
  std::optional<bool> in_recovery;
  bool read_only = false;
  std::string cluster;  // the cluster the target is a member of; empty when none
  // What defines the server's capacity, by name: the settings it reports (server_version,
  // max_connections, ...). replica_parity compares a standby's with the primary's, together
  // with its facts (parity_values in cluster_state.hpp). Empty when unknown.
  std::map<std::string, std::string> capacity;
  // The facts the config declares (targets[].facts: vcpu, tier, ...), and those its facts_query
  // returned this round (none without a facts_query); queried ones replace declared ones.
  std::map<std::string, std::string> declared_facts;
  std::optional<std::map<std::string, std::string>> queried_facts;
  // Why the facts_query failed this round ("query_timeout"); empty when it did not. Its facts
  // are then not measured, declared ones included: the query may return any of their names.
  std::string facts_query_failure;
  // The provider (a `providers` entry) this database runs at, and the substrings an incident of
  // it must all match to concern this database (targets[].provider_components): while it is
  // down, database_unavailable quotes such an incident (docs/rules.md). Empty when none.
  std::string provider;
  std::vector<std::string> provider_components;
};

// One open incident of a provider's status feed (probes/provider_status/feed.hpp, as the rules
// see it).
struct ProviderIncidentInfo {
  std::string id;      // Statuspage id, RSS guid, Atom id (else link, else title)
  std::string title;   // "SQL Database – West Europe – degraded"
  std::string link;    // Statuspage shortlink, the item's link
  std::string status;  // Statuspage: investigating, identified, monitoring; feeds: empty
  std::string impact;  // Statuspage: none, minor, major, critical, maintenance; feeds: unknown
  std::vector<std::string> components;  // Statuspage components and groups; feed categories
  std::optional<Time> started_at;       // started_at, else created_at; the item's date
  std::string summary;                  // the latest update's body, the item's description
};

// One round of a provider_status probe.
struct ProviderTick {
  std::string provider;
  Time at;
  bool up = false;      // this round read the feed (a 200 that parsed, or a 304)
  bool known = false;   // a 200 has been read since the start: `incidents` mean something
  std::string failure;  // why not, when !up: "timeout: ...", "http_status: 500"
  std::vector<ProviderIncidentInfo> incidents;  // open, after providers[].components
};

// One replication round of a cluster member (probes::ReplicationSample, reduced): what
// replica_lag and replica_not_streaming judge (docs/clusters.md).
struct ReplicationTick {
  std::string target;
  Time at;
  bool up = false;  // the round read the member; nothing below is known otherwise
  std::optional<bool> in_recovery;
  bool stats_visible = false;  // pg_read_all_stats: sender states and receiver status are shown
  // A primary's WAL senders, as pg_stat_replication lists them.
  struct Sender {
    std::string application_name;
    std::string state;                     // empty when hidden
    std::optional<double> replay_bytes;    // behind the primary's current position
    std::optional<double> replay_seconds;  // replay_lag; 0 when caught up
  };
  std::vector<Sender> senders;
  // A standby's own view: its WAL receiver's status (empty: none, or hidden), the name the
  // primary lists it under, its replay lag (0 when it replayed all it received).
  std::string receiver_status;
  std::string application_name;
  std::optional<double> replay_lag_seconds;
  std::optional<double> receive_replay_bytes;
  std::optional<bool> replay_paused;
};

// A rule's verdict at one evaluation: this condition holds now, with this value. The alert
// lifecycle (pending, firing, resolved) is alerts/' business, not the rule's.
struct ActiveCondition {
  std::string alertname;  // "no_throughput", ...
  std::string severity;   // "critical" | "warning" | "info"
  Labels labels;          // alertname, severity, target, queue, source, region + user labels
  std::map<std::string, std::string> annotations;  // summary, description, runbook_url, ...
  double value = 0;  // the number that tripped it (silence seconds, ratio, count, ...)
  std::chrono::milliseconds for_duration{0};
  std::chrono::milliseconds keep_firing_for{0};
};

}  // namespace qw::rules
