#include "daemon/metrics_exporter.hpp"

#include <array>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include "daemon/process_metrics.hpp"
#include "probes/registry.hpp"
#include "queuewatch/version.hpp"

namespace qw::daemon {

using probes::drop;
using probes::with;
using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

namespace {

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

}  // namespace

struct MetricsExporter::State {
  explicit State(std::shared_ptr<prometheus::Registry> r) : registry(std::move(r)) {
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      for (const std::size_t index : kinds[i]->exported_samples()) {
        if (exporter_of.at(index) != nullptr)
          throw std::logic_error(
              fmt::format("probe kind {}: Sample alternative {} already has an exporter",
                          probes::probe_kinds()[i].name, index));
        exporter_of.at(index) = kinds[i].get();
      }
    }
    // A sample type no kind exports would vanish from /metrics without a word.
    for (std::size_t index = 0; index < exporter_of.size(); ++index)
      if (exporter_of[index] == nullptr)
        throw std::logic_error(fmt::format(
            "Sample alternative {} (probes/samples.hpp) has no exporter: its probe kind's "
            "metrics must list it (probes/README.md)",
            index));
  }

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Registry& reg = *registry;

  // Every probe kind's part (probes/<kind>/*_metrics.cpp), in probe_kinds() order, and which
  // part exports each Sample alternative.
  std::vector<std::unique_ptr<probes::KindMetrics>> kinds = [this] {
    std::vector<std::unique_ptr<probes::KindMetrics>> parts;
    for (const probes::ProbeKind& kind : probes::probe_kinds()) parts.push_back(kind.metrics(reg));
    return parts;
  }();
  std::array<probes::KindMetrics*, std::variant_size_v<probes::Sample>> exporter_of{};

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

  struct ProbeSeries {
    Histogram* duration = nullptr;
    std::map<probes::FailureReason, Counter*> errors;
    Counter* overruns = nullptr;
    Counter* backoff_skips = nullptr;
  };

  std::set<std::string> targets;  // configured target and cluster names
  // By (target, probe kind): the daemon-level series carry no region.
  std::map<std::pair<std::string, std::string>, ProbeSeries> probe_runs;

  void drop_probe_series(ProbeSeries& p) {
    drop(probe_duration, p.duration);
    for (auto& [reason, counter] : p.errors) drop(probe_errors, counter);
    p.errors.clear();
    drop(overruns, p.overruns);
    drop(backoff_skips, p.backoff_skips);
  }

  ProbeSeries* probe_series(std::string_view kind, const std::string& target) {
    // Removed on reload: a late report. (A cluster's sources run under the cluster's name.)
    if (!targets.contains(target)) return nullptr;
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
    targets.clear();
    for (const auto& t : config.targets) targets.insert(t.name);
    for (const auto& c : config.clusters) targets.insert(c.name);
    for (auto it = probe_runs.begin(); it != probe_runs.end();) {
      if (!targets.contains(it->first.first)) {
        drop_probe_series(it->second);
        it = probe_runs.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& kind : kinds) kind->apply(config);
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
  state_->exporter_of[sample.index()]->publish(sample);
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
