#include "probes/postgres_queue/queue_metrics.hpp"

#include <chrono>
#include <map>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

namespace qw::probes::queue {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Labels;

double unix_now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The history a warm start reads is the rules' business: it has no series.
class QueueMetrics final : public SampleMetrics<QueueProbeSample, QueueHistorySample> {
 public:
  explicit QueueMetrics(prometheus::Registry& registry) : reg(registry) {}

  void apply(const config::Config& config) override {
    std::map<std::string, std::string> region_of;
    for (const auto& t : config.targets) region_of[t.name] = t.region;
    // A source on a cluster has the cluster's name as its target and no region: its series
    // must not change with the member that is primary (docs/clusters.md).
    for (const auto& c : config.clusters) region_of[c.name] = "";

    std::map<std::string, const config::QueueConfig*> wanted;
    for (const auto& q : config.queues)
      if (region_of.contains(q.target)) wanted[q.name] = &q;

    for (auto it = sources.begin(); it != sources.end();) {
      const auto found = wanted.find(it->first);
      SourceSeries& s = it->second;
      const bool same = found != wanted.end() && found->second->target == s.target &&
                        region_of[s.target] == s.region;
      if (!same) {
        drop_source(s);
        it = sources.erase(it);
        continue;
      }
      s.has_heartbeat = found->second->timestamps.heartbeat.has_value();
      if (!s.has_heartbeat)
        for (auto& [queue, q] : s.queues) drop(oldest_heartbeat_age, q.oldest_heartbeat_age);
      ++it;
    }
    for (const auto& [name, q] : wanted) {
      auto [it, inserted] = sources.try_emplace(name);
      if (inserted) {
        it->second.target = q->target;
        it->second.region = region_of[q->target];
        it->second.has_heartbeat = q->timestamps.heartbeat.has_value();
      }
    }
  }

  void on_sample(const QueueHistorySample&) override {}

