#pragma once
// The connections queuewatch holds to one target: at most max_connections, reused across probe
// runs, opened lazily, and reopened with exponential backoff and jitter after a failure, so a
// database in trouble sees one connection attempt per backoff step, not one per probe.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "probes/failure_reason.hpp"
#include "probes/pg/pg_error.hpp"
#include "probes/pg/query_watchdog.hpp"

#include <pqxx/connection>

namespace qw::probes::pg {

// Every connection busy for longer than the caller would wait: not a database failure.
class PoolBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BackoffPolicy {
  std::chrono::milliseconds initial{1000};  // the first retry comes quickly: blips are common
  std::chrono::milliseconds max{30000};     // recovery is noticed within this (plus jitter)
  double jitter = 0.2;  // +-20%, so many daemons do not reconnect in lockstep after an outage
};

class TargetPool {
 public:
  using Clock = std::chrono::steady_clock;

  explicit TargetPool(config::TargetConfig target, BackoffPolicy backoff = {});
  ~TargetPool();
  TargetPool(const TargetPool&) = delete;
  TargetPool& operator=(const TargetPool&) = delete;

  // What one use of a connection learned, for the health probe.
  struct Use {
    std::optional<double> connect_seconds;  // set when this use opened the connection
  };

  // Runs fn(conn) with a client-side deadline of `timeout` (the server-side statement_timeout is
  // set to the same value). Throws PgError with a classified reason, or PoolBusy. A reused
  // connection that turns out to be dead is replaced and fn retried once, so one stale socket
  // is not reported as an outage.
  Use with_connection(std::chrono::milliseconds timeout,
                      const std::function<void(pqxx::connection&)>& fn);

  // What the health probe last learned of the server's role. A cluster's sources run on the
  // member that accepts writes (PoolSet::for_probe): the same observation that pages, so the
  // source and the alerts never disagree on who is primary.
  struct RoleNote {
    bool known = false;     // the health probe has run at least once
    bool writable = false;  // reachable, not in recovery and not read-only
    std::string words;      // why not, for the no_primary detail: "in recovery", ...
  };
  void note_role(RoleNote note);
  RoleNote role() const;

  // A stand-in pool that never connects: every use throws this error (a cluster without a
  // primary). Unset, the pool connects as usual.
  void refuse(std::optional<PgError> error);

  // Last connect failure, while the pool is backing off; none when healthy.
  FailureReason last_failure() const;
  const config::TargetConfig& target() const { return target_; }
  const BackoffPolicy& backoff() const { return backoff_; }

  // Shutdown, or a reload that retires this pool: no new connections, and every query in
  // flight is cancelled and its socket shut. (A connect in progress cannot be interrupted: libpq
  // blocks until connect_timeout.)
  void close();

 private:
  struct Slot {
    std::shared_ptr<pqxx::connection> conn;
    bool fresh = false;  // opened for this use: a failure is real, not a stale socket
    std::optional<double> connect_seconds;
  };

  Slot acquire(std::chrono::milliseconds wait);
  void release(std::shared_ptr<pqxx::connection> conn, bool reusable);
  std::shared_ptr<pqxx::connection> connect();  // throws PgError
  void schedule_retry_locked(const PgError& failure);

  const config::TargetConfig target_;
  const BackoffPolicy backoff_;
  // Its own, not one shared by every pool: a reload keeps unchanged pools and closes the others,
  // and closing one must cancel only that pool's queries.
  QueryWatchdog watchdog_;

  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::shared_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // idle + leased + being opened; never above max_connections
  bool closed_ = false;
  int consecutive_failures_ = 0;
  Clock::time_point next_connect_at_{};
  std::optional<PgError> last_failure_;
  RoleNote role_;
  std::optional<PgError> refusal_;
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace qw::probes::pg
