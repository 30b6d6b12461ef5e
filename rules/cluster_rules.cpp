// The cluster rules: failover, no_primary, split_brain and replica_parity (docs/clusters.md).
// They judge the members' health rounds together; a member's own outage stays
// database_unavailable's, with a `cluster` label so that no_primary can hold it back.
#include <fmt/format.h>

#include <algorithm>

#include "rules/cluster_state.hpp"
#include "rules/condition.hpp"
#include "rules/queue_rules.hpp"

namespace qw::rules {

bool writable(const TargetTick& t) {
  return t.up && t.in_recovery.has_value() && !*t.in_recovery && !t.read_only;
}

std::map<std::string, std::string> parity_values(const TargetTick& t) {
  std::map<std::string, std::string> out;
  // Queried over declared: a facts_query exists because declarations go stale, and what the
  // server says now is the truth (as its settings are over a fact of their name, below).
  if (t.facts_query_failure.empty()) {
    out = t.declared_facts;
    if (t.queried_facts)
      for (const auto& [name, value] : *t.queried_facts) out[name] = value;
  }
  for (const auto& [name, value] : t.capacity) out[name] = value;
  return out;
}

std::vector<std::string> writable_members(const ClusterState& c) {
  std::vector<std::string> out;
  for (const std::string& m : c.members)
    if (const auto it = c.last.find(m); it != c.last.end() && writable(it->second))
      out.push_back(m);
  return out;
}

void update_cluster(ClusterState& c, const TargetTick& tick) {
  c.last[tick.target] = tick;
  const std::vector<std::string> w = writable_members(c);
  if (w.empty()) {
    c.split_since.reset();
    if (!c.no_primary_since) c.no_primary_since = tick.at;
    return;
  }
  if (w.size() > 1) {
    if (!c.split_since) c.split_since = tick.at;
  } else {
    c.split_since.reset();
  }
  // The known primary while it accepts writes (a split brain does not move it), else the first.
  const bool kept = c.primary && std::find(w.begin(), w.end(), *c.primary) != w.end();
  const std::string now = kept ? *c.primary : w.front();
  if (c.primary && *c.primary != now) {
    Failover f;
    f.from = *c.primary;
    if (const auto it = c.last.find(f.from); it != c.last.end()) f.from_region = it->second.region;
    f.to = now;
    f.to_region = c.last.at(now).region;
    f.at = tick.at;
    if (c.no_primary_since) f.without_primary_s = seconds_between(*c.no_primary_since, tick.at);
    c.failover = std::move(f);
  }
  if (c.no_primary_since) c.last_outage = std::make_pair(*c.no_primary_since, tick.at);
  c.no_primary_since.reset();
  c.primary = now;
}

namespace {

Labels cluster_labels(const ClusterState& c) {
  // `target` is the cluster's name, as on the queue series of its sources: the built-in
  // inhibition holds their queue alerts back by it while no_primary fires.
  return {{"cluster", c.name}, {"target", c.name}};
}

std::string where(const std::string& member, const std::string& region) {
  return region.empty() ? member : fmt::format("{} (region {})", member, region);
}

// "pg-a (10.0.0.5:5432): connection refused" for every member, or "not reported yet".
std::string member_states(const ClusterState& c) {
  std::string out;
  for (const std::string& m : c.members) {
    const auto it = c.last.find(m);
    std::string state;
    if (it == c.last.end()) {
      state = "not reported yet";
    } else if (!it->second.up) {
      state = it->second.reason.empty() ? "down" : it->second.reason;
      std::replace(state.begin(), state.end(), '_', ' ');
    } else if (writable(it->second)) {
      state = "primary";
    } else if (it->second.in_recovery.value_or(false)) {
      state = "standby (in recovery)";
    } else {
      state = "read-only";
    }
    const std::string name = it == c.last.end() || it->second.endpoint.empty()
                                 ? m
                                 : fmt::format("{} ({})", m, it->second.endpoint);
    out += fmt::format("{}{}: {}", out.empty() ? "" : "; ", name, state);
  }
  return out;
}

}  // namespace

void eval_failover(const ClusterState& c, const config::RulesConfig& config, Time now,
                   std::vector<ActiveCondition>& out) {
  const config::RuleCommon& rule = config.failover.common;
  if (!rule.enabled || !c.failover) return;
  const Failover& f = *c.failover;
  if (now - f.at >= rule.for_duration + kFailoverAnnounced) return;
  ConditionText text;
  text.summary = fmt::format("{}: primary moved from {} to {}", c.name,
                             where(f.from, f.from_region), where(f.to, f.to_region));
  text.description = fmt::format(
      "Cluster {}'s primary moved from {} to {} at {}{}. Its sources run on {} now, under the "
      "cluster's labels. Members: {}.",
      c.name, where(f.from, f.from_region), where(f.to, f.to_region), format_time(f.at),
      f.without_primary_s > 0
          ? fmt::format(", after {} without a primary", format_seconds(f.without_primary_s))
          : std::string(),
      f.to, member_states(c));
  text.extra["from"] = f.from;
  text.extra["to"] = f.to;
  if (!f.from_region.empty()) text.extra["from_region"] = f.from_region;
  if (!f.to_region.empty()) text.extra["to_region"] = f.to_region;
  out.push_back(
      make_condition("failover", rule, cluster_labels(c), f.without_primary_s, std::move(text)));
}

void eval_no_primary(const ClusterState& c, const config::RulesConfig& config, Time now,
                     std::vector<ActiveCondition>& out) {
  const config::RuleCommon& rule = config.no_primary.common;
  if (!rule.enabled || !c.no_primary_since) return;
  const double for_s = seconds_between(*c.no_primary_since, now);
  ConditionText text;
  text.summary = fmt::format("{}: no member is primary ({})", c.name, member_states(c));
  text.description = fmt::format(
      "No member of cluster {} has accepted writes since {} ({}): {}. The application cannot "
      "write, and the cluster's sources cannot be measured; the members' database_unavailable "
      "and the sources' queue alerts are held back while this fires.",
      c.name, format_time(*c.no_primary_since), format_seconds(for_s), member_states(c));
  if (c.primary) text.extra["last_primary"] = *c.primary;
  out.push_back(make_condition("no_primary", rule, cluster_labels(c), for_s, std::move(text)));
}

void eval_split_brain(const ClusterState& c, const config::RulesConfig& config, Time /*now*/,
                      std::vector<ActiveCondition>& out) {
  const config::RuleCommon& rule = config.split_brain.common;
  if (!rule.enabled || !c.split_since) return;
  const std::vector<std::string> w = writable_members(c);
  std::string names;
  for (const std::string& m : w) {
    const auto& t = c.last.at(m);
    names += fmt::format("{}{}", names.empty() ? "" : ", ", where(m, t.region));
  }
  ConditionText text;
  text.summary = fmt::format("{}: {} members accept writes: {}", c.name, w.size(), names);
  text.description = fmt::format(
      "Members of cluster {} accept writes at the same time since {}: {}. Writes to either may "
      "be lost when one is fenced. The sources stay on {}.",
      c.name, format_time(*c.split_since), names, c.primary.value_or("the first of them"));
  out.push_back(make_condition("split_brain", rule, cluster_labels(c),
                               static_cast<double>(w.size()), std::move(text)));
}

void eval_replica_parity(const ClusterState& c, const config::RulesConfig& config, Time now,
                         std::vector<ActiveCondition>& out) {
  static_cast<void>(now);
  const config::RuleCommon& rule = config.replica_parity.common;
  if (!rule.enabled || !c.primary) return;
  const auto p = c.last.find(*c.primary);
  if (p == c.last.end() || !writable(p->second)) return;
  const std::map<std::string, std::string> primary_values = parity_values(p->second);
  for (const std::string& m : c.members) {
    if (m == *c.primary) continue;
    const auto s = c.last.find(m);
    if (s == c.last.end() || !s->second.up) continue;
    // Only what both sides say: a setting or fact one side has not reported (or cannot measure
    // now) is not known to differ, nor to be equal.
    std::string diffs;
    int count = 0;
    for (const auto& [name, value] : parity_values(s->second)) {
      const auto theirs = primary_values.find(name);
      if (theirs == primary_values.end() || theirs->second == value) continue;
      diffs += fmt::format("{}{} {} (primary {})", diffs.empty() ? "" : ", ", name, value,
                           theirs->second);
      ++count;
    }
    if (count == 0) continue;
    std::string unmeasured;
    for (const auto& [name, tick] : {std::pair{m, &s->second}, std::pair{*c.primary, &p->second}})
      if (!tick->facts_query_failure.empty())
        unmeasured += fmt::format("{}{}'s facts_query failed ({})", unmeasured.empty() ? "" : ", ",
                                  name, tick->facts_query_failure);
    ConditionText text;
    text.summary =
        fmt::format("{}: standby {} differs from primary {}: {}", c.name, m, *c.primary, diffs);
    text.description = fmt::format(
        "Standby {} of cluster {} does not match primary {} in what defines capacity: {}. "
        "After a failover to it the service runs on the smaller side.{}",
        where(m, s->second.region), c.name, where(*c.primary, p->second.region), diffs,
        unmeasured.empty() ? std::string() : fmt::format(" Facts not compared: {}.", unmeasured));
    text.extra["differences"] = diffs;
    text.extra["primary"] = *c.primary;
    Labels labels{{"cluster", c.name}, {"target", m}};
    if (!s->second.region.empty()) labels.emplace("region", s->second.region);
    out.push_back(make_condition("replica_parity", rule, std::move(labels),
                                 static_cast<double>(count), std::move(text)));
  }
}

}  // namespace qw::rules

