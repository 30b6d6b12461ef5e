#pragma once
// Where retired configuration generations go to finish. A reload must never wait on the event
// loop for a probe worker, and a worker may be blocked in a libpq connect until its
// connect_timeout (which nothing can interrupt): this thread joins those workers and destroys
// the generation once they have returned.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/runtime.hpp"

namespace qw::daemon {

class RuntimeReaper {
 public:
  RuntimeReaper();
  // Joins the thread, which waits for every retired worker: call wait_until() first wherever
  // that could take long (shutdown exits the process instead when it would).
  ~RuntimeReaper();
  RuntimeReaper(const RuntimeReaper&) = delete;
  RuntimeReaper& operator=(const RuntimeReaper&) = delete;

  // Takes a generation that was retired on the event loop.
  void retire(std::unique_ptr<Runtime> runtime);
  // True once every generation handed over is gone; false at the deadline if some is not.
  bool wait_until(std::chrono::steady_clock::time_point deadline);
  // Generations handed over and not yet gone (a worker still blocked, usually).
  std::size_t pending() const;

 private:
  void loop();

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Runtime>> queue_;
  std::size_t pending_ = 0;  // queued + the one being joined
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace qw::daemon
