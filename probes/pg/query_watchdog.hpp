#pragma once
// Client-side query deadlines. libpqxx calls block, so a thread of their own watches the clock:
// at the deadline it sends a cancel request (cancel_query, on a helper thread because PQcancel
// itself can block on a dead host), and if the query still has not returned after a grace
// period it shuts the socket down, which wakes the blocked call at once. A connection whose
// deadline fired is never reused: a late cancel must not hit the next query.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <pqxx/connection>

namespace qw::probes::pg {

class QueryWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit QueryWatchdog(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));
  ~QueryWatchdog();
  QueryWatchdog(const QueryWatchdog&) = delete;
  QueryWatchdog& operator=(const QueryWatchdog&) = delete;

  // Disarms on destruction. fired() tells whether the deadline was reached.
  class Guard {
   public:
    Guard(QueryWatchdog& owner, std::uint64_t id) : owner_(owner), id_(id) {}
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    bool fired() const;

   private:
    QueryWatchdog& owner_;
    std::uint64_t id_;
  };

  std::unique_ptr<Guard> arm(std::shared_ptr<pqxx::connection> conn, Clock::time_point deadline);

  // Shutdown: cancel and sever every query in flight now; later arms fire immediately.
  void fire_all();

 private:
  struct Entry {
    std::shared_ptr<pqxx::connection> conn;
    Clock::time_point deadline;
    bool cancelled = false;  // cancel request sent
    bool severed = false;    // socket shut down
  };

  void loop();
  void cancel_locked(Entry& e);
  void sever_locked(Entry& e);

  std::chrono::milliseconds grace_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  bool fire_everything_ = false;
  std::thread thread_;
};

}  // namespace qw::probes::pg
