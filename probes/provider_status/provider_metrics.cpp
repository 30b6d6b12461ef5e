#include "probes/provider_status/provider_metrics.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include "config/provider_match.hpp"

namespace qw::probes::provider {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;

// Statuspage's impacts (README.md) and "unknown" for feeds, which have none: a fixed label set,
// every value present (0) while the incidents are known, so sum() never reads a missing series.
constexpr std::array<const char*, 6> kImpacts = {"none",     "minor",       "major",
                                                 "critical", "maintenance", "unknown"};
constexpr std::array<const char*, 3> kResults = {"ok", "not_modified", "failed"};

// The `component` label's values: the provider's own `components:` terms, never a name from the
// feed (someone else's document: any number of distinct names). Without a filter, one group
// with no `component` label, which PromQL reads as component="": no term can be empty (the
// config refuses empty strings), and the series of an unfiltered provider stay the ones it had
// before the label existed. "all" could be a term, and reads as a total that filtered providers
// do not have.
std::vector<std::string> component_terms(const config::ProviderConfig& provider) {
  std::vector<std::string> out;
  for (const auto& term : provider.components)
    if (std::find(out.begin(), out.end(), term) == out.end()) out.push_back(term);
  if (out.empty()) out.emplace_back();
  return out;
}

class ProviderMetrics final : public SampleMetrics<ProviderStatusSample> {
 public:
  explicit ProviderMetrics(prometheus::Registry& reg) : reg_(reg) {}

  void apply(const config::Config& config) override {
    std::set<std::string> names;
    for (const auto& p : config.providers) names.insert(p.name);
    for (auto it = providers_.begin(); it != providers_.end();) {
      if (!names.contains(it->first)) {
        drop_provider(it->second);
        it = providers_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& provider : config.providers) {
      auto& p = providers_[provider.name];
      const prometheus::Labels labels{{"provider", provider.name}};
      // A new filter counts differently: the old counts go, and the new terms are absent until
      // the probe that applies it (a reload replaces the probe) has read the feed.
      auto terms = component_terms(provider);
      if (terms != p.terms) {
        drop_incidents(p);
        p.terms = std::move(terms);
      }
      p.filter = provider.components;
      // Counters exist from the start at 0: rate() sees the first failure.
      for (std::size_t i = 0; i < kAllFetchFailures.size(); ++i)
        ensure(failures_, p.failures[i],
               with(labels, "reason", std::string(to_string(kAllFetchFailures[i]))));
      for (std::size_t i = 0; i < kResults.size(); ++i)
        ensure(fetches_, p.fetches[i], with(labels, "result", kResults[i]));
    }
  }

  void on_sample(const ProviderStatusSample& sample) override {
    const auto found = providers_.find(sample.provider);
    if (found == providers_.end()) {
      spdlog::debug("metrics: ignoring a sample for unconfigured provider {}", sample.provider);
      return;
    }
    Series& p = found->second;
    const prometheus::Labels labels{{"provider", sample.provider}};
    ensure(up_, p.up, labels).Set(sample.up ? 1 : 0);
    if (!sample.up) {
      for (std::size_t i = 0; i < kAllFetchFailures.size(); ++i)
        if (kAllFetchFailures[i] == sample.failure && p.failures[i]) p.failures[i]->Increment();
    }
    p.fetches[!sample.up ? 2 : sample.not_modified ? 1 : 0]->Increment();
    if (sample.last_success)
      ensure(last_success_, p.last_success, labels).Set(static_cast<double>(*sample.last_success));
    // Never read: absent, not zero ("cannot measure" is not "all clear"). After that, the last
    // known count stays through failed rounds, and up says whether it is current.
    if (!sample.known) return;
    if (sample.components != p.filter) {
      spdlog::debug("metrics: ignoring {}'s incidents, filtered by a replaced configuration",
                    sample.provider);
      return;
    }
    // Every configured term, every impact: 0 where nothing matches, so a term reads "no
    // incident" only once the feed was read. An incident matching two terms counts under each.
    for (const auto& term : p.terms) {
      std::array<int, kImpacts.size()> counts{};
      for (const auto& incident : sample.incidents) {
        if (!term.empty() && !config::entry_matches(term, incident.title, incident.components))
          continue;
        std::size_t i = kImpacts.size() - 1;  // "unknown" for feeds and unexpected values
        for (std::size_t j = 0; j < kImpacts.size(); ++j)
          if (incident.impact == kImpacts[j]) i = j;
        ++counts[i];
      }
      const auto term_labels = term.empty() ? labels : with(labels, "component", term);
      auto& gauges = p.incidents[term];
      for (std::size_t j = 0; j < kImpacts.size(); ++j)
        ensure(incidents_, gauges[j], with(term_labels, "impact", kImpacts[j])).Set(counts[j]);
    }
  }

 private:
  struct Series {
    Gauge* up = nullptr;
    Gauge* last_success = nullptr;
    std::vector<std::string> terms;   // component_terms() of the configuration applied
    std::vector<std::string> filter;  // its components, as the probe's samples carry them
    // By term ("" without a filter), then by impact.
    std::map<std::string, std::array<Gauge*, kImpacts.size()>> incidents;
    std::array<Counter*, kAllFetchFailures.size()> failures{};
    std::array<Counter*, kResults.size()> fetches{};
  };

  void drop_provider(Series& p) {
    drop(up_, p.up);
    drop(last_success_, p.last_success);
    drop_incidents(p);
    for (auto*& c : p.failures) drop(failures_, c);
    for (auto*& c : p.fetches) drop(fetches_, c);
  }

  void drop_incidents(Series& p) {
    for (auto& [term, gauges] : p.incidents)
      for (auto*& g : gauges) drop(incidents_, g);
    p.incidents.clear();
  }

  prometheus::Registry& reg_;
  std::map<std::string, Series> providers_;

  Family<Gauge>& up_ = prometheus::BuildGauge()
                           .Name("queuewatch_provider_up")
                           .Help(
                               "1 when the last round read the provider's status feed (a 200 "
                               "that parsed, or a 304); 0 when it failed and the incidents shown "
                               "are the last known ones.")
                           .Register(reg_);
  Family<Gauge>& incidents_ =
      prometheus::BuildGauge()
          .Name("queuewatch_provider_incidents")
          .Help(
              "Open incidents of the provider that pass its components filter, by impact "
              "(Statuspage's none/minor/major/critical/maintenance; unknown for RSS/Atom) and "
              "by the components term that matched (each term it matches; no component label "
              "without a filter). Absent until the feed was read once; the last known count "
              "while it cannot be.")
          .Register(reg_);
  Family<Counter>& failures_ =
      prometheus::BuildCounter()
          .Name("queuewatch_provider_fetch_failures_total")
          .Help(
              "Failed rounds of the provider's feed by reason: timeout, connect, dns, tls, "
              "http_status, too_large, malformed.")
          .Register(reg_);
  Family<Counter>& fetches_ =
      prometheus::BuildCounter()
          .Name("queuewatch_provider_fetches_total")
          .Help(
              "Rounds of the provider's feed by result: ok (a 200), not_modified (a 304), failed.")
          .Register(reg_);
  Family<Gauge>& last_success_ =
      prometheus::BuildGauge()
          .Name("queuewatch_provider_last_success_timestamp_seconds")
          .Help("Unix time of the last round that read the provider's feed (200 or 304).")
          .Register(reg_);
};

}  // namespace

std::unique_ptr<KindMetrics> make_provider_status_metrics(prometheus::Registry& registry) {
  return std::make_unique<ProviderMetrics>(registry);
}

}  // namespace qw::probes::provider
