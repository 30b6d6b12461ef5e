#pragma once
// The probe kinds queuewatch knows. Adding a kind: a folder under probes/ with a factory, and
// one line in registry.cpp.
#include <span>
#include <string_view>

#include "config/config.hpp"
#include "probes/probe.hpp"

namespace qw::probes {

struct ProbeKind {
  std::string_view name;
  ProbeList (*make)(const config::Config& config);  // one instance per target/queue it covers
};

std::span<const ProbeKind> probe_kinds();
ProbeList make_all_probes(const config::Config& config);

}  // namespace qw::probes
