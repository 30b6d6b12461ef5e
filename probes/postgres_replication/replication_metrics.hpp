#pragma once
// postgres_replication's series, per member {target, region}: whether the round read it, lag in
// bytes and seconds from the primary's side (per standby) and the standby's own, streaming
// state, replay paused, and the WAL each slot retains. docs/metrics.md documents each.
#include "probes/kind_metrics.hpp"

namespace qw::probes::replication {

std::unique_ptr<KindMetrics> make_replication_metrics(prometheus::Registry& registry);

}  // namespace qw::probes::replication
