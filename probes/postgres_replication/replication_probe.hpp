#pragma once
// postgres_replication: per cluster member, the replication it takes part in, on the member's own
// pool. A primary lists its WAL senders (pg_stat_replication: state, bytes behind per stage,
// replay lag) and slots (WAL retained); a standby its WAL receiver's status, the bytes received
// and not replayed, its replay lag in seconds (0 when caught up: an idle primary is no lag) and
// whether replay is paused. See README.md.
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "probes/probe.hpp"

namespace qw::probes::replication {

class ReplicationProbe : public Probe {
 public:
  ReplicationProbe(const config::TargetConfig& target, const config::ProbeSettings& settings);

  std::string_view kind() const override { return "postgres_replication"; }
  const std::string& id() const override { return id_; }
  const std::string& target() const override { return target_.name; }
  config::Duration interval() const override { return settings_.interval; }
  config::Duration max_backoff() const override { return settings_.max_backoff; }
  FailureReason run(ProbeContext& ctx, SampleSink& sink) override;
  bool same_observation(const Probe& running) const override;

 private:
  const config::TargetConfig target_;
  const config::ProbeSettings settings_;
  const std::string id_;
};

// The application name a standby's WAL receiver gives the primary, from
// pg_stat_wal_receiver.conninfo: its application_name, else its fallback_application_name
// (cluster_name, or "walreceiver"); empty when neither is there.
std::string application_name_of(std::string_view conninfo);

// One probe per cluster member (docs/clusters.md): replication is a cluster's business.
ProbeList make_replication_probes(const config::Config& config);

}  // namespace qw::probes::replication
