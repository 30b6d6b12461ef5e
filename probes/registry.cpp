#include "probes/registry.hpp"

#include "probes/postgres_health/health_probe.hpp"
#include "probes/postgres_queue/queue_probe.hpp"

namespace qw::probes {

namespace {
// One line per probe kind.
constexpr ProbeKind kKinds[] = {
    {"postgres_health", &health::make_health_probes},
    {"postgres_queue", &queue::make_queue_probes},
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
