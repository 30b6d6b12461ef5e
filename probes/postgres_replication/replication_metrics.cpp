#include "probes/postgres_replication/replication_metrics.hpp"

#include <map>
#include <set>
#include <string>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

namespace qw::probes::replication {

namespace {

using prometheus::Family;
using prometheus::Gauge;
using prometheus::Labels;

// The series one family has for one member: each round sets what it measured, and sweep()
// drops what it no longer reports (a standby that left, a dropped slot, a hidden value).
class SeriesSet {
 public:
  explicit SeriesSet(Family<Gauge>& family) : family_(&family) {}
  void set(const Labels& labels, double value) {
    Gauge*& g = next_[labels];
    if (g == nullptr) {
      if (const auto it = live_.find(labels); it != live_.end()) {
        g = it->second;
        live_.erase(it);
      } else {
        g = &family_->Add(labels);
      }
    }
    g->Set(value);
  }
  void sweep() {
    for (auto& [labels, g] : live_) family_->Remove(g);
    live_ = std::move(next_);
    next_.clear();
  }
  void clear() {
    sweep();
    sweep();
  }

 private:
  Family<Gauge>* family_;
  std::map<Labels, Gauge*> live_, next_;
};

class ReplicationMetrics final : public SampleMetrics<ReplicationSample> {
 public:
  explicit ReplicationMetrics(prometheus::Registry& reg) : reg_(reg) {}

