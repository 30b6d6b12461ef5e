#pragma once
// postgres_queue: for every queue of one job table, the backlog and its age, the running jobs
// and theirs, and completions and failures as counters. One read-only REPEATABLE READ
// transaction per round, a handful of index-backed statements. See README.md.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "probes/postgres_queue/delete_counter.hpp"
#include "probes/postgres_queue/progress_tracker.hpp"
#include "probes/postgres_queue/queue_set.hpp"
#include "probes/postgres_queue/queue_sql.hpp"
#include "probes/probe.hpp"

#include <pqxx/connection>
#include <pqxx/transaction_base>

namespace qw::probes::queue {

class QueueProbe : public Probe {
 public:
  // `rules` gives each queue's stuck thresholds (stuck_in_progress), counted in the database.
  QueueProbe(const config::QueueConfig& queue, const config::ProbeSettings& defaults,
             const config::RulesConfig& rules);

  std::string_view kind() const override { return "postgres_queue"; }
  const std::string& id() const override { return id_; }
  const std::string& target() const override { return config_.target; }
  config::Duration interval() const override { return interval_; }
  config::Duration max_backoff() const override { return max_backoff_; }
  FailureReason run(ProbeContext& ctx, SampleSink& sink) override;
  bool same_observation(const Probe& running) const override;
  void take_settings(const Probe& fresh) override;  // the rules (stuck thresholds)

 private:
  std::shared_ptr<const config::RulesConfig> rules() const;

  // Preflight (preflight.hpp): proves the mapping against the table, learns the column types,
  // builds the statements; throws PgError naming the first problem.
  void inspect_schema(pqxx::connection& conn);
  void observe(pqxx::connection& conn, QueueProbeSample& sample);
  // Looks up the tracked jobs and reads the next ones to track (in the round's transaction);
  // fills `events` per queue and returns what to track once the round has committed.
  std::pair<std::vector<ProgressTracker::Head>, std::string> observe_progress(
      pqxx::transaction_base& tx, const std::vector<std::string>& names, std::int64_t limit,
      std::map<std::string, std::uint64_t>& events);
  // Warm start: the table's completions per hour over warm_start.lookback, under its own
  // deadline. Failures come back in the sample: the rules then learn live, as without it.
  QueueHistorySample read_history(ProbeContext& ctx);

  const config::QueueConfig config_;
  const std::string id_;
  const config::Duration interval_;
  const config::Duration query_timeout_;
  const config::Duration max_backoff_;
  // Swapped by take_settings on the event loop while a round may be reading it.
  mutable std::mutex rules_mutex_;
  std::shared_ptr<const config::RulesConfig> rules_;

  // Learned from the catalog on the first run and again after a schema-shaped failure.
  std::optional<QueueSql> sql_;
  QueueSet queues_;
  std::optional<std::string> watermark_;  // completions are counted up to here
  DeleteCounter deletes_;
  std::string member_;          // the server the last round ran on (a cluster's primary moves)
  bool counts_deletes_ = true;  // deleted mode: the relation has a delete counter of its own
  ProgressTracker progress_;    // deleted mode with a queue column: per-queue progress
  QueueSet::Clock::time_point next_discovery_{};
  // For drained_age_seconds: the last discovery, and the queues the last good round reported.
  std::optional<QueueSet::Clock::time_point> last_discovery_;
  std::vector<std::string> reported_;
  bool history_done_ = false;  // warm start is settled: read once, or not wanted
};

ProbeList make_queue_probes(const config::Config& config);

}  // namespace qw::probes::queue
