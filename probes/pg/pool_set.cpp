#include "probes/pg/pool_set.hpp"

#include "probes/same_settings.hpp"

namespace qw::probes::pg {

PoolSet::PoolSet(const config::Config& config, const PoolSet* previous) {
  BackoffPolicy backoff;
  // Reconnects back off up to the health probe's max_backoff: recovery is seen within it.
  backoff.max = config.probes.health.max_backoff;
  for (const auto& t : config.targets) {
    if (previous) {
      if (auto old = previous->share(t.name);
          old && same_settings(old->target(), t) && old->backoff().max == backoff.max) {
        pools_.emplace(t.name, std::move(old));
        ++carried_over_;
        continue;
      }
    }
    pools_.emplace(t.name, std::make_shared<TargetPool>(t, backoff));
  }
}

TargetPool& PoolSet::get(const std::string& target) {
  return *pools_.at(target);
}

std::shared_ptr<TargetPool> PoolSet::share(const std::string& target) const {
  const auto it = pools_.find(target);
  return it == pools_.end() ? nullptr : it->second;
}

void PoolSet::close_all() {
  for (auto& [name, pool] : pools_) pool->close();
}

void PoolSet::close_retired(const PoolSet& successor) {
  for (auto& [name, pool] : pools_)
    if (successor.share(name) != pool) pool->close();
}

}  // namespace qw::probes::pg