  void apply(const config::Config& config) override {
    std::map<std::string, std::string> region_of;
    for (const auto& c : config.clusters)
      for (const auto& m : c.members)
        if (const auto* t = config.find_target(m)) region_of[m] = t->region;
    for (auto it = members_.begin(); it != members_.end();) {
      const auto found = region_of.find(it->first);
      if (found == region_of.end() || found->second != it->second.region) {
        it->second.clear();
        it = members_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [name, region] : region_of)
      if (!members_.contains(name)) members_.emplace(name, Member(*this, region));
  }

  void on_sample(const ReplicationSample& s) override {
    const auto found = members_.find(s.target);
    if (found == members_.end()) {
      spdlog::debug("metrics: ignoring a replication sample for non-member {}", s.target);
      return;
    }
    Member& m = found->second;
    const Labels base = target_labels(s.target, m.region);
    m.up.set(base, s.up ? 1 : 0);
    if (s.up) {
      m.visible.set(base, s.stats_visible ? 1 : 0);
      // The primary's side: one standby per WAL sender, named as it names itself. Two senders
      // with one name (two standbys left at "walreceiver") are told apart by their address.
      std::map<std::string, int> uses;
      for (const auto& w : s.senders) ++uses[w.application_name];
      for (const auto& w : s.senders) {
        std::string name = w.application_name;
        if (uses[name] > 1) name += "@" + (w.client_addr.empty() ? "local" : w.client_addr);
        const Labels l = with(with(base, "standby", name), "side", "primary");
        const bool measured = w.replay_bytes.has_value();
        m.measurable.set(l, measured ? 1 : 0);
        if (!w.state.empty()) m.streaming.set(l, w.state == "streaming" ? 1 : 0);
        const std::pair<const char*, const std::optional<double>*> stages[] = {
            {"sent", &w.sent_bytes},
            {"write", &w.write_bytes},
            {"flush", &w.flush_bytes},
            {"replay", &w.replay_bytes}};
        for (const auto& [stage, v] : stages)
          if (*v) m.lag_bytes.set(with(l, "stage", stage), **v);
        if (w.replay_seconds) m.lag_seconds.set(l, *w.replay_seconds);
      }
      // The standby's own side.
      if (s.in_recovery.value_or(false)) {
        const Labels l = with(with(base, "standby", s.target), "side", "standby");
        m.measurable.set(l, s.replay_lag_seconds ? 1 : 0);
        if (s.replay_lag_seconds) m.lag_seconds.set(l, *s.replay_lag_seconds);
        if (s.receive_replay_bytes)
          m.lag_bytes.set(with(l, "stage", "replay"), *s.receive_replay_bytes);
        // Without pg_read_all_stats the receiver's status is hidden: not known, no series.
        if (s.stats_visible) m.streaming.set(l, s.receiver_status == "streaming" ? 1 : 0);
        if (s.replay_paused) m.paused.set(base, *s.replay_paused ? 1 : 0);
      }
      for (const auto& slot : s.slots) {
        const Labels l = with(with(base, "slot", slot.name), "slot_type", slot.type);
        m.slot_active.set(l, slot.active ? 1 : 0);
        if (slot.retained_bytes) m.slot_retained.set(l, *slot.retained_bytes);
      }
      m.senders.set(base, static_cast<double>(s.senders.size()));
    }
    // What this round did not measure is absent (a failed round: all but up).
    m.sweep_all();
  }

 private:
  struct Member {
    Member(ReplicationMetrics& f, std::string r)
        : region(std::move(r)),
          up(f.up_),
          visible(f.visible_),
          measurable(f.measurable_),
          lag_bytes(f.lag_bytes_),
          lag_seconds(f.lag_seconds_),
          streaming(f.streaming_),
          paused(f.paused_),
          senders(f.senders_),
          slot_retained(f.slot_retained_),
          slot_active(f.slot_active_) {}
    std::string region;
    SeriesSet up, visible, measurable, lag_bytes, lag_seconds, streaming, paused, senders,
        slot_retained, slot_active;
    void sweep_all() {
      for (SeriesSet* s : all()) s->sweep();
    }
    void clear() {
      for (SeriesSet* s : all()) s->clear();
    }
    std::vector<SeriesSet*> all() {
      return {&up,        &visible, &measurable, &lag_bytes,     &lag_seconds,
              &streaming, &paused,  &senders,    &slot_retained, &slot_active};
    }
  };

  prometheus::Registry& reg_;
  Family<Gauge>& up_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_up")
          .Help("1 when the last replication round read the cluster member; else 0.")
          .Register(reg_);
  Family<Gauge>& visible_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_stats_visible")
          .Help(
              "1 when queuewatch's role sees pg_stat_replication's and pg_stat_wal_receiver's "
              "details (pg_read_all_stats, e.g. via pg_monitor); 0: the primary side's lag and "
              "the standby's receiver status are not measurable.")
          .Register(reg_);
  Family<Gauge>& measurable_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_lag_measurable")
          .Help(
              "Per standby and side: 1 when its lag was measured this round, 0 when it could not "
              "be (hidden without pg_read_all_stats, or nothing replayed yet): then the lag "
              "series are absent, never 0.")
          .Register(reg_);
  Family<Gauge>& lag_bytes_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_lag_bytes")
          .Help(
              "WAL bytes a standby is behind. side=\"primary\": the primary's current position "
              "minus what the standby was sent, wrote, flushed, replayed (stage). "
              "side=\"standby\": received but not yet replayed (stage=\"replay\").")
          .Register(reg_);
  Family<Gauge>& lag_seconds_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_lag_seconds")
          .Help(
              "Replay lag of a standby in seconds; 0 when replay is caught up. "
              "side=\"standby\": now() minus the last replayed transaction's commit time, while "
              "behind what was received; side=\"primary\": pg_stat_replication.replay_lag.")
          .Register(reg_);
  Family<Gauge>& streaming_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_streaming")
          .Help(
              "1 when the standby streams WAL: side=\"primary\", its WAL sender's state is "
              "streaming; side=\"standby\", its WAL receiver's status is streaming. 0 otherwise.")
          .Register(reg_);
  Family<Gauge>& paused_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_replay_paused")
          .Help(
              "1 when the standby's replay is paused or pausing (pg_get_wal_replay_pause_state()); "
              "its lag grows while it streams on.")
          .Register(reg_);
  Family<Gauge>& senders_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_senders")
          .Help("WAL senders of the member now (rows of pg_stat_replication): its standbys.")
          .Register(reg_);
  Family<Gauge>& slot_retained_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_slot_retained_bytes")
          .Help(
              "WAL the replication slot keeps on the member: its current position minus the "
              "slot's restart_lsn. An inactive slot's grows until the disk fills.")
          .Register(reg_);
  Family<Gauge>& slot_active_ =
      prometheus::BuildGauge()
          .Name("queuewatch_replication_slot_active")
          .Help("1 when a connection uses the replication slot now, else 0.")
          .Register(reg_);
  std::map<std::string, Member> members_;  // by target name
};

}  // namespace

std::unique_ptr<KindMetrics> make_replication_metrics(prometheus::Registry& registry) {
  return std::make_unique<ReplicationMetrics>(registry);
}

}  // namespace qw::probes::replication
