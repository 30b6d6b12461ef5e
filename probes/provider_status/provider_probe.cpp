#include "probes/provider_status/provider_probe.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "config/provider_match.hpp"
#include "probes/pg/pool_set.hpp"
#include "probes/same_settings.hpp"

namespace qw::probes::provider {

std::vector<ProviderIncident> open_incidents(const config::ProviderConfig& provider,
                                             const std::vector<ProviderIncident>& parsed,
                                             std::int64_t now) {
  const std::int64_t max_age_seconds = provider.max_age.count() / 1000;
  std::vector<ProviderIncident> out;
  for (const auto& incident : parsed) {
    if (!config::matches_any(provider.components, incident.title, incident.components)) continue;
    // Statuspage says which incidents are open; a feed item is history once it is old.
    if (provider.kind != config::ProviderKind::statuspage && incident.started_at &&
        now - *incident.started_at > max_age_seconds)
      continue;
    out.push_back(incident);
  }
  return out;
}

ProviderProbe::ProviderProbe(const config::ProviderConfig& provider, Clock now)
    : provider_(provider), id_("provider_status/" + provider.name), now_(std::move(now)) {
  if (!now_)
    now_ = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
}

const std::string& ProviderProbe::target() const {
  return pg::PoolSet::kNoTarget;
}

bool ProviderProbe::same_observation(const Probe& running) const {
  const auto* other = dynamic_cast<const ProviderProbe*>(&running);
  return other && same_settings(other->provider_, provider_);
}

FailureReason ProviderProbe::run(ProbeContext& /*ctx: no database*/, SampleSink& sink) {
  const auto result = client_.send(build_request(provider_, validators_));
  auto outcome = classify(result, validators_);
  if (outcome.not_modified && !known_) {
    // We sent no validators, so a 304 is the server's mistake: there is nothing to keep.
    outcome.not_modified = false;
    outcome.failure = FetchFailure::http_status;
    outcome.detail = "HTTP 304 to an unconditional request";
  }
  if (outcome.failure == FetchFailure::none && !outcome.not_modified) {
    auto feed = provider_.kind == config::ProviderKind::statuspage ? parse_statuspage(outcome.body)
                                                                   : parse_feed(outcome.body);
    if (!feed.ok) {
      outcome.failure = FetchFailure::malformed;
      outcome.detail = feed.error;
    } else {
      // Kept unfiltered by age: a 304 later re-applies max_age at its own time.
      parsed_ = std::move(feed.incidents);
      known_ = true;
      validators_ = outcome.validators;
    }
  }
  const std::int64_t now = now_();
  ProviderStatusSample sample;
  sample.provider = provider_.name;
  sample.up = outcome.failure == FetchFailure::none;
  sample.failure = outcome.failure;
  sample.detail = outcome.detail;
  sample.not_modified = outcome.not_modified;
  if (sample.up) last_success_ = now;
  sample.known = known_;
  sample.incidents = open_incidents(provider_, parsed_, now);
  sample.components = provider_.components;
  sample.last_success = last_success_;
  if (!sample.up)
    spdlog::debug("{}: fetch failed ({}: {})", id_, to_string(sample.failure), sample.detail);
  sink.publish(sample);
  // The scheduler's FailureReason names database failures; the feed's own reason is in the
  // sample (queuewatch_provider_fetch_failures_total{reason}).
  return sample.up ? FailureReason::none : FailureReason::other;
}

ProbeList make_provider_status_probes(const config::Config& config) {
  ProbeList out;
  for (const auto& p : config.providers) out.push_back(std::make_unique<ProviderProbe>(p));
  return out;
}

}  // namespace qw::probes::provider
