#pragma once
// provider_status's series, per provider {provider}: could the feed be read, the open incidents
// by impact and by the configured components term they matched, the fetch failures by reason,
// the last success. No incident title or id, nor any name from the feed, becomes a label
// (unbounded): those go into the provider_incident alert. docs/metrics.md documents each.
#include "probes/kind_metrics.hpp"

namespace qw::probes::provider {

std::unique_ptr<KindMetrics> make_provider_status_metrics(prometheus::Registry& registry);

}  // namespace qw::probes::provider
