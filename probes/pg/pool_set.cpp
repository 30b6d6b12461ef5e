#include "probes/pg/pool_set.hpp"

namespace qw::probes::pg {

PoolSet::PoolSet(const config::Config& config) {
  BackoffPolicy backoff;
  // Reconnects back off up to the health probe's max_backoff: recovery is seen within it.
  backoff.max = config.probes.health.max_backoff;
  for (const auto& t : config.targets)
    pools_.emplace(t.name, std::make_unique<TargetPool>(t, watchdog_, backoff));
}

PoolSet::~PoolSet() {
  close_all();
}

TargetPool& PoolSet::get(const std::string& target) {
  return *pools_.at(target);
}

void PoolSet::close_all() {
  for (auto& [name, pool] : pools_) pool->close();
  watchdog_.fire_all();
}

}  // namespace qw::probes::pg
