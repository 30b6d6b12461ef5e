#pragma once
// postgres_queue's series: per queue {target, region, source, queue} (backlog, running, ages,
// completions, failures, progress) and per source {target, region, source} (probe success, last
// success, the table's deletes). docs/metrics.md documents each.
#include "probes/kind_metrics.hpp"

namespace qw::probes::queue {

std::unique_ptr<KindMetrics> make_queue_metrics(prometheus::Registry& registry);

}  // namespace qw::probes::queue
