#pragma once
// The process_* series every Prometheus client library exports (client_golang's process
// collector: same names, types and help), read from /proc/self at each scrape. prometheus-cpp
// 1.0 has no such collector. Dashboards and alerts written for any Go exporter's memory, file
// descriptors or restarts then work on queuewatch unchanged.
#include <optional>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

namespace qw::daemon {

// The fields of /proc/<pid>/stat that the collector uses (proc(5) numbering in comments).
struct ProcStat {
  double utime_ticks = 0;  // 14
  double stime_ticks = 0;  // 15
  double start_ticks = 0;  // 22, clock ticks after boot
  double vsize_bytes = 0;  // 23
  double rss_pages = 0;    // 24
};

// Parses the line of /proc/<pid>/stat. The command name (field 2) is in parentheses and may hold
// spaces and parentheses itself, so fields are counted from the last ')'. nullopt when the line
// is too short or a field is not a number.
std::optional<ProcStat> parse_proc_stat(std::string_view line);

// process_cpu_seconds_total, process_open_fds, process_max_fds, process_virtual_memory_bytes,
// process_virtual_memory_max_bytes, process_resident_memory_bytes, process_start_time_seconds.
// What cannot be read is left out (absent, never a 0 that looks measured).
std::vector<prometheus::MetricFamily> collect_process_metrics();

}  // namespace qw::daemon
