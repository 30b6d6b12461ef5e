#include "daemon/runtime.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "daemon/log_format.hpp"
#include "probes/registry.hpp"

namespace qw::daemon {

void ExporterObserver::on_run(const probes::Probe& p, double seconds,
                              probes::FailureReason reason) {
  exporter_.observe_probe_run(p.kind(), p.target(), seconds, reason);
  if (!spdlog::should_log(spdlog::level::debug)) return;  // the fields cost an allocation
  const std::string_view result =
      reason == probes::FailureReason::none ? std::string_view("ok") : probes::to_string(reason);
  const LogFields fields({{"probe", p.id()},
                          {"target", p.target()},
                          {"result", std::string(result)},
                          {"duration_seconds", fmt::format("{:.3f}", seconds)}});
  spdlog::debug("probe {} ran: {} in {:.3f} s", p.id(), result, seconds);
}

std::size_t worker_count(const config::Config& config) {
  std::size_t connections = 0;
  for (const auto& t : config.targets) connections += static_cast<std::size_t>(t.max_connections);
  return std::clamp<std::size_t>(connections, 2, 32);
}

Runtime::Runtime(boost::asio::io_context& io, const config::Config& config,
                 probes::SampleSink& sink, SchedulerObserver& observer, Runtime* previous)
    : pools_(config, previous ? &previous->pools_ : nullptr),
      scheduler_(io, probes::make_all_probes(config), pools_, sink, observer, worker_count(config),
                 previous ? &previous->scheduler_ : nullptr) {}

void Runtime::retire(const Runtime& successor) {
  scheduler_.retire();
  pools_.close_retired(successor.pools_);
}

}  // namespace qw::daemon
