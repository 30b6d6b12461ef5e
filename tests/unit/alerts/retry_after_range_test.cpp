// Retry-After dates far from now (found by tests/fuzz/retry_after.cpp): system_clock counts
// nanoseconds, so a date before 1678 or after 2261 overflowed it (undefined behaviour, caught
// by UBSan) instead of reading as "in the past" or "not a real answer".
#include <chrono>

#include <gtest/gtest.h>

#include "alerts/delivery_policy.hpp"

namespace qw::alerts {
namespace {

using namespace std::chrono_literals;

// 2026-01-01T00:00:00.250Z: a fraction of a second, as a real clock has.
const std::chrono::system_clock::time_point kNow{1767225600s + 250ms};

TEST(ParseRetryAfterRange, DateLongBeforeNowIsZero) {
  EXPECT_EQ(parse_retry_after("Fri, 01 Jan 1207 00:00:00 GMT", kNow), 0ms);
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", kNow), 0ms);
}

TEST(ParseRetryAfterRange, DateBeyondThirtyOneYearsIsNotAnAnswer) {
  EXPECT_FALSE(parse_retry_after("Mon, 01 Jan 2400 00:00:00 GMT", kNow));
  EXPECT_FALSE(parse_retry_after("Fri, 01 Jan 99999 00:00:00 GMT", kNow));
}

TEST(ParseRetryAfterRange, DateSoonKeepsMilliseconds) {
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", kNow), 9750ms);
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 2026 00:00:00 GMT", kNow), 0ms);
}

}  // namespace
}  // namespace qw::alerts
