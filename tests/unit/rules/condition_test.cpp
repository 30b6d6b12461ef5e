// How durations read in alert text: exact where a limit of a few minutes is compared with them,
// coarser where seconds no longer matter.
#include <gtest/gtest.h>

#include "rules/condition.hpp"

namespace qw::rules {
namespace {

TEST(FormatSeconds, ReadsAsAPersonWouldWriteIt) {
  EXPECT_EQ(format_seconds(0), "0s");
  EXPECT_EQ(format_seconds(59.6), "60s");
  EXPECT_EQ(format_seconds(119), "119s");
  EXPECT_EQ(format_seconds(120), "2m");
  EXPECT_EQ(format_seconds(125), "2m5s");  // not "2m" next to a 2m limit
  EXPECT_EQ(format_seconds(599), "9m59s");
  EXPECT_EQ(format_seconds(601), "10m");
  EXPECT_EQ(format_seconds(7200), "2h");
  EXPECT_EQ(format_seconds(7260), "2h1m");
  EXPECT_EQ(format_seconds(-5), "0s");
}

}  // namespace
}  // namespace qw::rules
