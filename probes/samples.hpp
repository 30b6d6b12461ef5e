#pragma once
// What probes report. Plain values: the exporter turns them into metrics, and the rules (later)
// judge them. Ages and timestamps come from the database's clock, never the daemon's.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "probes/failure_reason.hpp"
#include "probes/postgres_health/facts_query.hpp"
#include "probes/provider_status/feed.hpp"
#include "probes/provider_status/fetch_failure.hpp"

namespace qw::probes {

// A server setting in base units (postgres_health/capacity_settings.hpp): bytes or a count.
struct ServerSetting {
  std::string name;  // pg_settings name, e.g. "shared_buffers"
  std::int64_t value = 0;
  bool bytes = false;  // a memory size; else a count
};

struct TargetHealthSample {
  std::string target;
  bool up = false;
  FailureReason reason = FailureReason::none;  // set whenever up == false
  std::string detail;                          // the server's or libpq's own words
  std::optional<double> connect_seconds;       // set when this run had to connect
  std::optional<double> query_seconds;         // the health query's round trip
  std::string server_version;                  // e.g. "15.18"
  std::optional<bool> in_recovery;             // pg_is_in_recovery(), when it answered
  // default_transaction_read_only's reset value, when it answered: a primary that refuses the
  // application's writes is no primary for a cluster (docs/clusters.md).
  std::optional<bool> read_only;
  // The capacity settings (capacity_settings.hpp), when it answered; empty when not known.
  std::vector<ServerSetting> settings;
  // Saturation, when it answered. activity_visible: whether this role reads other users' rows of
  // pg_stat_activity (pg_read_all_stats, in pg_monitor); without it PostgreSQL hides their
  // backend_type, state, xact_start and wait_event_type, so the three below are not measured
  // (none), never a reassuring 0.
  std::optional<bool> activity_visible;
  std::optional<std::int64_t> connections;               // client backends, ours included
  std::optional<double> oldest_transaction_age_seconds;  // 0 when no other one is open
  std::optional<std::int64_t> lock_waiting_sessions;     // wait_event_type = 'Lock'
  // targets[].facts_query's outcome, when the target has one and the health query answered.
  std::optional<health::QueriedFacts> facts;
};

struct QueueSample {
  std::string queue;          // queue column value, or the source name
  std::int64_t ready = 0;     // waiting and runnable now (the backlog)
  bool ready_capped = false;  // ready hit count_cap: the true value is higher
  std::int64_t running = 0;
  bool running_capped = false;
  std::optional<double> oldest_ready_age_seconds;      // none when nothing waits
  std::optional<double> oldest_running_age_seconds;    // none when nothing runs
  std::optional<double> oldest_heartbeat_age_seconds;  // among running jobs, when mapped
  // Running jobs over the queue's stuck thresholds (stuck_in_progress.running_for, or a
  // heartbeat older than heartbeat_timeout), counted up to count_cap, and the oldest few ids.
  std::int64_t stuck = 0;
  std::vector<std::string> stuck_job_ids;  // at most kMaxStuckIds, oldest first
  std::uint64_t completed_delta = 0;       // completions counted this round (added to a counter)
  std::uint64_t failed_delta = 0;
  // Seconds since the newest completion counted this round finished (database clock); none when
  // none was counted or the table keeps no finished timestamp.
  std::optional<double> last_completion_age_seconds;
  bool completions_known = true;  // false in deleted mode for multi-queue tables (see README)
  // False when the mapping has no failed state with a timestamp to count it by: failures are
  // then not measured at all, whatever completions_known says (deleted rows in a multi-queue
  // table still have their failures counted per queue when failed rows are kept and stamped).
  bool failures_known = true;
  // Where completions are not known: progress events observed this round (tracked jobs that
  // left the table or changed state, jobs claimed since the previous round; see
  // postgres_queue/README.md). A lower bound on activity, never a count of completions. None
  // when not measured (completions known, or no previous round to compare with).
  std::optional<std::uint64_t> progress_observed;
  // Where progress is observed and queues are discovered: a queue reported for the first time
  // had nothing ready or running at the previous discovery. How long ago that was (or, when jobs
  // are ready, how long the oldest has waited, if less): the queue was keeping up then.
  std::optional<double> drained_age_seconds;
};

struct QueueProbeSample {
  std::string target;
  std::string source;  // QueueConfig::name
  bool ok = false;
  FailureReason reason = FailureReason::none;
  std::string detail;  // names the table or column on undefined_* / permission_denied
  std::vector<QueueSample> queues;
  // Deleted mode: completions of the whole table this round, from its delete counter.
  std::optional<std::uint64_t> table_completed_delta;
};

// One hour of one queue's completions, read from the table's kept rows.
struct QueueHourlyCount {
  std::string queue;
  std::int64_t hour_start = 0;  // Unix seconds, on the hour (database clock)
  std::uint64_t completed = 0;
};

// A source's past, read once at start-up from its own kept rows (warm start), so the rules have
// a baseline and a recent rate from the first minute. Hours that completed nothing have no row.
struct QueueHistorySample {
  std::string target;
  std::string source;
  bool ok = false;
  FailureReason reason = FailureReason::none;
  std::string detail;
  std::int64_t until = 0;  // Unix seconds: the rows cover complete hours before this one
  double seconds = 0;      // how long the read took: warm starts share a per-target budget
  std::vector<QueueHourlyCount> hours;
};

inline constexpr int kMaxStuckIds = 10;

// One round of a provider's status feed (probes/provider_status). A failed round still carries
// the last known incidents: "cannot measure" is up == false, never an empty list.
struct ProviderStatusSample {
  std::string provider;
  bool up = false;  // this round read the feed: a 200 that parsed, or a 304
  provider::FetchFailure failure = provider::FetchFailure::none;  // set whenever up == false
  std::string detail;
  bool not_modified = false;  // a 304: the incidents are the last 200's
  bool known = false;         // a 200 has been read since start: incidents mean something
  // Open incidents that pass providers[].components (and max_age, for RSS/Atom).
  std::vector<provider::ProviderIncident> incidents;
  // The providers[].components they were filtered by: a late round of a probe that a reload
  // replaced carries the old filter, and its counts per term would be wrong for the new one.
  std::vector<std::string> components;
  std::optional<std::int64_t> last_success;  // Unix seconds of the last successful fetch
};

// Replication, as one cluster member sees it (probes/postgres_replication). A primary lists its
// WAL senders (pg_stat_replication) and slots; a standby says what it received and replayed.
// Values PostgreSQL hides from a role without pg_read_all_stats are none: not measurable, never 0.
struct ReplicationSender {
  std::string application_name;  // how the standby names itself (pg_stat_replication)
  std::string client_addr;       // empty when hidden or over the Unix socket
  std::string state;             // streaming, catchup, startup, backup, stopping; empty: hidden
  std::string sync_state;        // async, sync, potential, quorum; empty: hidden
  // Bytes between the primary's current WAL position and what the standby was sent, wrote,
  // flushed and replayed; none when hidden.
  std::optional<double> sent_bytes, write_bytes, flush_bytes, replay_bytes;
  // pg_stat_replication.replay_lag: how long the last replayed WAL took to be replayed; 0 when
  // replay reached the primary's position; none when hidden or not measured yet.
  std::optional<double> replay_seconds;
};

struct ReplicationSlot {
  std::string name;
  std::string type;        // physical, logical
  std::string wal_status;  // reserved, extended, unreserved, lost; empty when none
  bool active = false;
  // WAL kept for it: the server's current (primary) or replayed (standby) position minus the
  // slot's restart_lsn; none when the slot has no restart_lsn.
  std::optional<double> retained_bytes;
};

struct ReplicationSample {
  std::string target;
  bool up = false;
  FailureReason reason = FailureReason::none;
  std::string detail;
  std::optional<bool> in_recovery;  // when it answered
  // pg_read_all_stats (pg_monitor): without it pg_stat_replication and pg_stat_wal_receiver show
  // only a pid and the application name, so the sender LSNs and the receiver's status are none.
  bool stats_visible = false;
  std::vector<ReplicationSender> senders;  // a primary's (a cascading standby's too)
  std::vector<ReplicationSlot> slots;
  // A standby's own view (in_recovery): its WAL receiver (empty status: none running, or hidden),
  // the application name the primary lists it under (from the receiver's conninfo), the bytes
  // received but not replayed, and the replay lag in seconds: 0 when replay reached what was
  // received (an idle primary sends nothing, so the time since the last replayed transaction
  // grows without any lag), else now() - pg_last_xact_replay_timestamp(); none when unknown.
  std::string receiver_status;
  std::string application_name;
  std::optional<double> receive_replay_bytes;
  std::optional<double> replay_lag_seconds;
  std::optional<bool> replay_paused;  // pg_get_wal_replay_pause_state() <> 'not paused'
};

// Everything a probe publishes. A new probe kind appends its sample type here; every consumer
// reads a Sample through probes::visit_sample (sample_visit.hpp), which does not compile until
// that consumer has an arm for the new type, so the compiler lists the places to extend. Its
// metrics are its kind's part (kind_metrics.hpp); probes/README.md has the steps.
using Sample = std::variant<TargetHealthSample, QueueProbeSample, QueueHistorySample,
                            ProviderStatusSample, ReplicationSample>;

// The answer to "read this source's history now?": no (not needed, or never), later (another
// read on the same target is running: one at a time per target, on one connection), yes.
enum class HistoryAnswer { no, later, yes };

// Where probes deliver. Called from worker threads: implementations must be thread-safe.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual void publish(const Sample& sample) = 0;
  // Whether a QueueHistorySample of this source is wanted now: not when the rules already have
  // its history (restored from the state directory), so the scan runs only when it helps; and
  // not while another source of the same target is reading, so warm starts never pile up.
  virtual HistoryAnswer wants_history(const std::string& /*target*/,
                                      const std::string& /*source*/) {
    return HistoryAnswer::no;
  }
};

}  // namespace qw::probes