namespace qw::rules {

namespace {

// The cluster's primary, when one accepts writes now: the replica rules judge standbys against
// it, and say nothing while there is none (no_primary, or the primary's database_unavailable,
// is that outage's one page).
const TargetTick* live_primary(const ClusterState& c) {
  if (!has_live_primary(c)) return nullptr;
  return &c.last.at(*c.primary);
}

}  // namespace

bool has_live_primary(const ClusterState& c) {
  if (!c.primary || c.no_primary_since) return false;
  const auto p = c.last.find(*c.primary);
  return p != c.last.end() && writable(p->second);
}

namespace {

// A standby to judge: its health round and its replication round both answered in recovery.
const ReplicationTick* live_standby(const ClusterState& c, const std::string& m) {
  const auto h = c.last.find(m);
  if (h == c.last.end() || !h->second.up || !h->second.in_recovery.value_or(false)) return nullptr;
  const auto r = c.replication.find(m);
  if (r == c.replication.end() || !r->second.up || !r->second.in_recovery.value_or(false))
    return nullptr;
  return &r->second;
}

// The primary's WAL senders that name themselves as this standby does; none when the primary's
// round is not known or the standby's name is not.
std::vector<const ReplicationTick::Sender*> senders_of(const ClusterState& c,
                                                       const ReplicationTick& standby) {
  std::vector<const ReplicationTick::Sender*> out;
  const auto p = c.replication.find(*c.primary);
  if (p == c.replication.end() || !p->second.up || standby.application_name.empty()) return out;
  for (const auto& s : p->second.senders)
    if (s.application_name == standby.application_name) out.push_back(&s);
  return out;
}

Labels standby_labels(const ClusterState& c, const std::string& m) {
  Labels labels{{"cluster", c.name}, {"target", m}};
  if (const auto h = c.last.find(m); h != c.last.end() && !h->second.region.empty())
    labels.emplace("region", h->second.region);
  return labels;
}

std::string standby_where(const ClusterState& c, const std::string& m) {
  const auto h = c.last.find(m);
  return where(m, h == c.last.end() ? std::string() : h->second.region);
}

std::string bytes_words(double b) {
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.1f} GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", b / (1024.0 * 1024));
  if (b >= 1024.0) return fmt::format("{:.1f} KiB", b / 1024.0);
  return fmt::format("{:.0f} bytes", b);
}

}  // namespace

