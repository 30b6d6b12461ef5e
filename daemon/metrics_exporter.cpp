#include "daemon/metrics_exporter.hpp"

#include <chrono>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include "daemon/process_metrics.hpp"
#include "probes/sample_visit.hpp"
#include "queuewatch/version.hpp"

namespace qw::daemon {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

namespace {

// The health query is one round trip: sub-millisecond on a LAN, seconds when the server is
// overloaded, and capped by query_timeout (at most tens of seconds).
const Histogram::BucketBoundaries kQueryBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
// A probe run may include connecting and several queries, each bounded by its timeout.
const Histogram::BucketBoundaries kProbeRunBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

std::string compiler_name() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

double unix_now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

template <typename T>
void drop(Family<T>& family, T*& metric) {
  if (metric != nullptr) {
    family.Remove(metric);
    metric = nullptr;
  }
}

template <typename T, typename... Args>
T& ensure(Family<T>& family, T*& metric, const Labels& labels, Args&&... args) {
  if (metric == nullptr) metric = &family.Add(labels, std::forward<Args>(args)...);
  return *metric;
}

Labels with(Labels labels, const std::string& name, std::string value) {
  labels.emplace(name, std::move(value));
  return labels;
}

// A target's region is optional: unset, its series have no `region` label, not an empty one.
Labels target_labels(const std::string& target, const std::string& region) {
  Labels labels{{"target", target}};
  if (!region.empty()) labels.emplace("region", region);
  return labels;
}

}  // namespace

struct MetricsExporter::State {
  explicit State(std::shared_ptr<prometheus::Registry> r) : registry(std::move(r)) {}

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Registry& reg = *registry;

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

  // --- per target {target, region}
  Family<Gauge>& target_up =
      prometheus::BuildGauge()
          .Name("queuewatch_target_up")
          .Help(
              "1 when the last health check reached the database and it answered as expected "
              "(role included); else 0.")
          .Register(reg);
  Family<Gauge>& target_down_reason =
      prometheus::BuildGauge()
          .Name("queuewatch_target_down_reason")
          .Help(
              "While the target is down, one series with value 1 whose reason label says why "
              "(connection_refused, auth_failed, ...); no series while it is up.")
          .Register(reg);
  Family<Gauge>& connect_duration =
      prometheus::BuildGauge()
          .Name("queuewatch_target_connect_duration_seconds")
          .Help("How long the last connection attempt to the target took, successful or not.")
          .Register(reg);
  Family<Histogram>& query_duration =
      prometheus::BuildHistogram()
          .Name("queuewatch_target_query_duration_seconds")
          .Help("Round trip of the health check query, from the daemon to the database and back.")
          .Register(reg);
  Family<Gauge>& in_recovery =
      prometheus::BuildGauge()
          .Name("queuewatch_target_in_recovery")
          .Help(
              "1 when the target is a standby (pg_is_in_recovery()), 0 when a primary. Absent "
              "while unknown (target down).")
          .Register(reg);
  Family<Gauge>& target_info =
      prometheus::BuildGauge()
          .Name("queuewatch_target_info")
          .Help(
              "Always 1; the server_version label holds the target's last reported PostgreSQL "
              "version.")
          .Register(reg);

  // --- daemon
  Family<Histogram>& probe_duration =
      prometheus::BuildHistogram()
          .Name("queuewatch_probe_duration_seconds")
          .Help("Wall time of one probe run, including connecting and every query.")
          .Register(reg);
  Family<Counter>& probe_errors =
      prometheus::BuildCounter()
          .Name("queuewatch_probe_errors_total")
          .Help(
              "Probe runs that failed, by reason. Every reason starts at 0 once the probe has "
              "run, so increase() sees the first failure.")
          .Register(reg);
  Family<Counter>& overruns =
      prometheus::BuildCounter()
          .Name("queuewatch_probe_overruns_total")
          .Help(
              "Probe runs skipped because the previous run was still going: the probe is "
              "slower than its interval.")
          .Register(reg);
  Family<Counter>& backoff_skips =
      prometheus::BuildCounter()
          .Name("queuewatch_probe_backoff_skips_total")
          .Help("Probe runs skipped because the probe is backing off after failures.")
          .Register(reg);
  Family<Gauge>& build_info =
      prometheus::BuildGauge()
          .Name("queuewatch_build_info")
          .Help("Always 1; labels name the queuewatch version and the compiler that built it.")
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

