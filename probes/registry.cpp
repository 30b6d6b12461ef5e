#include "probes/registry.hpp"

#include "probes/postgres_health/health_metrics.hpp"
#include "probes/postgres_health/health_probe.hpp"
#include "probes/postgres_queue/queue_metrics.hpp"
#include "probes/postgres_queue/queue_probe.hpp"
#include "probes/postgres_replication/replication_metrics.hpp"
#include "probes/postgres_replication/replication_probe.hpp"
#include "probes/provider_status/provider_metrics.hpp"
#include "probes/provider_status/provider_probe.hpp"

namespace qw::probes {

namespace {
// One line per probe kind (and its headers above).
constexpr ProbeKind kKinds[] = {
    {"postgres_health", &health::make_health_probes, &health::make_health_metrics},
    {"postgres_queue", &queue::make_queue_probes, &queue::make_queue_metrics},
    {"postgres_replication", &replication::make_replication_probes,
     &replication::make_replication_metrics},
    {"provider_status", &provider::make_provider_status_probes,
     &provider::make_provider_status_metrics},
};
}  // namespace

std::span<const ProbeKind> probe_kinds() {
  return kKinds;
}

ProbeList make_all_probes(const config::Config& config) {
  ProbeList out;
  for (const auto& kind : kKinds)
    for (auto& probe : kind.make(config)) out.push_back(std::move(probe));
  return out;
}

}  // namespace qw::probes
