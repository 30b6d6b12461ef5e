#pragma once
// One TargetPool per configured target, sharing one QueryWatchdog. Owned by whoever runs
// probes (the daemon, or `queuewatch once`).
#include <map>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "probes/pg/query_watchdog.hpp"
#include "probes/pg/target_pool.hpp"

namespace qw::probes::pg {

class PoolSet {
 public:
  explicit PoolSet(const config::Config& config);
  ~PoolSet();

  TargetPool& get(const std::string& target);  // throws std::out_of_range for unknown names
  // Shutdown: no new connections, and every query in flight is cancelled and its socket shut.
  void close_all();

 private:
  QueryWatchdog watchdog_;
  std::map<std::string, std::unique_ptr<TargetPool>> pools_;
};

}  // namespace qw::probes::pg
