// provider_incident, and the incident database_unavailable quotes (docs/rules.md): what the
// cloud provider's own status page says is broken, next to what queuewatch measures.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include "config/provider_match.hpp"
#include "rules/condition.hpp"
#include "rules/provider_state.hpp"
#include "rules/queue_rules.hpp"

namespace qw::rules {

void update_provider(ProviderState& p, const ProviderTick& tick) {
  p.name = tick.provider;
  p.up = tick.up;
  if (!tick.up) {
    p.failure = tick.failure;
    // The engine's own last read stands; before any (a restart), the probe's, when it has one.
    if (!p.known && tick.known) {
      p.incidents = tick.incidents;
      p.known = true;
    }
    return;
  }
  p.failure.clear();
  if (!tick.known) return;  // cannot happen for a read round; nothing to learn from it
  p.incidents = tick.incidents;
  p.known = true;
}

namespace {

int impact_rank(const std::string& impact) {
  if (impact == "critical") return 4;
  if (impact == "major") return 3;
  if (impact == "minor") return 2;
  if (impact == "maintenance") return 0;
  return 1;  // none, unknown (feeds carry no impact)
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += fmt::format("{}{}", out.empty() ? "" : ", ", s);
  return out;
}

}  // namespace

const ProviderIncidentInfo* quoted_incident(const ProviderState& p,
                                            const std::vector<std::string>& filter) {
  const ProviderIncidentInfo* best = nullptr;
  for (const ProviderIncidentInfo& i : p.incidents) {
    if (!config::matches_all(filter, i.title, i.components)) continue;
    if (best == nullptr) {
      best = &i;
      continue;
    }
    const int rank = impact_rank(i.impact), best_rank = impact_rank(best->impact);
    if (rank != best_rank) {
      if (rank > best_rank) best = &i;
      continue;
    }
    // Same impact: the longest open (an undated incident after dated ones).
    if (i.started_at && (!best->started_at || *i.started_at < *best->started_at)) best = &i;
  }
  return best;
}

std::string incident_label(const std::string& id) {
  if (id.size() <= kMaxIncidentLabel) return id;
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a, 64 bits: stable across builds
  for (const unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  std::size_t keep = kMaxIncidentLabel - 17;
  // Never cut a UTF-8 sequence: back up to the start of a character.
  while (keep > 0 && (static_cast<unsigned char>(id[keep]) & 0xC0) == 0x80) --keep;
  return fmt::format("{}~{:016x}", id.substr(0, keep), h);
}

std::string format_since(Time t, Time now) {
  const auto s = std::chrono::floor<std::chrono::minutes>(t);
  const auto day = std::chrono::floor<std::chrono::days>(s);
  const std::chrono::hh_mm_ss hms{s - day};
  const std::string hhmm =
      fmt::format("{:02}:{:02} UTC", hms.hours().count(), hms.minutes().count());
  if (day == std::chrono::floor<std::chrono::days>(now)) return hhmm;
  const std::chrono::year_month_day ymd{day};
  return fmt::format("{:04}-{:02}-{:02} {}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hhmm);
}

void eval_provider_incident(const ProviderState& p, const config::RulesConfig& config, Time now,
                            std::vector<ActiveCondition>& out) {
  const config::RuleCommon& rule = config.provider_incident.common;
  if (!rule.enabled || !p.known) return;
  std::set<std::string> seen;  // a feed listing one incident twice is one alert
  for (const ProviderIncidentInfo& i : p.incidents) {
    const std::string label = incident_label(i.id);
    if (!seen.insert(label).second) continue;
    const bool has_impact = !i.impact.empty() && i.impact != "unknown";
    ConditionText text;
    text.summary = fmt::format("{}: {}{}{}", p.name, i.title,
                               has_impact ? fmt::format(" (impact {})", i.impact) : "",
                               i.started_at ? " since " + format_since(*i.started_at, now) : "");
    std::string about;
    if (!i.status.empty()) about += fmt::format("status {}", i.status);
    if (has_impact) about += fmt::format("{}impact {}", about.empty() ? "" : ", ", i.impact);
    if (!i.components.empty())
      about += fmt::format("{}components {}", about.empty() ? "" : ", ", join(i.components));
    text.description = fmt::format(
        "The status feed of provider {} lists an open incident{}: \"{}\"{}.{}{}{} A target "
        "linked to {} that it concerns (provider_components) quotes it in its "
        "database_unavailable page while that target is down.",
        p.name, i.started_at ? fmt::format(" since {}", format_time(*i.started_at)) : "", i.title,
        about.empty() ? "" : fmt::format(" ({})", about),
        i.summary.empty() ? "" : fmt::format(" Latest update: {}", i.summary),
        i.link.empty() ? "" : fmt::format(" Details: {}.", i.link),
        p.up ? ""
             : fmt::format(" The feed cannot be read now ({}): this is its last known state.",
                           p.failure.empty() ? "failed" : p.failure),
        p.name);
    text.extra["title"] = i.title;
    if (!i.link.empty()) text.extra["link"] = i.link;
    text.extra["impact"] = i.impact.empty() ? "unknown" : i.impact;
    if (!i.components.empty()) text.extra["components"] = join(i.components);
    if (i.started_at) text.extra["since"] = format_time(*i.started_at);
    if (!i.status.empty()) text.extra["status"] = i.status;
    if (i.id.size() > kMaxIncidentLabel) text.extra["incident_id"] = i.id;
    const double open_s = i.started_at ? std::max(0.0, seconds_between(*i.started_at, now)) : 0;
    out.push_back(make_condition("provider_incident", rule,
                                 {{"provider", p.name}, {"incident", label}}, open_s,
                                 std::move(text)));
  }
}

}  // namespace qw::rules
