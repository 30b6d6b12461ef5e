// Capacity settings from pg_settings rows: normalised to base units, so that two servers compare
// by value, and printed the way the replica_parity page says them.
#include <gtest/gtest.h>

#include "probes/postgres_health/capacity_settings.hpp"

namespace qw::probes::health {
namespace {

std::int64_t value_of(std::string_view setting, std::string_view unit) {
  const auto s = normalise_setting("x", setting, unit);
  EXPECT_TRUE(s.has_value()) << setting << " " << unit;
  return s ? s->value : -1;
}

TEST(CapacitySettings, NormalisesPgSettingsUnitsToBytes) {
  // Values as PostgreSQL 15 reports them: shared_buffers 128MB is 16384 pages of 8kB.
  EXPECT_EQ(value_of("16384", "8kB"), 128LL << 20);
  EXPECT_EQ(value_of("4096", "kB"), 4LL << 20);
  EXPECT_EQ(value_of("64", "MB"), 64LL << 20);
  EXPECT_EQ(value_of("2", "GB"), 2LL << 30);
  EXPECT_EQ(value_of("1", "TB"), 1LL << 40);
  EXPECT_EQ(value_of("512", "B"), 512);
  EXPECT_EQ(value_of("2", "16MB"), 32LL << 20);
  EXPECT_TRUE(normalise_setting("x", "1", "kB")->bytes);
  // The same amount in two units is one value.
  EXPECT_EQ(value_of("4096", "8kB"), value_of("32768", "kB"));
}

TEST(CapacitySettings, CountsHaveNoUnit) {
  const auto s = normalise_setting("max_connections", "100", "");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "max_connections");
  EXPECT_EQ(s->value, 100);
  EXPECT_FALSE(s->bytes);
}

TEST(CapacitySettings, RefusesWhatCannotBeComparedByValue) {
  EXPECT_FALSE(normalise_setting("x", "200", "ms"));  // a time, not a capacity
  EXPECT_FALSE(normalise_setting("x", "1", "min"));
  EXPECT_FALSE(normalise_setting("x", "0.5", ""));  // real-valued settings
  EXPECT_FALSE(normalise_setting("x", "on", ""));
  EXPECT_FALSE(normalise_setting("x", "", ""));
  EXPECT_FALSE(normalise_setting("x", "-1", "kB"));                   // "unset", e.g. -1
  EXPECT_FALSE(normalise_setting("x", "9223372036854775807", "kB"));  // overflows bytes
  EXPECT_FALSE(normalise_setting("x", "1", "0kB"));
}

TEST(CapacitySettings, FormatsWithTheLargestExactUnit) {
  const auto bytes = [](std::int64_t v) { return format_setting({"x", v, true}); };
  EXPECT_EQ(bytes(128LL << 20), "128 MB");
  EXPECT_EQ(bytes(32LL << 20), "32 MB");
  EXPECT_EQ(bytes(4LL << 30), "4 GB");
  EXPECT_EQ(bytes(1LL << 40), "1 TB");
  EXPECT_EQ(bytes(8LL << 10), "8 kB");
  EXPECT_EQ(bytes(1536LL << 10), "1536 kB");  // 1.5 MB: exact words, never rounded
  EXPECT_EQ(bytes(100), "100 B");
  EXPECT_EQ(bytes(0), "0 B");
  EXPECT_EQ(format_setting({"max_connections", 100, false}), "100");
  // Equal values print the same words from any unit: replica_parity compares the words.
  EXPECT_EQ(format_setting(*normalise_setting("x", "16384", "8kB")),
            format_setting(*normalise_setting("x", "131072", "kB")));
  EXPECT_NE(format_setting(*normalise_setting("x", "16385", "8kB")),
            format_setting(*normalise_setting("x", "16384", "8kB")));
}

TEST(CapacitySettings, ParsesTheHealthQueryAggregate) {
  // As PostgreSQL 15.18 returns it for initdb's defaults (no unit: a trailing space).
  const auto got = parse_settings(
      "effective_cache_size 524288 8kB,max_connections 100 ,max_parallel_workers 8 ,"
      "max_worker_processes 8 ,shared_buffers 4096 8kB,work_mem 4096 kB");
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].name, "effective_cache_size");
  EXPECT_EQ(format_setting(got[0]), "4 GB");
  EXPECT_EQ(got[1].name, "max_connections");
  EXPECT_EQ(got[1].value, 100);
  EXPECT_EQ(format_setting(got[4]), "32 MB");
  EXPECT_EQ(format_setting(got[5]), "4 MB");
  // A row that does not normalise is left out, not reported as 0.
  const auto partial = parse_settings("work_mem abc kB,max_connections 20 ,bogus");
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(partial[0].name, "max_connections");
  EXPECT_TRUE(parse_settings("").empty());
}

}  // namespace
}  // namespace qw::probes::health
