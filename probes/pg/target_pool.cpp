#include "probes/pg/target_pool.hpp"

#include <poll.h>
#include <algorithm>
#include <cmath>
#include <pqxx/pqxx>

#include <fmt/format.h>

#include "probes/pg/conninfo.hpp"

namespace qw::probes::pg {

namespace {

double seconds_since(TargetPool::Clock::time_point start) {
  return std::chrono::duration<double>(TargetPool::Clock::now() - start).count();
}

// Settings for every queuewatch session. Read-only by default, so no configured expression can
// write; short lock_timeout, so a probe never queues behind DDL; custom plans, so bound state
// values still match partial indexes; no JIT, whose compile time dwarfs our tiny queries.
constexpr const char* kSessionSetup =
    "SET default_transaction_read_only = on; SET lock_timeout = '1s'; "
    "SET idle_in_transaction_session_timeout = '60s'; SET plan_cache_mode = force_custom_plan; "
    "SET jit = off";

// An idle connection has nothing to read; a readable socket means the server closed it (or
// sent a FATAL before closing). Checking costs one poll() and spares a query on a dead socket,
// whose error text would be vaguer than a fresh connect's, and which leaks inside libpqxx 6.4.
bool looks_closed(const pqxx::connection& conn) {
  const int fd = conn.sock();
  if (fd < 0) return true;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

// libpqxx 6.4 reports a connection the server has already closed (pg_terminate_backend, a
// pooler or a failover dropping it) in words that name no cause, e.g. "Could not obtain client
// encoding: not connected.": a connection that is gone is a connection failure, whatever the
// words. (A fired deadline is a query_timeout instead, and SQL errors keep their SQLSTATE.)
PgError classify_on(const pqxx::connection& conn, const std::exception& error, bool deadline_hit) {
  PgError classified = classify(error, deadline_hit);
  if (classified.reason() != FailureReason::other || deadline_hit ||
      dynamic_cast<const pqxx::sql_error*>(&error) != nullptr ||
      dynamic_cast<const PgError*>(&error) != nullptr)
    return classified;
  if (conn.is_open() && !looks_closed(conn)) return classified;
  return {FailureReason::connection_refused,
          fmt::format("the server closed the connection ({})", classified.what())};
}

}  // namespace

TargetPool::TargetPool(config::TargetConfig target, BackoffPolicy backoff)
    : target_(std::move(target)), backoff_(backoff) {}

TargetPool::~TargetPool() {
  close();
}

void TargetPool::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    open_ -= static_cast<int>(idle_.size());
    idle_.clear();
    released_.notify_all();
  }
  watchdog_.fire_all();
}

void TargetPool::note_role(RoleNote note) {
  std::lock_guard lock(mutex_);
  role_ = std::move(note);
}

TargetPool::RoleNote TargetPool::role() const {
  std::lock_guard lock(mutex_);
  return role_;
}

void TargetPool::refuse(std::optional<PgError> error) {
  std::lock_guard lock(mutex_);
  refusal_ = std::move(error);
}

FailureReason TargetPool::last_failure() const {
  std::lock_guard lock(mutex_);
  return last_failure_ ? last_failure_->reason() : FailureReason::none;
}

void TargetPool::schedule_retry_locked(const PgError& failure) {
  ++consecutive_failures_;
  const double base = static_cast<double>(backoff_.initial.count()) *
                      std::pow(2.0, std::min(consecutive_failures_ - 1, 20));
  const double capped = std::min(base, static_cast<double>(backoff_.max.count()));
  std::uniform_real_distribution<double> jitter(1.0 - backoff_.jitter, 1.0 + backoff_.jitter);
  next_connect_at_ =
      Clock::now() + std::chrono::milliseconds(static_cast<long long>(capped * jitter(rng_)));
  last_failure_ = failure;
}

