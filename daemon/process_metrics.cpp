#include "daemon/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace qw::daemon {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily one(const char* name, const char* help, MetricType type, double value) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  ClientMetric m;
  if (type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(m);
  return f;
}

double seconds_of(const timespec& ts) {
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Unix time of the boot, from two clocks read back to back: no /proc/stat needed (a unit with
// ProcSubset=pid cannot read it). starttime counts from the same boot, suspend included, as
// CLOCK_BOOTTIME does.
std::optional<double> boot_time_seconds() {
  timespec real{}, boot{};
  if (clock_gettime(CLOCK_REALTIME, &real) != 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0)
    return std::nullopt;
  return seconds_of(real) - seconds_of(boot);
}

// Entries of /proc/self/fd, less the one this count opened itself.
std::optional<double> open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
  const auto paren = line.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> tokens;  // tokens[0] is field 3
  for (std::size_t i = paren + 1; i < line.size();) {
    const auto begin = line.find_first_not_of(" \n", i);
    if (begin == std::string_view::npos) break;
    auto end = line.find_first_of(" \n", begin);
    if (end == std::string_view::npos) end = line.size();
    tokens.push_back(line.substr(begin, end - begin));
    i = end;
  }
  if (tokens.size() < 22) return std::nullopt;
  ProcStat stat;
  bool ok = true;
  const auto read = [&](int field, double& into) {
    const std::string_view token = tokens[static_cast<std::size_t>(field - 3)];
    const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), into);
    ok = ok && ec == std::errc() && ptr == token.data() + token.size();
  };
  read(14, stat.utime_ticks);
  read(15, stat.stime_ticks);
  read(22, stat.start_ticks);
  read(23, stat.vsize_bytes);
  read(24, stat.rss_pages);
  if (!ok) return std::nullopt;
  return stat;
}

std::vector<MetricFamily> collect_process_metrics() {
  std::vector<MetricFamily> out;
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  std::ifstream file("/proc/self/stat");
  const std::string line((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (const auto stat = parse_proc_stat(line); stat && ticks > 0 && page > 0) {
    const double hz = static_cast<double>(ticks);
    out.push_back(one("process_cpu_seconds_total",
                      "Total user and system CPU time spent in seconds.", MetricType::Counter,
                      (stat->utime_ticks + stat->stime_ticks) / hz));
    out.push_back(one("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                      MetricType::Gauge, stat->vsize_bytes));
    out.push_back(one("process_resident_memory_bytes", "Resident memory size in bytes.",
                      MetricType::Gauge, stat->rss_pages * static_cast<double>(page)));
    if (const auto boot = boot_time_seconds())
      out.push_back(one("process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                        *boot + stat->start_ticks / hz));
  }
  if (const auto fds = open_fds())
    out.push_back(
        one("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, *fds));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
    out.push_back(one("process_max_fds", "Maximum number of open file descriptors.",
                      MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  // Unlimited (RLIM_INFINITY) reads as 2^64-1.
  if (getrlimit(RLIMIT_AS, &limit) == 0)
    out.push_back(one("process_virtual_memory_max_bytes",
                      "Maximum amount of virtual memory available in bytes.", MetricType::Gauge,
                      static_cast<double>(limit.rlim_cur)));
  return out;
}

}  // namespace qw::daemon
