#include "probes/pg/query_watchdog.hpp"

#include <sys/socket.h>

#include <pqxx/connection>

namespace qw::probes::pg {

QueryWatchdog::QueryWatchdog(std::chrono::milliseconds grace)
    : grace_(grace), thread_([this] { loop(); }) {}

QueryWatchdog::~QueryWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

QueryWatchdog::Guard::~Guard() {
  std::lock_guard lock(owner_.mutex_);
  owner_.entries_.erase(id_);
}

bool QueryWatchdog::Guard::fired() const {
  std::lock_guard lock(owner_.mutex_);
  auto it = owner_.entries_.find(id_);
  return it != owner_.entries_.end() && it->second.cancelled;
}

std::unique_ptr<QueryWatchdog::Guard> QueryWatchdog::arm(std::shared_ptr<pqxx::connection> conn,
                                                         Clock::time_point deadline) {
  std::uint64_t id;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    entries_.emplace(id, Entry{std::move(conn), deadline});
  }
  wake_.notify_all();
  return std::make_unique<Guard>(*this, id);
}

void QueryWatchdog::fire_all() {
  {
    std::lock_guard lock(mutex_);
    fire_everything_ = true;
  }
  wake_.notify_all();
}

void QueryWatchdog::cancel_locked(Entry& e) {
  e.cancelled = true;
  // PQcancel opens a new connection to the server and can block for the TCP timeout on a dead
  // host, so it runs detached; the shared_ptr keeps the connection alive until it returns.
  std::thread([conn = e.conn] {
    try {
      conn->cancel_query();
    } catch (...) {
      // Nothing to do: the sever step below still unblocks the query.
    }
  }).detach();
}

void QueryWatchdog::sever_locked(Entry& e) {
  e.severed = true;
  try {
    const int fd = e.conn->sock();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  } catch (...) {
  }
}

void QueryWatchdog::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = Clock::now();
    auto next_wake = Clock::time_point::max();
    for (auto& [id, e] : entries_) {
      if (fire_everything_) {
        if (!e.cancelled) cancel_locked(e);
        if (!e.severed) sever_locked(e);
        continue;
      }
      if (!e.cancelled && now >= e.deadline) cancel_locked(e);
      if (e.cancelled && !e.severed && now >= e.deadline + grace_) sever_locked(e);
      if (!e.cancelled)
        next_wake = std::min(next_wake, e.deadline);
      else if (!e.severed)
        next_wake = std::min(next_wake, e.deadline + grace_);
    }
    if (next_wake == Clock::time_point::max())
      wake_.wait(lock);
    else
      wake_.wait_until(lock, next_wake);
  }
}

}  // namespace qw::probes::pg
