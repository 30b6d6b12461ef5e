#include "rules/engine.hpp"

#include <algorithm>
#include <string_view>

#include "rules/rule_table.hpp"

namespace qw::rules {

Engine::Engine(config::RulesConfig config, Timezone tz)
    : config_(std::move(config)), tz_(std::move(tz)) {}

void Engine::reconfigure(config::RulesConfig config, Timezone tz) {
  config_ = std::move(config);
  tz_ = std::move(tz);
  for (auto& [key, q] : queues_) {
    q.rules = resolve(config_, key.source, key.queue);
    q.baseline_cache.clear();  // the warm-up floor may have changed
  }
}

QueueState& Engine::state_for(const QueueKey& key) {
  auto it = queues_.find(key);
  if (it != queues_.end()) return it->second;
  QueueState& q = queues_[key];
  q.key = key;
  q.rules = resolve(config_, key.source, key.queue);
  return q;
}

void Engine::set_clusters(const std::vector<ClusterMembers>& clusters) {
  std::map<std::string, ClusterState> next;
  cluster_of_.clear();
  for (const ClusterMembers& c : clusters) {
    const auto old = clusters_.find(c.name);
    if (old != clusters_.end() && old->second.members == c.members) {
      next.emplace(c.name, std::move(old->second));
    } else {
      ClusterState& s = next[c.name];
      s.name = c.name;
      s.members = c.members;
    }
    for (const std::string& m : c.members) cluster_of_[m] = c.name;
  }
  clusters_ = std::move(next);
}

void Engine::set_providers(const std::vector<std::string>& names) {
  std::erase_if(providers_, [&](const auto& entry) {
    return std::find(names.begin(), names.end(), entry.first) == names.end();
  });
}

const ProviderState* Engine::provider(const std::string& name) const {
  const auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : &it->second;
}

const ClusterState* Engine::cluster(const std::string& name) const {
  const auto it = clusters_.find(name);
  return it == clusters_.end() ? nullptr : &it->second;
}

const QueueState* Engine::queue(const QueueKey& key) const {
  const auto it = queues_.find(key);
  return it == queues_.end() ? nullptr : &it->second;
}

void Engine::ingest(const QueueTick& tick) {
  QueueState& q = state_for(tick.key);
  if (q.last && tick.at < q.last->at) return;
  if (q.last) q.last_gap = tick.at - q.last->at;
  q.region = tick.region;
  if (tick.measured) skip_outage(q);
  if (tick.measured) {
    measured_sources_.emplace(tick.key.target, tick.key.source);
    const Time from = q.last_measured ? q.last_measured->at : tick.at;
    const std::int64_t at_s = epoch_seconds(tick.at);
    if (tick.completions_known) {
      q.history.record(tz_, epoch_seconds(from), at_s, tick.completed, tick.failed);
    }
    if (!q.first_measured_at) q.first_measured_at = tick.at;
    if (!q.last_completion_at) q.last_completion_at = tick.at;
    if (tick.completions_known && tick.completed > 0) {
      Time finished = tick.at;
      if (tick.last_completion_age_seconds && *tick.last_completion_age_seconds > 0) {
        finished -= std::chrono::milliseconds{
            static_cast<std::int64_t>(*tick.last_completion_age_seconds * 1000)};
      }
      // Never earlier than a completion already seen (a late-committing row, clock skew).
      q.last_completion_at = std::max(finished, *q.last_completion_at);
      q.completion_seen = true;
      // The rate a later silence is judged against: the last hour's, over its measured part,
      // once that part is evidence rather than a guess. Until then the previous rate stands
      // (none, or the one warm_start read from the table).
      const WindowSums hour = q.history.window(at_s, 3600);
      if (rate_is_known(hour)) {
        q.rate_before_silence = hour.completed / hour.measured_s;
        q.rate_known = true;
      }
    }
    if (!tick.completions_known) {
      const bool waiting_before = q.last_measured && q.last_measured->ready > 0;
      std::optional<Time> drained_at;
      if (tick.drained_age_seconds)
        drained_at = tick.at - std::chrono::milliseconds{
                                   static_cast<std::int64_t>(*tick.drained_age_seconds * 1000)};
      if (tick.progress) q.progress.set_measured();
      q.progress.record(tick.at, waiting_before, tick.progress.value_or(0) > 0, tick.ready,
                        tick.oldest_ready_age_seconds, drained_at);
    }
    if (const std::int64_t h = at_s / 3600; h != q.dispersion_hour) {
      q.history.refresh_dispersion(at_s);
      q.deep_lulls.count_new_blocks(q.history.minutes(), q.history.hours(), tz_, at_s);
      q.level = level_stats(q.history.hours(), local_hour_index(tz_, at_s), q.history.dispersion());
      q.dispersion_hour = h;
    }
    q.last_measured = tick;
  }
  q.last = tick;
}

void Engine::ingest(const TargetTick& tick) {
  TargetState& t = targets_[tick.target];
  if (!tick.up && (t.last.up || !t.down_since)) t.down_since = tick.at;
  if (tick.up) t.down_since.reset();
  t.last = tick;
  if (const auto it = cluster_of_.find(tick.target); it != cluster_of_.end())
    update_cluster(clusters_.at(it->second), tick);
}

void Engine::ingest(const ProviderTick& tick) {
  update_provider(providers_[tick.provider], tick);
}

void Engine::ingest(const ReplicationTick& tick) {
  const auto it = cluster_of_.find(tick.target);
  if (it == cluster_of_.end()) return;
  auto& last = clusters_.at(it->second).replication;
  const auto old = last.find(tick.target);
  if (old != last.end() && tick.at < old->second.at) return;
  ReplicationTick t = tick;
  // A standby whose WAL receiver stopped shows no conninfo: the name it streamed under is the
  // one the primary would list it by (replica_not_streaming asks the primary for it).
  if (t.application_name.empty() && old != last.end() && t.in_recovery.value_or(false))
    t.application_name = old->second.application_name;
  last.insert_or_assign(tick.target, std::move(t));
}

// A source on a cluster cannot be measured while no member is primary, and its workers cannot
// complete anything either: that window is the cluster's outage (no_primary, or a failover),
// not the queue's silence. Its first measured round after the window moves the silence clock
// past it, so no_throughput judges only what stalled outside it, and its hours are not learnt
// as normal ones. Jobs left running on the old primary stay visible to stuck_in_progress.
void Engine::skip_outage(QueueState& q) {
  const auto c = clusters_.find(q.key.target);
  if (c == clusters_.end() || !c->second.last_outage) return;
  const auto [start, end] = *c->second.last_outage;
  if (q.outage_skipped && *q.outage_skipped >= end) return;
  q.outage_skipped = end;
  if (q.last_completion_at && *q.last_completion_at < end)
    *q.last_completion_at += end - std::max(start, *q.last_completion_at);
  q.history.exclude(tz_, epoch_seconds(start), epoch_seconds(end));
  q.baseline_cache.clear();
}

std::vector<ActiveCondition> Engine::evaluate(Time now) {
  std::vector<ActiveCondition> out;
  const RuleContext ctx{tz_, now, config_.evaluation_interval};
  // database_unavailable quotes the open incident of the target's provider that concerns it.
  for (auto& [name, t] : targets_) {
    t.provider_incident.reset();
    t.provider_feed_up = true;
    if (t.last.provider.empty()) continue;
    const auto p = providers_.find(t.last.provider);
    if (p == providers_.end()) continue;
    if (const ProviderIncidentInfo* i = quoted_incident(p->second, t.last.provider_components)) {
      t.provider_incident = *i;
      t.provider_feed_up = p->second.up;
    }
  }
  for (const RuleDef& rule : rule_table()) {
    if (rule.scope != RuleScope::target) continue;
    for (const auto& [name, t] : targets_) {
      Verdict v = rule.eval_target(t, config_, now);
      if (v.holds()) out.push_back(std::move(v.condition()));
    }
  }
  for (const RuleDef& rule : rule_table()) {
    if (rule.scope != RuleScope::cluster) continue;
    for (const auto& [name, c] : clusters_) rule.eval_cluster(c, config_, now, out);
  }
  for (const RuleDef& rule : rule_table()) {
    if (rule.scope != RuleScope::provider) continue;
    for (const auto& [name, p] : providers_) rule.eval_provider(p, config_, now, out);
  }
  const std::span<const RuleDef> table = rule_table();
  for (auto& [key, q] : queues_) {
    q.unknown_rules = 0;
    for (std::size_t i = 0; i < table.size(); ++i) {
      const RuleDef& rule = table[i];
      if (rule.scope != RuleScope::queue) continue;
      Verdict v = rule.eval_queue(q, ctx);
      // An unknown verdict is remembered for undecided(): a bit, not a set of names, as most
      // rounds have thousands (idle and warming-up queues) and this loop is the evaluation.
      if (!v.known()) q.unknown_rules |= std::uint32_t{1} << i;
      if (!v.holds()) continue;
      out.push_back(std::move(v.condition()));
      if (rule.on_hold) rule.on_hold(q, ctx);
    }
  }
  return out;
}

bool Engine::undecided(const Labels& labels) const {
  auto label = [&labels](const char* name) {
    const auto it = labels.find(name);
    return it == labels.end() ? std::string() : it->second;
  };
  const std::string alertname = label("alertname");
  const RuleDef* rule = find_rule(alertname);
  if (rule == nullptr) return false;
  if (rule->scope == RuleScope::target) return !targets_.contains(label("target"));
  // A feed that cannot be read now, or has not been read since the start, says nothing about
  // whether an incident is over.
  if (rule->scope == RuleScope::provider) {
    const auto p = providers_.find(label("provider"));
    return p == providers_.end() || !p->second.known || !p->second.up;
  }
  if (rule->scope == RuleScope::cluster) {
    const auto c = clusters_.find(label("cluster"));
    if (c == clusters_.end()) return true;
    // The replica rules judge a standby by its replication rounds against a live primary: no
    // round yet, or no primary (no_primary's outage, which inhibits them), no verdict: a firing
    // one is kept, not resolved by the outage.
    if (alertname == "replica_lag" || alertname == "replica_not_streaming")
      return !c->second.replication.contains(label("target")) || !has_live_primary(c->second);
    return c->second.last.empty();
  }
  const QueueKey key{label("target"), label("source"), label("queue")};
  if (const auto it = queues_.find(key); it != queues_.end()) {
    const auto index = static_cast<std::size_t>(rule - rule_table().data());
    return (it->second.unknown_rules >> index & 1U) != 0;
  }
  return !measured_sources_.contains({key.target, key.source});
}

void Engine::warm_start(const QueueKey& key, std::span<const HourlyCount> hours, Time until) {
  QueueState& q = state_for(key);
  double last_hour = 0;
  for (const HourlyCount& h : hours) {
    if (h.hour_start + std::chrono::hours{1} == until) last_hour = h.completed;
    // The hour's middle decides its local hour, so half-hour zones land in one slot.
    const std::int64_t mid = epoch_seconds(h.hour_start) + 1800;
    HourSlot* slot = q.history.hours().write(local_hour_index(tz_, mid));
    if (slot == nullptr || slot->measured_s >= kMinMeasuredPerHour) continue;
    slot->count = static_cast<float>(h.completed);
    slot->measured_s = 3600;
  }
  // A stall already under way when the daemon starts has no "before" of its own: the table's
  // last complete hour stands in until the daemon has measured a rate itself.
  if (!q.rate_known) {
    q.rate_before_silence = last_hour / 3600;
    q.rate_known = true;
  }
  q.baseline_cache.clear();
  q.dispersion_hour = INT64_MIN;  // the level is relearnt from these hours next round
}

std::vector<HourlyCount> complete_hours(std::span<const HourlyCount> rows, Time until) {
  std::vector<HourlyCount> out;
  if (rows.empty()) return out;
  std::size_t next = 1;  // rows[0] is the possibly cut first hour
  for (Time h = rows[0].hour_start + std::chrono::hours{1}; h < until; h += std::chrono::hours{1}) {
    while (next < rows.size() && rows[next].hour_start < h) ++next;
    const bool present = next < rows.size() && rows[next].hour_start == h;
    out.push_back({h, present ? rows[next].completed : 0});
  }
  return out;
}

void Engine::restore_deep_lulls(const QueueKey& key, const DeepLulls& lulls) {
  state_for(key).deep_lulls = lulls;
}

void Engine::restore_rate(const QueueKey& key, double per_second) {
  QueueState& q = state_for(key);
  q.rate_before_silence = per_second;
  q.rate_known = true;
}

bool Engine::has_history(const std::string& target, const std::string& source) const {
  // Keys order by target, then source: this source's queues are one contiguous run.
  for (auto it = queues_.lower_bound(QueueKey{target, source, ""});
       it != queues_.end() && it->first.target == target && it->first.source == source; ++it) {
    const HourRing& hours = it->second.history.hours();
    if (hours.empty()) continue;
    bool found = false;
    hours.for_range(hours.newest() - kHourSlots, hours.newest(), [&](const HourSlot& slot) {
      found = found || slot.measured_s >= kMinMeasuredPerHour;
    });
    if (found) return true;
  }
  return false;
}

void Engine::restore_hours(const QueueKey& key, const HourRing& hours) {
  QueueState& q = state_for(key);
  q.history.hours() = hours;
  q.baseline_cache.clear();
  q.dispersion_hour = INT64_MIN;  // the level is relearnt from these hours next round
}

void Engine::forget(const QueueKey& key) {
  queues_.erase(key);
}

}  // namespace qw::rules
