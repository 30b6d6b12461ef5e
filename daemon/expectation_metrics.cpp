#include "daemon/expectation_metrics.hpp"

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <optional>

#include "rules/shortfall.hpp"

namespace qw::daemon {
namespace {

// The labels of the queue's probe series (queue_metrics.cpp), so the two join one to one; a
// target's region is optional and then absent, never empty.
prometheus::Labels labels_of(const rules::QueueKey& key, const std::string& region) {
  prometheus::Labels labels{{"target", key.target}, {"source", key.source}, {"queue", key.queue}};
  if (!region.empty()) labels.emplace("region", region);
  return labels;
}

// Sets the gauge, creating it on first use; or removes it when there is no value.
void set_or_remove(prometheus::Family<prometheus::Gauge>& family, prometheus::Gauge*& gauge,
                   const prometheus::Labels& labels, std::optional<double> value) {
  if (!value) {
    if (gauge != nullptr) family.Remove(gauge);
    gauge = nullptr;
    return;
  }
  if (gauge == nullptr) gauge = &family.Add(labels);
  gauge->Set(*value);
}

}  // namespace

ExpectationMetrics::ExpectationMetrics(prometheus::Registry& registry)
    : expected_(prometheus::BuildGauge()
                    .Name("queuewatch_queue_expected_completions_per_second")
                    .Help("The completion rate below_baseline and throughput_collapse expect of "
                          "this queue now: its seasonal baseline for the current local hour x "
                          "its recent level (at most 1). Absent while the queue has no baseline "
                          "(its first days): those rules cannot judge it yet.")
                    .Register(registry)),
      noise_(prometheus::BuildGauge()
                 .Name("queuewatch_queue_level_noise")
                 .Help("How far this queue's hours normally stray from its baseline: the "
                       "standard deviation of ln(hour's completions / baseline) over the last "
                       "week, the count's own noise removed. A drop is judged in these units "
                       "(0.2 steady, 0.6 bursty). Absent until a day of hours is known.")
                 .Register(registry)) {}

ExpectationMetrics::~ExpectationMetrics() {
  for (auto& [key, s] : series_) remove(s);
}

void ExpectationMetrics::update(const rules::Engine& engine, rules::Time now) {
  // The hour the last second belongs to, the same for every queue: computed once.
  const std::int64_t hour =
      rules::local_hour_index(engine.timezone(), rules::epoch_seconds(now) - 1);
  // Both maps are ordered by queue key: one walk in step, no lookup per queue (with 10,000
  // queues, two map lookups each cost more than the values).
  const auto& queues = engine.queues();
  auto it = series_.begin();
  for (const auto& [key, q] : queues) {
    while (it != series_.end() && it->first < key) it = drop(it);  // the queue left the engine
    if (it == series_.end() || key < it->first) it = series_.emplace_hint(it, key, Series{});
    Series& s = it->second;
    ++it;
    if (s.region != q.region) {  // a reload moved the target: the old series go
      remove(s);
      s.region = q.region;
    }
    const std::optional<double> expected = rules::expected_rate_in_hour(q, hour);
    const std::optional<double> noise =
        q.level.noise_learnt() ? std::optional<double>(q.level.noise) : std::nullopt;
    // Labels are built only for a series about to be added: not 10,000 maps every evaluation.
    prometheus::Labels labels;
    if ((expected && s.expected == nullptr) || (noise && s.noise == nullptr))
      labels = labels_of(key, q.region);
    set_or_remove(expected_, s.expected, labels, expected);
    set_or_remove(noise_, s.noise, labels, noise);
  }
  while (it != series_.end()) it = drop(it);
}

void ExpectationMetrics::remove(Series& s) {
  set_or_remove(expected_, s.expected, {}, std::nullopt);
  set_or_remove(noise_, s.noise, {}, std::nullopt);
}

std::map<rules::QueueKey, ExpectationMetrics::Series>::iterator ExpectationMetrics::drop(
    std::map<rules::QueueKey, Series>::iterator it) {
  remove(it->second);
  return series_.erase(it);
}

}  // namespace qw::daemon