std::shared_ptr<pqxx::connection> TargetPool::connect() {
  std::string conninfo;
  try {
    conninfo = build_conninfo(target_);
  } catch (const std::exception& e) {
    throw PgError(FailureReason::auth_failed, e.what());  // unreadable password_file
  }
  std::shared_ptr<pqxx::connection> conn;
  try {
    conn = std::make_shared<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    throw classify(e);
  }
  // The setup runs under the same deadline discipline as any query.
  auto guard = watchdog_.arm(conn, Clock::now() + target_.connect_timeout);
  try {
    pqxx::nontransaction tx(*conn);
    tx.exec(kSessionSetup);
  } catch (const std::exception& e) {
    throw classify_on(*conn, e, guard->fired());
  }
  return conn;
}

TargetPool::Slot TargetPool::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  const auto give_up = Clock::now() + wait;
  for (;;) {
    if (closed_) throw PgError(FailureReason::other, "queuewatch is shutting down");
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (!looks_closed(*conn)) return {std::move(conn), false, std::nullopt};
      --open_;  // the server hung up while it sat idle (restart, idle timeout): drop it
    }
    if (open_ < target_.max_connections) break;
    if (released_.wait_until(lock, give_up) == std::cv_status::timeout && idle_.empty())
      throw PoolBusy(
          fmt::format("all {} connections to {} are busy", target_.max_connections, target_.name));
  }
  if (last_failure_ && Clock::now() < next_connect_at_) {
    const auto wait_s = std::chrono::duration<double>(next_connect_at_ - Clock::now()).count();
    throw PgError(last_failure_->reason(), fmt::format("{} (next connection attempt in {:.1f}s)",
                                                       last_failure_->what(), wait_s));
  }
  ++open_;
  lock.unlock();
  const auto start = Clock::now();
  try {
    auto conn = connect();
    const double took = seconds_since(start);
    lock.lock();
    consecutive_failures_ = 0;
    last_failure_.reset();
    return {std::move(conn), true, took};
  } catch (const PgError& e) {
    lock.lock();
    --open_;
    schedule_retry_locked(e);
    released_.notify_one();
    throw;
  }
}

void TargetPool::release(std::shared_ptr<pqxx::connection> conn, bool reusable) {
  std::lock_guard lock(mutex_);
  if (reusable && !closed_ && conn && conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  released_.notify_one();
}

TargetPool::Use TargetPool::with_connection(std::chrono::milliseconds timeout,
                                            const std::function<void(pqxx::connection&)>& fn) {
  {
    std::lock_guard lock(mutex_);
    if (refusal_) throw *refusal_;
  }
  for (int attempt = 0;; ++attempt) {
    Slot slot = acquire(timeout);
    const Use use{slot.connect_seconds};
    auto guard = watchdog_.arm(slot.conn, Clock::now() + timeout);
    try {
      {
        pqxx::nontransaction tx(*slot.conn);
        tx.exec("SET statement_timeout = " + std::to_string(timeout.count()));
      }
      fn(*slot.conn);
    } catch (const std::exception& e) {
      const bool fired = guard->fired();
      guard.reset();
      // A probe's own PgError and SQL errors leave the connection usable; anything else means
      // the connection itself failed.
      const bool connection_ok = dynamic_cast<const pqxx::sql_error*>(&e) != nullptr ||
                                 dynamic_cast<const PgError*>(&e) != nullptr;
      const bool stale_socket = !connection_ok && !fired && !slot.fresh && attempt == 0;
      PgError classified = classify_on(*slot.conn, e, fired);
      // A fired deadline may still have a cancel in flight: never reuse that connection.
      release(std::move(slot.conn), connection_ok && !fired);
      if (stale_socket) continue;  // e.g. the server restarted since: retry once, fresh
      throw classified;
    }
    const bool fired = guard->fired();
    guard.reset();
    release(std::move(slot.conn), !fired);
    return use;
  }
}

}  // namespace qw::probes::pg
