#pragma once
// Which queues of a source to report. Configured names are always reported; without them,
// queues are discovered (values seen among ready, running or just-finished rows) and kept until
// they have been empty and silent for `forget_after`, so a queue that drains keeps reporting 0
// for a while instead of vanishing, and a table with churning queue names stays bounded.
// Pure: the caller passes the time.
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace qw::probes::queue {

class QueueSet {
 public:
  using Clock = std::chrono::steady_clock;

  QueueSet(std::vector<std::string> configured, std::chrono::seconds forget_after);

  bool discovers() const { return configured_.empty(); }
  // A queue had rows (ready, running or finished) at `now`.
  void seen(const std::string& queue, Clock::time_point now);
  // Drops discovered queues unseen for forget_after; returns the queues to report, sorted.
  std::vector<std::string> current(Clock::time_point now);

 private:
  std::vector<std::string> configured_;
  std::chrono::seconds forget_after_;
  std::map<std::string, Clock::time_point> last_seen_;
};

}  // namespace qw::probes::queue
