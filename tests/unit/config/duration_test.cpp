#include "config/duration.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace qw::config {
namespace {

using namespace std::chrono_literals;

struct ParseCase {
  const char* text;
  std::optional<Duration> expected;
};

class ParseDuration : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseDuration, ReadsOrRejects) {
  const ParseCase& c = GetParam();
  EXPECT_EQ(parse_duration(c.text), c.expected) << "input: \"" << c.text << "\"";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseDuration,
    ::testing::Values(ParseCase{"0", 0ms}, ParseCase{"0s", 0ms}, ParseCase{"500ms", 500ms},
                      ParseCase{"15s", 15s}, ParseCase{"2m", 2min}, ParseCase{"1h", 1h},
                      ParseCase{"1d", 24h}, ParseCase{"1m30s", 90s},
                      ParseCase{"1h2m3s4ms", 1h + 2min + 3s + 4ms}, ParseCase{"90s", 90s},
                      ParseCase{"0010s", 10s},
                      // Rejected: each would otherwise be a guess.
                      ParseCase{"", std::nullopt}, ParseCase{"10", std::nullopt},
                      ParseCase{"5x", std::nullopt}, ParseCase{"-1s", std::nullopt},
                      ParseCase{"1.5s", std::nullopt}, ParseCase{"s", std::nullopt},
                      ParseCase{"30s1m", std::nullopt}, ParseCase{"1s1s", std::nullopt},
                      ParseCase{"1m 30s", std::nullopt}, ParseCase{" 1s", std::nullopt},
                      ParseCase{"1S", std::nullopt}, ParseCase{"1w", std::nullopt},
                      ParseCase{"99999999999999999999s", std::nullopt},
                      ParseCase{"9223372036854775807d", std::nullopt},
                      // The nanosecond ceiling (asio's timers): 106751d fits, 106752d does not.
                      ParseCase{"106751d", 106751 * 24h}, ParseCase{"106752d", std::nullopt},
                      ParseCase{"9223372036854775807ms", std::nullopt}));

// A value above the nanosecond ceiling is well-formed but too large, and said so: the loader
// then reports the key's bound rather than "not a duration".
TEST(ParseDurationChecked, TooLargeIsToldApartFromMalformed) {
  EXPECT_TRUE(parse_duration_checked("1000000d").too_large);
  EXPECT_FALSE(parse_duration_checked("1000000d").value);
  EXPECT_TRUE(parse_duration_checked("106751d23h59m59s").too_large);
  EXPECT_TRUE(parse_duration_checked("99999999999999999999999999ms").too_large);
  EXPECT_FALSE(parse_duration_checked("1000000x").too_large) << "malformed stays malformed";
  EXPECT_FALSE(parse_duration_checked("1000000d1d").too_large) << "repeated unit";
  EXPECT_FALSE(parse_duration_checked("106751d").too_large);
  EXPECT_EQ(kMaxParsedDuration.count(), 9223372036854LL);
}

struct FormatCase {
  Duration value;
  const char* expected;
};

class FormatDuration : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatDuration, WritesShortestForm) {
  const FormatCase& c = GetParam();
  EXPECT_EQ(format_duration(c.value), c.expected);
  // Whatever is written reads back to the same value.
  if (c.value >= 0ms) {
    EXPECT_EQ(parse_duration(format_duration(c.value)), c.value);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, FormatDuration,
                         ::testing::Values(FormatCase{0ms, "0s"}, FormatCase{1ms, "1ms"},
                                           FormatCase{1500ms, "1s500ms"}, FormatCase{15s, "15s"},
                                           FormatCase{90s, "1m30s"}, FormatCase{2min, "2m"},
                                           FormatCase{1h + 1ms, "1h1ms"}, FormatCase{24h, "1d"},
                                           FormatCase{49h, "2d1h"}, FormatCase{-90s, "-1m30s"}));

}  // namespace
}  // namespace qw::config
