#pragma once
// The probe kinds queuewatch knows: one registration each, in registry.cpp, carrying what the
// daemon needs of a kind (postgres_exporter's registerCollector, without the static-init
// registration that static libraries would silently drop). How to add a kind: probes/README.md.
#include <span>
#include <string_view>

#include "config/config.hpp"
#include "probes/kind_metrics.hpp"
#include "probes/probe.hpp"

namespace qw::probes {

struct ProbeKind {
  std::string_view name;  // the `probe` label, probes.<name> in the config, probes/<name>/
  // One instance per target/queue/... it covers, from the loaded configuration.
  ProbeList (*make)(const config::Config& config);
  // Its part of /metrics: the families it declares and the Sample types it turns into series.
  KindMetricsFactory metrics;
};

std::span<const ProbeKind> probe_kinds();
ProbeList make_all_probes(const config::Config& config);

}  // namespace qw::probes
