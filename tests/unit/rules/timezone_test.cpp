#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "rules/timezone.hpp"
#include "rules/zoneinfo_file.hpp"
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
  // Debian's fat America/New_York ends with the transition of 2037-11-01 06:00:00 UTC to EST
  // (`TZ=America/New_York date -d '2037-11-01 06:00:01 UTC' +%z` prints -0500; the hour before
  // is EDT, -0400). The POSIX footer is not interpreted, so EST stays, even in July 2040 when
  // real clocks would show EDT.
  const std::int64_t last = secs(at_utc(2037, 11, 1, 6));
  EXPECT_EQ(ny.offset_at(last - 1), -4 * 3600);
  EXPECT_EQ(ny.offset_at(last), -5 * 3600);
  EXPECT_FALSE(ny.next_transition_after(last)) << "2037-11-01 is the file's last transition";
  EXPECT_EQ(ny.offset_at(secs(at_utc(2040, 7, 1))), -5 * 3600);
  EXPECT_EQ(ny.offset_at(secs(at_utc(2100, 1, 1))), -5 * 3600);
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
  const TzifParse berlin = load_zoneinfo("Europe/Berlin");
  ASSERT_TRUE(berlin.zone);
  EXPECT_FALSE(load_zoneinfo("No/Such_Zone").zone);
  EXPECT_FALSE(load_zoneinfo("../etc/passwd").zone);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// A real file cut anywhere before the end of its 64-bit data block is refused with the part that
// is missing, and never read past the end (ASan would catch it). Only the POSIX TZ footer, which
// is not interpreted, may be missing.
TEST(Timezone, RejectsEveryTruncationOfARealFile) {
  const std::string bytes = read_file("/usr/share/zoneinfo/Europe/Berlin");
  ASSERT_GT(bytes.size(), 1000u);
  ASSERT_TRUE(parse_tzif(bytes, "Europe/Berlin").zone);
  // The footer is "\n<TZ string>\n" at the very end; the data block ends where it starts.
  const std::size_t data_end = bytes.rfind('\n', bytes.size() - 2);
  ASSERT_NE(data_end, std::string::npos);
  // The version 2 header is the second "TZif" in the file.
  const std::size_t v2_header = bytes.find("TZif", 4);
  ASSERT_NE(v2_header, std::string::npos);

  auto error_at_cut = [&](std::size_t length) {
    const TzifParse p = parse_tzif(std::string_view(bytes).substr(0, length), "Europe/Berlin");
    EXPECT_FALSE(p.zone) << "cut at " << length << " of " << bytes.size();
    return p.error;
  };
  for (std::size_t length = 0; length < data_end; ++length) {
    const std::string error = error_at_cut(length);
    if (length < 44) {
      EXPECT_EQ(error, "not a TZif file") << length;
    } else if (length < v2_header) {
      EXPECT_EQ(error, "truncated TZif version 1 block") << length;
    } else if (length < v2_header + 44) {
      EXPECT_EQ(error, "missing TZif version 2 header") << length;
    } else {
      EXPECT_EQ(error, "truncated TZif version 2 block") << length;
    }
  }
  // Without its footer the file still gives the same offsets.
  const TzifParse no_footer = parse_tzif(std::string_view(bytes).substr(0, data_end), "Berlin");
  ASSERT_TRUE(no_footer.zone) << no_footer.error;
  EXPECT_EQ(no_footer.zone->offset_at(secs(at_utc(2024, 7, 1))), 7200);
}

}  // namespace
}  // namespace qw::rules
