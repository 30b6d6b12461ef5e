#include <gtest/gtest.h>

#include "rules/timezone.hpp"
#include "rules_test_support.hpp"

namespace qw::rules {
namespace {

using test::at_utc;

std::int64_t secs(Time t) {
  return epoch_seconds(t);
}

TEST(Timezone, UtcHasNoOffset) {
  const Timezone utc;
  EXPECT_EQ(utc.offset_at(secs(at_utc(2024, 7, 1))), 0);
  EXPECT_FALSE(utc.next_transition_after(0));
}

TEST(Timezone, BerlinSwitchesAtTheDocumentedInstants) {
  const Timezone berlin = test::zone("Europe/Berlin");
  // 2024: CET -> CEST at 01:00 UTC on 31 March, back at 01:00 UTC on 27 October.
  EXPECT_EQ(berlin.offset_at(secs(at_utc(2024, 3, 31, 0, 59, 59))), 3600);
  EXPECT_EQ(berlin.offset_at(secs(at_utc(2024, 3, 31, 1))), 7200);
  EXPECT_EQ(berlin.offset_at(secs(at_utc(2024, 10, 27, 0, 59, 59))), 7200);
  EXPECT_EQ(berlin.offset_at(secs(at_utc(2024, 10, 27, 1))), 3600);
  EXPECT_EQ(*berlin.next_transition_after(secs(at_utc(2024, 3, 1))), secs(at_utc(2024, 3, 31, 1)));
}

TEST(Timezone, AfterTheLastTransitionTheLastOffsetStays) {
  const Timezone ny = test::zone("America/New_York");
  // Debian's fat files end in 2037; later instants keep the last offset (EST in winter 2037).
  const std::int32_t late = ny.offset_at(secs(at_utc(2040, 7, 1)));
  EXPECT_TRUE(late == -5 * 3600 || late == -4 * 3600);
}

TEST(Timezone, LocalHoursKeepTheWeeklyPhaseAcrossDst) {
  const Timezone berlin = test::zone("Europe/Berlin");
  // 09:00 local on the Monday before and after spring-forward: one week apart in local hours.
  const std::int64_t before = local_hour_index(berlin, secs(at_utc(2024, 3, 25, 8)));  // CET
  const std::int64_t after = local_hour_index(berlin, secs(at_utc(2024, 4, 1, 7)));    // CEST
  EXPECT_EQ(after - before, 168);
  EXPECT_EQ(hour_of_week(before), 9);  // Monday 09:00
  EXPECT_EQ(hour_of_week(after), 9);
  // Fall-back: the 02:00 local hour happens twice, both in the same index.
  const std::int64_t first = local_hour_index(berlin, secs(at_utc(2024, 10, 27, 0, 30)));
  const std::int64_t second = local_hour_index(berlin, secs(at_utc(2024, 10, 27, 1, 30)));
  EXPECT_EQ(first, second);
}

TEST(Timezone, RejectsWhatIsNotTzif) {
  EXPECT_FALSE(parse_tzif("", "x").zone);
  EXPECT_FALSE(parse_tzif("TZif2" + std::string(10, '\0'), "x").zone);
  std::string v1 = "TZif" + std::string(1, '\0') + std::string(39, '\0');
  EXPECT_NE(parse_tzif(v1, "x").error.find("version 1"), std::string::npos);
  // Truncation anywhere is reported, never read past the end.
  const TzifParse berlin = load_zoneinfo("Europe/Berlin");
  ASSERT_TRUE(berlin.zone);
  EXPECT_FALSE(load_zoneinfo("No/Such_Zone").zone);
  EXPECT_FALSE(load_zoneinfo("../etc/passwd").zone);
}

}  // namespace
}  // namespace qw::rules
