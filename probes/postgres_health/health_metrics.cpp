#include "probes/postgres_health/health_metrics.hpp"

#include <map>
#include <string>

#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

namespace qw::probes::health {

namespace {

using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

// The health query is one round trip: sub-millisecond on a LAN, seconds when the server is
// overloaded, and capped by query_timeout (at most tens of seconds).
const Histogram::BucketBoundaries kQueryBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};

class HealthMetrics final : public SampleMetrics<TargetHealthSample> {
 public:
  explicit HealthMetrics(prometheus::Registry& reg) : reg_(reg) {}

  void apply(const config::Config& config) override {
    std::map<std::string, std::string> region_of;
    for (const auto& t : config.targets) region_of[t.name] = t.region;
    for (auto it = targets_.begin(); it != targets_.end();) {
      const auto found = region_of.find(it->first);
      if (found == region_of.end() || found->second != it->second.region) {
        drop_target(it->second);
        it = targets_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [name, region] : region_of)
      targets_.try_emplace(name).first->second.region = region;
    // Membership is config: set on every apply (a member may have moved to another cluster).
    for (auto& [name, t] : targets_) drop(cluster_member_, t.member);
    for (const auto& c : config.clusters)
      for (const auto& m : c.members)
        if (auto it = targets_.find(m); it != targets_.end())
          ensure(cluster_member_, it->second.member,
                 with(target_labels(m, it->second.region), "cluster", c.name))
              .Set(1);
  }

  void on_sample(const TargetHealthSample& sample) override {
    const auto found = targets_.find(sample.target);
    if (found == targets_.end()) {
      spdlog::debug("metrics: ignoring a health sample for unconfigured target {}", sample.target);
      return;
    }
    TargetSeries& t = found->second;
    const Labels labels = target_labels(sample.target, t.region);

    ensure(target_up_, t.up, labels).Set(sample.up ? 1 : 0);
    if (sample.up) {
      drop(target_down_reason_, t.down_reason);
    } else {
      // A down target always names a reason; "other" if a probe forgot to.
      const auto reason =
          sample.reason == FailureReason::none ? FailureReason::other : sample.reason;
      if (reason != t.down_reason_value) drop(target_down_reason_, t.down_reason);
      t.down_reason_value = reason;
      ensure(target_down_reason_, t.down_reason,
             with(labels, "reason", std::string(to_string(reason))))
          .Set(1);
    }
    if (sample.connect_seconds)
      ensure(connect_duration_, t.connect, labels).Set(*sample.connect_seconds);
    if (sample.query_seconds)
      ensure(query_duration_, t.query, labels, kQueryBuckets).Observe(*sample.query_seconds);
    if (sample.in_recovery) {
      ensure(in_recovery_, t.in_recovery, labels).Set(*sample.in_recovery ? 1 : 0);
      ensure(writable_, t.writable, labels)
          .Set(!*sample.in_recovery && !sample.read_only.value_or(false) ? 1 : 0);
    } else {
      drop(in_recovery_, t.in_recovery);
      drop(writable_, t.writable);
    }
    // The version stays while the target is down: it is what we last knew, and dashboards
    // joining on it should not flap with every outage.
    if (!sample.server_version.empty() && sample.server_version != t.info_version) {
      drop(target_info_, t.info);
      t.info_version = sample.server_version;
      ensure(target_info_, t.info, with(labels, "server_version", sample.server_version)).Set(1);
    }
    // Saturation: absent while down, and all but activity_visible absent while this role cannot
    // read other users' sessions (not measured is no 0).
    if (sample.activity_visible)
      ensure(activity_visible_, t.activity_visible, labels).Set(*sample.activity_visible ? 1 : 0);
    else
      drop(activity_visible_, t.activity_visible);
    set_or_drop(connections_, t.connections, labels, sample.connections);
    set_or_drop(oldest_transaction_, t.oldest_transaction, labels,
                sample.oldest_transaction_age_seconds);
    set_or_drop(lock_waiting_, t.lock_waiting, labels, sample.lock_waiting_sessions);
    // The facts_query: absent for a target without one, and while the target is down (it did
    // not run). Its facts themselves are not series: replica_parity names them.
    if (sample.facts) {
      const health::QueriedFacts& f = *sample.facts;
      ensure(facts_up_, t.facts_up, labels).Set(f.ok ? 1 : 0);
      if (f.ok || f.failure != t.facts_failure_value) drop(facts_failure_, t.facts_failure);
      if (!f.ok) {
        t.facts_failure_value = f.failure;
        ensure(facts_failure_, t.facts_failure,
               with(labels, "reason", std::string(health::to_string(f.failure))))
            .Set(1);
      }
      set_or_drop(facts_rejected_, t.facts_rejected, labels,
                  f.ok ? std::optional<std::size_t>(f.rejected_rows) : std::nullopt);
    } else {
      drop(facts_up_, t.facts_up);
      drop(facts_failure_, t.facts_failure);
      drop(facts_rejected_, t.facts_rejected);
    }
    // Settings stay while the target is down, as the version does; a round that read them
    // drops what it no longer reports.
    if (!sample.settings.empty()) {
      std::map<std::string, Gauge*> kept;
      for (const auto& s : sample.settings) {
        Gauge*& g = kept[s.name];
        if (auto it = t.settings.find(s.name); it != t.settings.end()) g = it->second;
        ensure(setting_, g, with(labels, "setting", s.name)).Set(static_cast<double>(s.value));
      }
      for (auto& [name, g] : t.settings)
        if (!kept.contains(name)) drop(setting_, g);
      t.settings = std::move(kept);
    }
  }

 private:
  struct TargetSeries {
    std::string region;
    Gauge* up = nullptr;
    Gauge* down_reason = nullptr;
    FailureReason down_reason_value = FailureReason::none;
    Gauge* connect = nullptr;
    Histogram* query = nullptr;
    Gauge* in_recovery = nullptr;
    Gauge* writable = nullptr;
    Gauge* member = nullptr;  // queuewatch_cluster_member, when in a cluster
    Gauge* info = nullptr;
    std::string info_version;
    std::map<std::string, Gauge*> settings;  // queuewatch_target_setting, by setting name
    Gauge* activity_visible = nullptr;
    Gauge* connections = nullptr;
    Gauge* oldest_transaction = nullptr;
    Gauge* lock_waiting = nullptr;
    Gauge* facts_up = nullptr;
    Gauge* facts_failure = nullptr;
    health::FactsFailure facts_failure_value = health::FactsFailure::none;
    Gauge* facts_rejected = nullptr;
  };

  template <typename T>
  static void set_or_drop(Family<Gauge>& family, Gauge*& g, const Labels& labels,
                          const std::optional<T>& value) {
    if (value)
      ensure(family, g, labels).Set(static_cast<double>(*value));
    else
      drop(family, g);
  }

  void drop_target(TargetSeries& t) {
    drop(target_up_, t.up);
    drop(target_down_reason_, t.down_reason);
    drop(connect_duration_, t.connect);
    drop(query_duration_, t.query);
    drop(in_recovery_, t.in_recovery);
    drop(writable_, t.writable);
    drop(cluster_member_, t.member);
    drop(target_info_, t.info);
    for (auto& [name, g] : t.settings) drop(setting_, g);
    t.settings.clear();
    drop(activity_visible_, t.activity_visible);
    drop(connections_, t.connections);
    drop(oldest_transaction_, t.oldest_transaction);
    drop(lock_waiting_, t.lock_waiting);
    drop(facts_up_, t.facts_up);
    drop(facts_failure_, t.facts_failure);
    drop(facts_rejected_, t.facts_rejected);
  }

  prometheus::Registry& reg_;
  std::map<std::string, TargetSeries> targets_;  // by target name

  Family<Gauge>& target_up_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_up")
          .Help(
              "1 when the last health check reached the database and it answered as expected "
              "(role included); else 0.")
          .Register(reg_);
  Family<Gauge>& target_down_reason_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_down_reason")
          .Help(
              "While the target is down, one series with value 1 whose reason label says why "
              "(connection_refused, auth_failed, ...); no series while it is up.")
          .Register(reg_);
  Family<Gauge>& connect_duration_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_connect_duration_seconds")
          .Help("How long the last connection attempt to the target took, successful or not.")
          .Register(reg_);
  Family<Histogram>& query_duration_ =
      prometheus::BuildHistogram()
          .Name("queuewatch_target_query_duration_seconds")
          .Help("Round trip of the health check query, from the daemon to the database and back.")
          .Register(reg_);
  Family<Gauge>& in_recovery_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_in_recovery")
          .Help(
              "1 when the target is a standby (pg_is_in_recovery()), 0 when a primary. Absent "
              "while unknown (target down).")
          .Register(reg_);
  Family<Gauge>& writable_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_writable")
          .Help(
              "1 when the target accepts writes (not in recovery, not read-only): a cluster's "
              "primary. Absent while unknown (target down).")
          .Register(reg_);
  Family<Gauge>& cluster_member_ =
      prometheus::BuildGauge()
          .Name("queuewatch_cluster_member")
          .Help("Always 1: the target is a member of the cluster (the config's `clusters`).")
          .Register(reg_);
  Family<Gauge>& target_info_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_info")
          .Help(
              "Always 1; the server_version label holds the target's last reported PostgreSQL "
              "version.")
          .Register(reg_);
  Family<Gauge>& setting_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_setting")
          .Help(
              "A capacity setting the target reports (pg_settings), in base units: bytes for "
              "memory (shared_buffers, work_mem, effective_cache_size), else a count.")
          .Register(reg_);
  Family<Gauge>& activity_visible_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_activity_visible")
          .Help(
              "1 when queuewatch's role reads every session of pg_stat_activity (superuser or "
              "pg_read_all_stats, e.g. via pg_monitor), 0 when PostgreSQL hides other users' "
              "sessions: the connection, transaction and lock-wait series are then absent.")
          .Register(reg_);
  Family<Gauge>& connections_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_connections")
          .Help(
              "Client connections open now (pg_stat_activity, queuewatch's own included); "
              "compare with queuewatch_target_setting{setting=\"max_connections\"}.")
          .Register(reg_);
  Family<Gauge>& oldest_transaction_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_oldest_transaction_age_seconds")
          .Help(
              "Age of the oldest open transaction of a client session (idle in transaction "
              "included), by the database clock; 0 when none is open.")
          .Register(reg_);
  Family<Gauge>& lock_waiting_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_lock_waiting_sessions")
          .Help("Sessions waiting on a heavyweight lock now (wait_event_type = 'Lock').")
          .Register(reg_);
  Family<Gauge>& facts_up_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_facts_query_up")
          .Help(
              "1 when the target's facts_query ran in the last health round and its rows were "
              "read; 0 when it failed (its facts are then not compared). Absent without a "
              "facts_query, and while the target is down.")
          .Register(reg_);
  Family<Gauge>& facts_failure_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_facts_query_failure")
          .Help(
              "While the facts_query fails, one series with value 1 whose reason label says why "
              "(query_timeout, permission_denied, read_only, query_error, wrong_columns, "
              "too_many_rows, other); no series while it works.")
          .Register(reg_);
  Family<Gauge>& facts_rejected_ =
      prometheus::BuildGauge()
          .Name("queuewatch_target_facts_query_rejected_rows")
          .Help(
              "Rows of the last facts_query left out: a NULL, a name that is not a label name, a "
              "value over 200 bytes, a name given twice. Absent while it fails.")
          .Register(reg_);
};

}  // namespace

std::unique_ptr<KindMetrics> make_health_metrics(prometheus::Registry& registry) {
  return std::make_unique<HealthMetrics>(registry);
}

}  // namespace qw::probes::health