  struct TargetSeries {
    std::string region;
    Gauge* up = nullptr;
    Gauge* down_reason = nullptr;
    probes::FailureReason down_reason_value = probes::FailureReason::none;
    Gauge* connect = nullptr;
    Histogram* query = nullptr;
    Gauge* in_recovery = nullptr;
    Gauge* info = nullptr;
    std::string info_version;
  };

  struct ProbeSeries {
    Histogram* duration = nullptr;
    std::map<probes::FailureReason, Counter*> errors;
    Counter* overruns = nullptr;
    Counter* backoff_skips = nullptr;
  };

  std::map<std::string, TargetSeries> targets;  // by target name
  std::map<std::string, SourceSeries> sources;  // by source name
  // By (target, probe kind): the daemon-level series carry no region.
  std::map<std::pair<std::string, std::string>, ProbeSeries> probe_runs;

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

  void drop_target(TargetSeries& t) {
    drop(target_up, t.up);
    drop(target_down_reason, t.down_reason);
    drop(connect_duration, t.connect);
    drop(query_duration, t.query);
    drop(in_recovery, t.in_recovery);
    drop(target_info, t.info);
  }

  void drop_probe_series(ProbeSeries& p) {
    drop(probe_duration, p.duration);
    for (auto& [reason, counter] : p.errors) drop(probe_errors, counter);
    p.errors.clear();
    drop(overruns, p.overruns);
    drop(backoff_skips, p.backoff_skips);
  }

  ProbeSeries* probe_series(std::string_view kind, const std::string& target) {
    if (!targets.contains(target)) return nullptr;  // removed on reload; a late report
    auto [it, inserted] = probe_runs.try_emplace({target, std::string(kind)});
    ProbeSeries& p = it->second;
    if (inserted) {
      const Labels labels = {{"probe", std::string(kind)}, {"target", target}};
      p.duration = &probe_duration.Add(labels, kProbeRunBuckets);
      // Every reason at 0 from the first run: increase() and alerts on a new reason then see
      // the first failure instead of a series appearing out of nowhere.
      for (const auto reason : probes::kAllFailureReasons)
        p.errors[reason] =
            &probe_errors.Add(with(labels, "reason", std::string(probes::to_string(reason))));
      p.overruns = &overruns.Add(labels);
      p.backoff_skips = &backoff_skips.Add(labels);
    }
    return &p;
  }