void eval_replica_lag(const ClusterState& c, const config::RulesConfig& config, Time /*now*/,
                      std::vector<ActiveCondition>& out) {
  const config::RuleCommon& rule = config.replica_lag.common;
  if (!rule.enabled) return;
  const TargetTick* primary = live_primary(c);
  if (primary == nullptr) return;
  const double max_s = std::chrono::duration<double>(config.replica_lag.max_lag).count();
  for (const std::string& m : c.members) {
    if (m == *c.primary) continue;
    const ReplicationTick* r = live_standby(c, m);
    if (r == nullptr) continue;
    // The larger of the two ends' measures: the standby's (time since the last replayed commit
    // while behind what it received) and the primary's replay_lag of its one sender by that name.
    std::optional<double> lag = r->replay_lag_seconds;
    std::optional<double> primary_bytes;
    const auto senders = senders_of(c, *r);
    if (senders.size() == 1) {
      if (const auto& s = senders.front()->replay_seconds) lag = std::max(lag.value_or(0.0), *s);
      primary_bytes = senders.front()->replay_bytes;
    }
    if (!lag || *lag <= max_s) continue;  // not measurable is no verdict, and no page
    std::string behind;
    if (primary_bytes)
      behind += fmt::format(", {} of WAL behind the primary", bytes_words(*primary_bytes));
    if (r->receive_replay_bytes)
      behind +=
          fmt::format(", {} received and not replayed", bytes_words(*r->receive_replay_bytes));
    if (r->replay_paused.value_or(false)) behind += ", replay is paused";
    ConditionText text;
    text.summary = fmt::format("{}: standby {} replays {} behind primary {}", c.name, m,
                               format_seconds(*lag), *c.primary);
    text.description = fmt::format(
        "Standby {} of cluster {} replays {} behind primary {} (max_lag {}){}. Reads from it are "
        "stale, and a failover to it now loses or waits for that much.",
        standby_where(c, m), c.name, format_seconds(*lag), where(*c.primary, primary->region),
        format_seconds(max_s), behind);
    text.extra["primary"] = *c.primary;
    out.push_back(make_condition("replica_lag", rule, standby_labels(c, m), *lag, std::move(text)));
  }
}

