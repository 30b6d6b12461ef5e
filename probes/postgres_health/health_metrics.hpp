#pragma once
// postgres_health's series, per target {target, region}: up, why down, connect and query latency,
// standby or primary, server version. docs/metrics.md documents each.
#include "probes/kind_metrics.hpp"

namespace qw::probes::health {

std::unique_ptr<KindMetrics> make_health_metrics(prometheus::Registry& registry);

}  // namespace qw::probes::health
