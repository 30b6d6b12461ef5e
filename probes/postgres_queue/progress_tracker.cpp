#include "probes/postgres_queue/progress_tracker.hpp"

#include <algorithm>
#include <set>

namespace qw::probes::queue {

std::vector<std::string> ProgressTracker::tracked_ids() const {
  std::vector<std::string> ids;
  ids.reserve(tracked_.size());
  for (const auto& [id, job] : tracked_) ids.push_back(id);
  return ids;
}

std::map<std::string, std::uint64_t> ProgressTracker::observe(
    const std::vector<Found>& found, const std::vector<Head>& heads) const {
  std::map<std::string, std::uint64_t> events;
  if (!compares()) return events;
  for (const Head& h : heads) events[h.queue] += h.claims.value_or(0);
  std::set<std::string> present;
  for (const Found& f : found) {
    const auto it = tracked_.find(f.id);
    if (it == tracked_.end()) continue;
    present.insert(f.id);
    if (f.signature != it->second.signature) ++events[it->second.queue];  // claimed, retried...
  }
  for (const auto& [id, job] : tracked_)
    if (!present.contains(id)) ++events[job.queue];  // left the table: finished or removed
  return events;
}

void ProgressTracker::advance(const std::vector<Head>& heads, std::string database_now) {
  tracked_.clear();
  for (const Head& h : heads) {
    for (const auto& id : h.ready_ids) tracked_[id] = {h.queue, signature('r', "")};
    for (const auto& [id, sig] : h.running) tracked_[id] = {h.queue, sig};
  }
  previous_now_ = std::move(database_now);
}

int tracked_per_queue(std::size_t queues) {
  const auto n = std::max<std::size_t>(1, queues);
  return static_cast<int>(
      std::clamp<std::size_t>(kMaxTrackedIds / (2 * n), 1, kMaxTrackedPerQueue));
}

}  // namespace qw::probes::queue