void eval_replica_not_streaming(const ClusterState& c, const config::RulesConfig& config,
                                Time /*now*/, std::vector<ActiveCondition>& out) {
  const config::RuleCommon& rule = config.replica_not_streaming.common;
  if (!rule.enabled) return;
  const TargetTick* primary = live_primary(c);
  if (primary == nullptr) return;
  const auto p = c.replication.find(*c.primary);
  const bool primary_visible = p != c.replication.end() && p->second.up && p->second.stats_visible;
  for (const std::string& m : c.members) {
    if (m == *c.primary) continue;
    const ReplicationTick* r = live_standby(c, m);
    if (r == nullptr) continue;
    // Each end that can see says why; hidden ends (no pg_read_all_stats) say nothing.
    std::vector<std::string> why;
    if (r->stats_visible && r->receiver_status != "streaming")
      why.push_back(r->receiver_status.empty()
                        ? "it runs no WAL receiver"
                        : fmt::format("its WAL receiver is {}", r->receiver_status));
    if (primary_visible && !r->application_name.empty()) {
      const auto senders = senders_of(c, *r);
      // No sender by its name while its own receiver streams: it streams from another standby
      // (cascading), or the primary's round predates a reconnect. Only counted when the
      // standby's end cannot say.
      if (senders.empty() && !(r->stats_visible && r->receiver_status == "streaming")) {
        why.push_back(fmt::format("primary {} has no WAL sender for \"{}\"", *c.primary,
                                  r->application_name));
      } else if (!senders.empty() &&
                 std::none_of(senders.begin(), senders.end(),
                              [](const auto* s) { return s->state == "streaming"; })) {
        why.push_back(fmt::format("primary {}'s WAL sender for \"{}\" is in state {}", *c.primary,
                                  r->application_name, senders.front()->state));
      }
    }
    if (why.empty()) continue;
    std::string reasons;
    for (const std::string& w : why) reasons += (reasons.empty() ? "" : "; ") + w;
    ConditionText text;
    text.summary = fmt::format("{}: standby {} does not stream from primary {}: {}", c.name, m,
                               *c.primary, reasons);
    text.description = fmt::format(
        "Standby {} of cluster {} answers but does not stream WAL from primary {}: {}. It falls "
        "behind with every write, and a failover to it loses what it has not received.",
        standby_where(c, m), c.name, where(*c.primary, primary->region), reasons);
    text.extra["primary"] = *c.primary;
    text.extra["reasons"] = reasons;
    out.push_back(make_condition("replica_not_streaming", rule, standby_labels(c, m),
                                 static_cast<double>(why.size()), std::move(text)));
  }
}

}  // namespace qw::rules
