#pragma once
// One TargetPool per configured target. Owned by whoever runs probes (the daemon, or
// `queuewatch once`). A reload builds a new set from the previous one: a target whose settings
// did not change keeps its pool, open connections and reconnect backoff included.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "probes/pg/target_pool.hpp"

namespace qw::probes::pg {

class PoolSet {
 public:
  static inline const std::string kNoTarget;  // the target() of a probe that has no database

  // With `previous`, the pools of unchanged targets are shared with it, not reopened.
  explicit PoolSet(const config::Config& config, const PoolSet* previous = nullptr);

  TargetPool& get(const std::string& target);  // throws std::out_of_range for unknown names
  // The pool for a probe to hold on to; null for an unknown target. A probe without a database
  // (target() empty: provider_status reads a web feed) gets kNoTarget's stand-in, which refuses
  // every use: the scheduler and `once` treat every probe alike, and a probe that touched a
  // database by mistake fails loudly instead of connecting somewhere.
  std::shared_ptr<TargetPool> share(const std::string& target) const;
  // The pool a probe of `name` runs on now: a target's own; for a cluster (docs/clusters.md),
  // its primary's, from the members' health notes: the one that accepts writes, the same one as
  // long as it does (two writable members are a split brain, and a source must not hop between
  // them). With none, a stand-in that refuses with no_primary, naming each member's state. Null
  // for an unknown name.
  std::shared_ptr<TargetPool> for_probe(const std::string& name) const;
  bool is_cluster(const std::string& name) const { return clusters_.contains(name); }
  // Shutdown: no new connections, and every query in flight is cancelled and its socket shut.
  void close_all();
  // Reload: closes the pools that `successor` did not carry over.
  void close_retired(const PoolSet& successor);
  // How many pools this set took over from its predecessor.
  std::size_t carried_over() const { return carried_over_; }

 private:
  std::map<std::string, std::shared_ptr<TargetPool>> pools_;
  std::shared_ptr<TargetPool> no_database_;  // kNoTarget's, carried over by a reload
  struct Cluster {
    std::vector<std::string> members;
    std::shared_ptr<TargetPool> refusing;  // used while no member is primary
    std::string current;                   // the member sources ran on last
  };
  mutable std::mutex clusters_mutex_;  // for_probe runs on probe workers
  mutable std::map<std::string, Cluster> clusters_;
  std::size_t carried_over_ = 0;
};

}  // namespace qw::probes::pg