  void on_sample(const QueueProbeSample& sample) override {
    const auto found = sources.find(sample.source);
    if (found == sources.end()) {
      spdlog::debug("metrics: ignoring a queue sample for unconfigured source {}", sample.source);
      return;
    }
    SourceSeries& s = found->second;
    const Labels labels = with(target_labels(s.target, s.region), "source", sample.source);

    ensure(probe_success, s.success, labels).Set(sample.ok ? 1 : 0);
    if (sample.table_completed_delta)
      ensure(source_completed, s.completed, labels)
          .Increment(static_cast<double>(*sample.table_completed_delta));

    if (!sample.ok) {
      // What we cannot measure must not look healthy: remove the gauges, keep the counters.
      for (auto& [queue, q] : s.queues) drop_queue_gauges(q);
      return;
    }
    ensure(last_success, s.last_success, labels).Set(unix_now_seconds());

    std::map<std::string, bool> seen;
    for (const auto& qs : sample.queues) {
      seen[qs.queue] = true;
      QueueSeries& q = s.queues[qs.queue];
      const Labels ql = with(labels, "queue", qs.queue);
      ensure(ready_jobs, q.ready, ql).Set(static_cast<double>(qs.ready));
      ensure(ready_capped, q.ready_capped, ql).Set(qs.ready_capped ? 1 : 0);
      ensure(running_jobs, q.running, ql).Set(static_cast<double>(qs.running));
      ensure(running_capped, q.running_capped, ql).Set(qs.running_capped ? 1 : 0);
      ensure(oldest_ready_age, q.oldest_ready_age, ql).Set(qs.oldest_ready_age_seconds.value_or(0));
      ensure(oldest_running_age, q.oldest_running_age, ql)
          .Set(qs.oldest_running_age_seconds.value_or(0));
      if (s.has_heartbeat)
        ensure(oldest_heartbeat_age, q.oldest_heartbeat_age, ql)
            .Set(qs.oldest_heartbeat_age_seconds.value_or(0));
      if (qs.completions_known)
        ensure(queue_completed, q.completed, ql).Increment(static_cast<double>(qs.completed_delta));
      // Failed rows are usually kept and stamped even where finished ones are deleted, so a
      // queue's failures can be counted when its completions cannot, and the other way round.
      if (qs.failures_known)
        ensure(queue_failed, q.failed, ql).Increment(static_cast<double>(qs.failed_delta));
      ensure(completions_measured, q.completions_measured, ql).Set(qs.completions_known ? 1 : 0);
      if (qs.progress_observed)
        ensure(queue_progress, q.progress, ql)
            .Increment(static_cast<double>(*qs.progress_observed));
    }
    // A queue that vanished from a discovered list has no jobs to measure: drop its gauges.
    for (auto it = s.queues.begin(); it != s.queues.end();) {
      if (seen.contains(it->first)) {
        ++it;
        continue;
      }
      drop_queue_gauges(it->second);
      if (it->second.completed == nullptr && it->second.failed == nullptr &&
          it->second.progress == nullptr) {
        it = s.queues.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  prometheus::Registry& reg;

  // --- per queue {target, region, source, queue}
  Family<Gauge>& ready_jobs =
      prometheus::BuildGauge()
          .Name("queuewatch_queue_ready_jobs")
          .Help(
              "Jobs waiting and runnable now (the backlog), counted up to this queue's share "
              "of the source's count_cap; when queuewatch_queue_ready_capped is 1 the true backlog "
              "is larger. "
              "Absent while the source's probe fails.")
          .Register(reg);
  Family<Gauge>& ready_capped = prometheus::BuildGauge()
                                    .Name("queuewatch_queue_ready_capped")
                                    .Help(
                                        "1 when queuewatch_queue_ready_jobs stopped counting at "
                                        "its share of count_cap, so the true "
                                        "backlog is larger; else 0.")
                                    .Register(reg);
  Family<Gauge>& running_jobs =
      prometheus::BuildGauge()
          .Name("queuewatch_queue_running_jobs")
          .Help(
              "Jobs claimed by a worker and not finished, counted up to this queue's "
              "share of the source's count_cap (see queuewatch_queue_running_capped). Absent while "
              "the source's "
              "probe fails.")
          .Register(reg);
  Family<Gauge>& running_capped = prometheus::BuildGauge()
                                      .Name("queuewatch_queue_running_capped")
                                      .Help(
                                          "1 when queuewatch_queue_running_jobs stopped counting "
                                          "at its share of count_cap, so the true "
                                          "number is larger; else 0.")
                                      .Register(reg);
  Family<Gauge>& oldest_ready_age =
      prometheus::BuildGauge()
          .Name("queuewatch_queue_oldest_ready_age_seconds")
          .Help(
              "How long the oldest runnable job has waited, measured with the database clock; "
              "0 when nothing waits. Jobs scheduled for the future do not count.")
          .Register(reg);
  Family<Gauge>& oldest_running_age =
      prometheus::BuildGauge()
          .Name("queuewatch_queue_oldest_running_age_seconds")
          .Help(
              "How long the longest-running job has been running, measured with the database "
              "clock; 0 when nothing runs.")
          .Register(reg);
  Family<Gauge>& oldest_heartbeat_age =
      prometheus::BuildGauge()
          .Name("queuewatch_queue_oldest_heartbeat_age_seconds")
          .Help(
              "Among running jobs, the age of the stalest worker heartbeat, measured with the "
              "database clock; 0 when nothing runs. Only for sources that map a heartbeat "
              "column. A large value suggests a dead worker still holding a job.")
          .Register(reg);
  Family<Counter>& queue_completed =
      prometheus::BuildCounter()
          .Name("queuewatch_queue_completed_jobs_total")
          .Help(
              "Jobs of this queue seen finishing successfully since queuewatch started. "
              "Counted after settle_delay, so it lags by that much. Absent when per-queue "
              "completions cannot be known (deleted rows in a multi-queue table).")
          .Register(reg);
  Family<Counter>& queue_failed =
      prometheus::BuildCounter()
          .Name("queuewatch_queue_failed_jobs_total")
          .Help(
              "Jobs of this queue seen failing for good since queuewatch started. Counted "
              "after settle_delay, so it lags by that much.")
          .Register(reg);

  Family<Counter>& queue_progress =
      prometheus::BuildCounter()
          .Name("queuewatch_queue_progress_observed_total")
          .Help(
              "Progress events observed in this queue where its completions cannot be counted "
              "(deleted rows in a multi-queue table): tracked jobs that left the table or changed "
              "state, and jobs claimed since the previous round. Not completions: a lower bound "
              "on activity (jobs that start and finish between two rounds unseen are missed). "
              "Present only for such queues; no_throughput judges them by it.")
          .Register(reg);
  Family<Gauge>& completions_measured =
      prometheus::BuildGauge()
          .Name("queuewatch_queue_completions_measured")
          .Help(
              "1 when this queue's completions are counted (queuewatch_queue_completed_jobs_total "
              "is present), 0 when they cannot be (deleted rows in a multi-queue table: the "
              "delete counter is per table) and progress is observed instead "
              "(queuewatch_queue_progress_observed_total).")
          .Register(reg);

  // --- per source {target, region, source}
  Family<Gauge>& probe_success =
      prometheus::BuildGauge()
          .Name("queuewatch_queue_probe_success")
          .Help(
              "1 when the last run of this source's queue probe succeeded, 0 when it failed "
              "(see queuewatch_probe_errors_total for why).")
          .Register(reg);
  Family<Gauge>& last_success =
      prometheus::BuildGauge()
          .Name("queuewatch_queue_last_success_timestamp_seconds")
          .Help("Unix time (daemon clock) of this source's last successful queue probe run.")
          .Register(reg);
  Family<Counter>& source_completed =
      prometheus::BuildCounter()
          .Name("queuewatch_source_completed_jobs_total")
          .Help(
              "Rows deleted from this source's table since queuewatch started, from the "
              "table's delete counter: completed jobs for tables that delete finished rows. "
              "Includes deletes by anything else (cleanup jobs, manual deletes).")
          .Register(reg);

  struct QueueSeries {
    Gauge* ready = nullptr;
    Gauge* ready_capped = nullptr;
    Gauge* running = nullptr;
    Gauge* running_capped = nullptr;
    Gauge* oldest_ready_age = nullptr;
    Gauge* oldest_running_age = nullptr;
    Gauge* oldest_heartbeat_age = nullptr;
    Gauge* completions_measured = nullptr;
    Counter* completed = nullptr;
    Counter* failed = nullptr;
    Counter* progress = nullptr;
  };

  struct SourceSeries {
    std::string target;
    std::string region;
    bool has_heartbeat = false;
    std::map<std::string, QueueSeries> queues;
    Gauge* success = nullptr;
    Gauge* last_success = nullptr;
    Counter* completed = nullptr;
  };

  std::map<std::string, SourceSeries> sources;  // by source name

  void drop_queue_gauges(QueueSeries& q) {
    drop(ready_jobs, q.ready);
    drop(ready_capped, q.ready_capped);
    drop(running_jobs, q.running);
    drop(running_capped, q.running_capped);
    drop(oldest_ready_age, q.oldest_ready_age);
    drop(oldest_running_age, q.oldest_running_age);
    drop(oldest_heartbeat_age, q.oldest_heartbeat_age);
    drop(completions_measured, q.completions_measured);
  }

  void drop_source(SourceSeries& s) {
    for (auto& [name, q] : s.queues) {
      drop_queue_gauges(q);
      drop(queue_completed, q.completed);
      drop(queue_failed, q.failed);
      drop(queue_progress, q.progress);
    }
    s.queues.clear();
    drop(probe_success, s.success);
    drop(last_success, s.last_success);
    drop(source_completed, s.completed);
  }
};

}  // namespace

std::unique_ptr<KindMetrics> make_queue_metrics(prometheus::Registry& registry) {
  return std::make_unique<QueueMetrics>(registry);
}

}  // namespace qw::probes::queue
