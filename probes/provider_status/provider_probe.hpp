#pragma once
// provider_status: one instance per entry of `providers`. Each run fetches the feed once
// (conditionally), keeps the open incidents that pass the provider's `components` filter, and
// publishes them; a failed round publishes the last known ones with up == false. See README.md.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "alerts/http_client.hpp"
#include "config/config.hpp"
#include "probes/probe.hpp"
#include "probes/provider_status/feed.hpp"
#include "probes/provider_status/provider_fetch.hpp"

namespace qw::probes::provider {

// The incidents of a parsed document that count: those passing `components` and, for RSS/Atom
// (no incident state), published less than max_age before `now` (an undated item counts).
std::vector<ProviderIncident> open_incidents(const config::ProviderConfig& provider,
                                             const std::vector<ProviderIncident>& parsed,
                                             std::int64_t now);

class ProviderProbe : public Probe {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix seconds; injected by tests
  explicit ProviderProbe(const config::ProviderConfig& provider, Clock now = {});

  std::string_view kind() const override { return "provider_status"; }
  const std::string& id() const override { return id_; }
  // No database: the scheduler hands it pg::PoolSet's refusing stand-in, which it never uses.
  const std::string& target() const override;
  config::Duration interval() const override { return provider_.interval; }
  // Failures never back off (they are no database overload); the interval is already long.
  config::Duration max_backoff() const override { return provider_.interval; }
  FailureReason run(ProbeContext& ctx, SampleSink& sink) override;
  bool same_observation(const Probe& running) const override;

 private:
  const config::ProviderConfig provider_;
  const std::string id_;
  Clock now_;
  alerts::HttpClient client_;  // a probe never runs concurrently with itself
  // What the last successful 200 said, kept across failed rounds and 304s.
  Validators validators_;
  bool known_ = false;
  std::vector<ProviderIncident> parsed_;  // after the components filter; max_age applied per run
  std::optional<std::int64_t> last_success_;
};

ProbeList make_provider_status_probes(const config::Config& config);

}  // namespace qw::probes::provider
