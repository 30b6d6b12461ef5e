#pragma once
// postgres_health: does the target answer, how fast, what is it (version, primary or standby),
// and when it does not answer, why — from the fixed FailureReason set. See README.md.
#include <string>

#include "config/config.hpp"
#include "probes/postgres_health/facts_query.hpp"
#include "probes/probe.hpp"

namespace qw::probes::health {

class HealthProbe : public Probe {
 public:
  HealthProbe(const config::TargetConfig& target, const config::ProbeSettings& settings);

  std::string_view kind() const override { return "postgres_health"; }
  const std::string& id() const override { return id_; }
  const std::string& target() const override { return target_.name; }
  config::Duration interval() const override { return settings_.interval; }
  config::Duration max_backoff() const override { return settings_.max_backoff; }
  FailureReason run(ProbeContext& ctx, SampleSink& sink) override;
  bool same_observation(const Probe& running) const override;

 private:
  void note_facts(const QueriedFacts& facts);  // logs a change of the facts_query's outcome

  const config::TargetConfig target_;
  const config::ProbeSettings settings_;
  const std::string id_;
  std::string last_facts_failure_;  // "query_timeout: ...", empty while it works
};

ProbeList make_health_probes(const config::Config& config);

}  // namespace qw::probes::health
