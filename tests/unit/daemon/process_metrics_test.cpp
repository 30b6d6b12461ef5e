#include "daemon/process_metrics.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace qw::daemon {
namespace {

TEST(ParseProcStat, CountsFieldsFromTheLastParenthesis) {
  // A command name with spaces and a ") " of its own: naive splitting would shift every field.
  const std::string line =
      "4242 (queue) watch (x) S 1 4242 4242 0 -1 4194560 1573 0 0 0 "
      "150 35 0 0 20 0 9 0 123456 214749184 3210 18446744073709551615 1 1 0 0 0 0 0 4096 "
      "17922 0 0 0 17 1 0 0 0 0 0\n";
  const auto stat = parse_proc_stat(line);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->utime_ticks, 150);
  EXPECT_EQ(stat->stime_ticks, 35);
  EXPECT_EQ(stat->start_ticks, 123456);
  EXPECT_EQ(stat->vsize_bytes, 214749184);
  EXPECT_EQ(stat->rss_pages, 3210);
}

TEST(ParseProcStat, RefusesWhatIsNotAStatLine) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("4242 (x) S 1 2 3"));  // too short
  EXPECT_FALSE(
      parse_proc_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 35 0 0 20 0 9 0 123456 214749184 3210 0"));
}

std::map<std::string, const prometheus::MetricFamily*> by_name(
    const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, const prometheus::MetricFamily*> out;
  for (const auto& f : families) out[f.name] = &f;
  return out;
}

TEST(ProcessMetrics, DescribeThisProcess) {
  const auto families = collect_process_metrics();
  const auto found = by_name(families);
  for (const char* name : {"process_cpu_seconds_total", "process_open_fds", "process_max_fds",
                           "process_virtual_memory_bytes", "process_virtual_memory_max_bytes",
                           "process_resident_memory_bytes", "process_start_time_seconds"})
    ASSERT_TRUE(found.contains(name)) << name;
  EXPECT_EQ(found.at("process_cpu_seconds_total")->type, prometheus::MetricType::Counter);
  EXPECT_EQ(found.at("process_open_fds")->type, prometheus::MetricType::Gauge);

  // This process started before now and within the day: ticks taken for seconds, or a start
  // not offset by the boot time, land decades away.
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double start = found.at("process_start_time_seconds")->metric[0].gauge.value;
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 24 * 3600);

  // One more descriptor open shows up as one more.
  const double fds = found.at("process_open_fds")->metric[0].gauge.value;
  const int extra = ::dup(0);
  ASSERT_GE(extra, 0);
  const auto after = collect_process_metrics();
  const double fds_after = by_name(after).at("process_open_fds")->metric[0].gauge.value;
  ::close(extra);
  EXPECT_EQ(fds_after, fds + 1);

  const double rss = found.at("process_resident_memory_bytes")->metric[0].gauge.value;
  const double vsize = found.at("process_virtual_memory_bytes")->metric[0].gauge.value;
  EXPECT_GT(rss, 1 << 20);  // pages, not bytes, would be a few thousand
  EXPECT_GT(vsize, rss);
  EXPECT_GE(found.at("process_max_fds")->metric[0].gauge.value, fds);
}

}  // namespace
}  // namespace qw::daemon
