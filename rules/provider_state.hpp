#pragma once
// What the engine keeps about one provider's status feed (probes/provider_status): its open
// incidents as last read, and whether the last round could read them. A failed round keeps the
// incidents of the last successful one: "cannot read the feed" is never "the incident is over".
// Only the engine writes it; provider_incident and database_unavailable's quote read it.
#include <optional>
#include <string>
#include <vector>

#include "config/rules_config.hpp"
#include "rules/observation.hpp"

namespace qw::rules {

struct ProviderState {
  std::string name;
  bool known = false;   // a round has read the feed since the start: `incidents` mean something
  bool up = false;      // the last round read it
  std::string failure;  // the last round's failure, when !up
  std::vector<ProviderIncidentInfo> incidents;  // open, as last read
};

// One round: a read replaces the incidents; a failed round only marks the feed unreadable.
void update_provider(ProviderState& p, const ProviderTick& tick);

// The incident a database_unavailable page quotes: of the provider's open incidents, those whose
// title or components contain every entry of `filter` (targets[].provider_components; empty:
// every incident), the most severe by impact (critical, major, minor, then the rest), then the
// longest open, then the feed's order. None when no incident matches.
const ProviderIncidentInfo* quoted_incident(const ProviderState& p,
                                            const std::vector<std::string>& filter);

// The `incident` label: the incident's id, bounded. An id longer than kMaxIncidentLabel bytes
// (an RSS guid may be a URL) keeps its start and ends in a hash of the whole, so it stays one
// stable value per incident.
inline constexpr std::size_t kMaxIncidentLabel = 64;
std::string incident_label(const std::string& id);

// "07:10 UTC" when `t` is on the same UTC day as `now`, else "2026-11-30 07:10 UTC".
std::string format_since(Time t, Time now);

// provider_incident: one condition per open incident of the provider.
void eval_provider_incident(const ProviderState& p, const config::RulesConfig& config, Time now,
                            std::vector<ActiveCondition>& out);

}  // namespace qw::rules
