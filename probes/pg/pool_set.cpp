#include "probes/pg/pool_set.hpp"

#include <fmt/format.h>

#include "probes/same_settings.hpp"

namespace qw::probes::pg {

PoolSet::PoolSet(const config::Config& config, const PoolSet* previous) {
  BackoffPolicy backoff;
  // Reconnects back off up to the health probe's max_backoff: recovery is seen within it.
  backoff.max = config.probes.health.max_backoff;
  // Carried over: the scheduler keeps a probe's slot only when its pool is the same object.
  no_database_ = previous ? previous->no_database_ : nullptr;
  if (!no_database_) {
    no_database_ = std::make_shared<TargetPool>(config::TargetConfig{}, backoff);
    no_database_->refuse(PgError(FailureReason::other, "this probe has no database target"));
  }
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
  for (const auto& c : config.clusters) {
    Cluster cluster;
    cluster.members = c.members;
    config::TargetConfig stand_in;
    stand_in.name = c.name;
    cluster.refusing = std::make_shared<TargetPool>(stand_in, backoff);
    // A reload keeps the member the sources ran on, when it still is one.
    if (previous) {
      std::lock_guard lock(previous->clusters_mutex_);
      if (auto it = previous->clusters_.find(c.name); it != previous->clusters_.end())
        cluster.current = it->second.current;
    }
    clusters_.emplace(c.name, std::move(cluster));
  }
}

std::shared_ptr<TargetPool> PoolSet::for_probe(const std::string& name) const {
  const auto found = clusters_.find(name);
  if (found == clusters_.end()) return share(name);
  std::lock_guard lock(clusters_mutex_);
  Cluster& c = found->second;
  std::shared_ptr<TargetPool> first_writable;
  std::string states;
  for (const std::string& member : c.members) {
    const auto pool = share(member);
    if (!pool) continue;
    const TargetPool::RoleNote role = pool->role();
    if (role.writable) {
      if (member == c.current) return pool;  // sticky: never hop while it stays writable
      if (!first_writable) first_writable = pool;
    }
    states += fmt::format("{}{}: {}", states.empty() ? "" : "; ", member,
                          !role.known     ? "not probed yet"
                          : role.writable ? "primary"
                                          : role.words);
  }
  if (first_writable) {
    c.current = first_writable->target().name;
    return first_writable;
  }
  c.refusing->refuse(PgError(FailureReason::no_primary,
                             fmt::format("no member of cluster {} is primary ({})", name, states)));
  return c.refusing;
}

TargetPool& PoolSet::get(const std::string& target) {
  return *pools_.at(target);
}

std::shared_ptr<TargetPool> PoolSet::share(const std::string& target) const {
  if (target == kNoTarget) return no_database_;
  const auto it = pools_.find(target);
  return it == pools_.end() ? nullptr : it->second;
}

void PoolSet::close_all() {
  for (auto& [name, pool] : pools_) pool->close();
  for (auto& [name, cluster] : clusters_) cluster.refusing->close();
  no_database_->close();
}

void PoolSet::close_retired(const PoolSet& successor) {
  for (auto& [name, pool] : pools_)
    if (successor.share(name) != pool) pool->close();
}

}  // namespace qw::probes::pg