  void apply(const config::Config& config) {
    std::map<std::string, std::string> region_of;
    for (const auto& t : config.targets) region_of[t.name] = t.region;

    for (auto it = targets.begin(); it != targets.end();) {
      const auto found = region_of.find(it->first);
      if (found == region_of.end() || found->second != it->second.region) {
        drop_target(it->second);
        it = targets.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [name, region] : region_of)
      targets.try_emplace(name).first->second.region = region;

    for (auto it = probe_runs.begin(); it != probe_runs.end();) {
      if (!region_of.contains(it->first.first)) {
        drop_probe_series(it->second);
        it = probe_runs.erase(it);
      } else {
        ++it;
      }
    }

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

  void on_sample(const probes::TargetHealthSample& sample) {
    const auto found = targets.find(sample.target);
    if (found == targets.end()) {
      spdlog::debug("metrics: ignoring a health sample for unconfigured target {}", sample.target);
      return;
    }
    TargetSeries& t = found->second;
    const Labels labels = target_labels(sample.target, t.region);

    ensure(target_up, t.up, labels).Set(sample.up ? 1 : 0);
    if (sample.up) {
      drop(target_down_reason, t.down_reason);
    } else {
      // A down target always names a reason; "other" if a probe forgot to.
      const auto reason = sample.reason == probes::FailureReason::none
                              ? probes::FailureReason::other
                              : sample.reason;
      if (reason != t.down_reason_value) drop(target_down_reason, t.down_reason);
      t.down_reason_value = reason;
      ensure(target_down_reason, t.down_reason,
             with(labels, "reason", std::string(probes::to_string(reason))))
          .Set(1);
    }
    if (sample.connect_seconds)
      ensure(connect_duration, t.connect, labels).Set(*sample.connect_seconds);
    if (sample.query_seconds)
      ensure(query_duration, t.query, labels, kQueryBuckets).Observe(*sample.query_seconds);
    if (sample.in_recovery) {
      ensure(in_recovery, t.in_recovery, labels).Set(*sample.in_recovery ? 1 : 0);
    } else {
      drop(in_recovery, t.in_recovery);
    }
    // The version stays while the target is down: it is what we last knew, and dashboards
    // joining on it should not flap with every outage.
    if (!sample.server_version.empty() && sample.server_version != t.info_version) {
      drop(target_info, t.info);
      t.info_version = sample.server_version;
      ensure(target_info, t.info, with(labels, "server_version", sample.server_version)).Set(1);
    }
  }

  void on_sample(const probes::QueueProbeSample& sample) {
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
};

MetricsExporter::MetricsExporter(const config::Config& config)
    : state_(std::make_unique<State>(std::make_shared<prometheus::Registry>())) {
  state_->build_info.Add({{"version", qw::kVersion}, {"compiler", compiler_name()}}).Set(1);
  state_->apply(config);
}

MetricsExporter::~MetricsExporter() = default;

void MetricsExporter::reconfigure(const config::Config& config) {
  std::lock_guard lock(mutex_);
  state_->apply(config);
}

void MetricsExporter::publish(const probes::Sample& sample) {
  std::lock_guard lock(mutex_);
  State& state = *state_;
  probes::visit_sample(sample,
                       qw::overloaded{
                           [&state](const probes::TargetHealthSample& s) { state.on_sample(s); },
                           [&state](const probes::QueueProbeSample& s) { state.on_sample(s); },
                           [](const probes::QueueHistorySample&) {},  // the rules' business
                       });
}

void MetricsExporter::observe_probe_run(std::string_view probe_kind, const std::string& target,
                                        double seconds, probes::FailureReason reason) {
  std::lock_guard lock(mutex_);
  auto* p = state_->probe_series(probe_kind, target);
  if (p == nullptr) return;
  p->duration->Observe(seconds);
  if (reason != probes::FailureReason::none) p->errors.at(reason)->Increment();
}

void MetricsExporter::count_overrun(std::string_view probe_kind, const std::string& target) {
  std::lock_guard lock(mutex_);
  if (auto* p = state_->probe_series(probe_kind, target)) p->overruns->Increment();
}

void MetricsExporter::count_backoff_skip(std::string_view probe_kind, const std::string& target) {
  std::lock_guard lock(mutex_);
  if (auto* p = state_->probe_series(probe_kind, target)) p->backoff_skips->Increment();
}

std::string MetricsExporter::text() const {
  // Under the lock: a scrape never sees half of a sample (a removed gauge without its
  // replacement, a down target with no reason).
  std::lock_guard lock(mutex_);
  auto families = state_->registry->Collect();
  for (auto& family : collect_process_metrics()) families.push_back(std::move(family));
  return prometheus::TextSerializer{}.Serialize(families);
}

std::shared_ptr<prometheus::Registry> MetricsExporter::registry() const {
  return state_->registry;
}

}  // namespace qw::daemon
