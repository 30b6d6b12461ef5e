#include "probes/postgres_queue/queue_set.hpp"

#include <algorithm>

namespace qw::probes::queue {

QueueSet::QueueSet(std::vector<std::string> configured, std::chrono::seconds forget_after)
    : configured_(std::move(configured)), forget_after_(forget_after) {
  std::sort(configured_.begin(), configured_.end());
  configured_.erase(std::unique(configured_.begin(), configured_.end()), configured_.end());
}

void QueueSet::seen(const std::string& queue, Clock::time_point now) {
  if (!discovers()) return;
  last_seen_[queue] = now;
}

std::vector<std::string> QueueSet::current(Clock::time_point now) {
  if (!discovers()) return configured_;
  std::vector<std::string> out;
  for (auto it = last_seen_.begin(); it != last_seen_.end();) {
    if (now - it->second > forget_after_) {
      it = last_seen_.erase(it);
    } else {
      out.push_back(it->first);
      ++it;
    }
  }
  return out;
}

}  // namespace qw::probes::queue
