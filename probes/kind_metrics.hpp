#pragma once
// A probe kind's part of /metrics: the families it declares and how its samples become series.
// Each kind implements one in its folder (probes/<kind>/*_metrics.cpp) and names its factory
// in its ProbeKind (registry.cpp); daemon/metrics_exporter.cpp builds every kind's part on its
// registry and hands each sample to the part that exports its type. The exporter knows no kind:
// a new one never edits it.
//
// The exporter's honesty rules hold for every part (see daemon/metrics_exporter.hpp): what
// cannot be measured is absent, counters survive failures, and the series of targets and sources
// that left the configuration are dropped by apply() so that late samples resurrect nothing.
// Every call is made under the exporter's lock: parts need no locking of their own.
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <prometheus/family.h>
#include <prometheus/labels.h>

#include "config/config.hpp"
#include "probes/samples.hpp"

namespace prometheus {
class Registry;
}

namespace qw::probes {

class KindMetrics {
 public:
  virtual ~KindMetrics() = default;
  // At start and on SIGHUP: adopt the configuration, dropping the series of what left it.
  virtual void apply(const config::Config& config) = 0;
  // A sample of one of the types exported_samples() names.
  virtual void publish(const Sample& sample) = 0;
  // The Sample alternatives (variant indexes) this part exports. Each alternative has exactly
  // one exporting part; the exporter refuses to start otherwise (a type without one would be
  // dropped), and tests/unit/probes/probe_kinds_test.cpp checks it.
  virtual std::vector<std::size_t> exported_samples() const = 0;
};

namespace detail {
template <typename T, typename... Ts>
constexpr std::size_t index_in(const std::variant<Ts...>*) {
  static_assert((std::size_t{std::is_same_v<T, Ts>} + ...) == 1, "T is not one Sample type");
  constexpr bool same[] = {std::is_same_v<T, Ts>...};
  std::size_t i = 0;
  while (!same[i]) ++i;
  return i;
}

template <typename T>
class Exports {
 public:
  virtual ~Exports() = default;
  virtual void on_sample(const T& sample) = 0;
};
}  // namespace detail

// Sample's variant index of T.
template <typename T>
constexpr std::size_t sample_index = detail::index_in<T>(static_cast<const Sample*>(nullptr));

// A part that exports the sample types Ts: it overrides on_sample(const T&) for each (an empty
// one for a type that has no series of its own).
template <typename... Ts>
class SampleMetrics : public KindMetrics, public detail::Exports<Ts>... {
 public:
  using detail::Exports<Ts>::on_sample...;
  void publish(const Sample& sample) final {
    static_cast<void>(
        ((sample.index() == sample_index<Ts> ? (on_sample(std::get<Ts>(sample)), true) : false) ||
         ...));
  }
  std::vector<std::size_t> exported_samples() const final { return {sample_index<Ts>...}; }
};

// What a kind gives its ProbeKind record: its part, built on the exporter's registry.
using KindMetricsFactory = std::unique_ptr<KindMetrics> (*)(prometheus::Registry& registry);

// Helpers shared by the parts: a series is a pointer into its family, null while absent.
template <typename T>
void drop(prometheus::Family<T>& family, T*& metric) {
  if (metric != nullptr) {
    family.Remove(metric);
    metric = nullptr;
  }
}

template <typename T, typename... Args>
T& ensure(prometheus::Family<T>& family, T*& metric, const prometheus::Labels& labels,
          Args&&... args) {
  if (metric == nullptr) metric = &family.Add(labels, std::forward<Args>(args)...);
  return *metric;
}

inline prometheus::Labels with(prometheus::Labels labels, const std::string& name,
                               std::string value) {
  labels.emplace(name, std::move(value));
  return labels;
}

// A target's region is optional: unset, its series have no `region` label, not an empty one.
inline prometheus::Labels target_labels(const std::string& target, const std::string& region) {
  prometheus::Labels labels{{"target", target}};
  if (!region.empty()) labels.emplace("region", region);
  return labels;
}

}  // namespace qw::probes
