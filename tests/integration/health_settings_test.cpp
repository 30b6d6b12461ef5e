// The capacity settings the health round reads from pg_settings, against the real test server:
// each in base units, checked against PostgreSQL's own pg_size_bytes of the setting's words.
#include <fmt/format.h>

#include <map>

#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

std::string health_yaml(const std::string& dsn) {
  return "probes:\n  postgres_health: {interval: 1s, query_timeout: 5s, max_backoff: 2s}\n"
         "targets:\n" +
         target_yaml("db", dsn);
}

TEST(HealthSettings, ReadsTheCapacitySettingsInBaseUnits) {
  ProbeRig rig(health_yaml(test_dsn()));
  const auto s = rig.run_health("db");
  ASSERT_TRUE(s.up) << s.detail;
  Db db;
  std::map<std::string, std::int64_t> want = {
      {"max_connections",
       db.scalar<std::int64_t>("SELECT current_setting('max_connections')::int")},
      {"shared_buffers",
       db.scalar<std::int64_t>("SELECT pg_size_bytes(current_setting('shared_buffers'))")},
      {"work_mem", db.scalar<std::int64_t>("SELECT pg_size_bytes(current_setting('work_mem'))")},
      {"effective_cache_size",
       db.scalar<std::int64_t>("SELECT pg_size_bytes(current_setting('effective_cache_size'))")},
      {"max_worker_processes",
       db.scalar<std::int64_t>("SELECT current_setting('max_worker_processes')::int")},
      {"max_parallel_workers",
       db.scalar<std::int64_t>("SELECT current_setting('max_parallel_workers')::int")},
  };
  std::map<std::string, std::int64_t> got;
  for (const auto& setting : s.settings) got[setting.name] = setting.value;
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace qw::itest
