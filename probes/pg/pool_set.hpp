#pragma once
// One TargetPool per configured target. Owned by whoever runs probes (the daemon, or
// `queuewatch once`). A reload builds a new set from the previous one: a target whose settings
// did not change keeps its pool, open connections and reconnect backoff included.
#include <map>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "probes/pg/target_pool.hpp"

namespace qw::probes::pg {

class PoolSet {
 public:
  // With `previous`, the pools of unchanged targets are shared with it, not reopened.
  explicit PoolSet(const config::Config& config, const PoolSet* previous = nullptr);

  TargetPool& get(const std::string& target);  // throws std::out_of_range for unknown names
  // The pool for a probe to hold on to; null for an unknown target.
  std::shared_ptr<TargetPool> share(const std::string& target) const;
  // Shutdown: no new connections, and every query in flight is cancelled and its socket shut.
  void close_all();
  // Reload: closes the pools that `successor` did not carry over.
  void close_retired(const PoolSet& successor);
  // How many pools this set took over from its predecessor.
  std::size_t carried_over() const { return carried_over_; }

 private:
  std::map<std::string, std::shared_ptr<TargetPool>> pools_;
  std::size_t carried_over_ = 0;
};

}  // namespace qw::probes::pg
