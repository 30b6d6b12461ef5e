#pragma once
// What the engine keeps about one cluster (docs/clusters.md): its members' latest health rounds,
// which member is primary, and since when it has none or more than one. Only the engine writes
// it; the cluster rules (cluster_rules.cpp) read it.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/rules_config.hpp"
#include "rules/observation.hpp"

namespace qw::rules {

// A cluster as the config declares it.
struct ClusterMembers {
  std::string name;
  std::vector<std::string> members;
};

struct Failover {
  std::string from, from_region, to, to_region;
  Time at;                       // the health round that saw the new primary
  double without_primary_s = 0;  // how long no member was primary before it
};

struct ClusterState {
  std::string name;
  std::vector<std::string> members;
  std::map<std::string, TargetTick> last;  // members that have reported, by name
  std::optional<std::string> primary;      // the member last seen as the one primary
  std::optional<Time> no_primary_since;    // no member accepts writes, since this round
  std::optional<Time> split_since;         // two or more accept writes, since this round
  std::optional<Failover> failover;        // the latest move of the primary
  // The latest window without a primary that has ended: the cluster's queues were not silent
  // in it, they were unreachable (Engine::ingest moves their silence clock past it).
  std::optional<std::pair<Time, Time>> last_outage;
  // The members' latest replication rounds, by name (replica_lag, replica_not_streaming).
  std::map<std::string, ReplicationTick> replication;
};

// Accepts the application's writes: answered, not in recovery, not read-only.
bool writable(const TargetTick& t);

// What replica_parity compares of a member, by name: its declared facts, replaced by those its
// facts_query returned, replaced by the settings its health round read (normalised, so they
// compare by value). None of the facts while its facts_query fails: not measured.
std::map<std::string, std::string> parity_values(const TargetTick& t);

// The members that accept writes now, in declared order.
std::vector<std::string> writable_members(const ClusterState& c);

// One health round of a member: updates roles, and records a failover when the primary moved.
void update_cluster(ClusterState& c, const TargetTick& tick);

// Whether a member accepts writes now and is the cluster's primary (no no_primary window): the
// replica rules judge standbys against it, and reach no verdict without one.
bool has_live_primary(const ClusterState& c);

// The cluster rules. Each appends its conditions (replica_parity: one per differing standby).
void eval_failover(const ClusterState& c, const config::RulesConfig& config, Time now,
                   std::vector<ActiveCondition>& out);
void eval_no_primary(const ClusterState& c, const config::RulesConfig& config, Time now,
                     std::vector<ActiveCondition>& out);
void eval_split_brain(const ClusterState& c, const config::RulesConfig& config, Time now,
                      std::vector<ActiveCondition>& out);
void eval_replica_parity(const ClusterState& c, const config::RulesConfig& config, Time now,
                         std::vector<ActiveCondition>& out);
// One condition per standby: its replay lag over replica_lag.max_lag; it answers but does not
// stream from the primary. Neither judges while the cluster has no primary (no_primary's page).
void eval_replica_lag(const ClusterState& c, const config::RulesConfig& config, Time now,
                      std::vector<ActiveCondition>& out);
void eval_replica_not_streaming(const ClusterState& c, const config::RulesConfig& config, Time now,
                                std::vector<ActiveCondition>& out);

// How long the failover alert holds after the move (after its `for`), then resolves by itself.
inline constexpr std::chrono::minutes kFailoverAnnounced{10};

}  // namespace qw::rules
