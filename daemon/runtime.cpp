#include "daemon/runtime.hpp"

#include <algorithm>

#include "probes/registry.hpp"

namespace qw::daemon {

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
