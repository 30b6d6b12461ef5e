#include "alerts/fingerprint.hpp"

#include <gtest/gtest.h>

namespace qw::alerts {
namespace {

TEST(Fingerprint, IsSixteenLowercaseHexDigits) {
  const std::string fp = fingerprint({{"alertname", "no_throughput"}});
  ASSERT_EQ(fp.size(), 16u);
  for (char c : fp) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << fp;
}

// Pinned values: fingerprints are persisted and sent as PagerDuty dedup keys. If this test
// fails, the change breaks every open incident on upgrade; revert it instead of updating these.
TEST(Fingerprint, NeverChanges) {
  EXPECT_EQ(fingerprint({}), "cbf29ce484222325");  // the FNV-1a offset basis: nothing mixed in
  EXPECT_EQ(
      fingerprint(
          {{"alertname", "database_unavailable"}, {"severity", "critical"}, {"target", "primary"}}),
      "ce6ae795fa18ab1b");  // computed independently (Python) from the definition
}

TEST(Fingerprint, DoesNotDependOnInsertionOrder) {
  Labels a;
  a["target"] = "primary";
  a["queue"] = "mailers";
  a["alertname"] = "no_throughput";
  Labels b;
  b["alertname"] = "no_throughput";
  b["queue"] = "mailers";
  b["target"] = "primary";
  EXPECT_EQ(fingerprint(a), fingerprint(b));
}

TEST(Fingerprint, SeparatesNamesFromValues) {
  // Without separators these two would hash the same bytes.
  EXPECT_NE(fingerprint({{"a", "bc"}}), fingerprint({{"ab", "c"}}));
  EXPECT_NE(fingerprint({{"a", "b"}, {"c", ""}}), fingerprint({{"a", "bc"}}));
}

TEST(Fingerprint, EveryLabelCounts) {
  const Labels base{{"alertname", "no_throughput"}, {"target", "a"}, {"queue", "q"}};
  Labels other_target = base;
  other_target["target"] = "b";
  Labels extra = base;
  extra["team"] = "payments";
  EXPECT_NE(fingerprint(base), fingerprint(other_target));
  EXPECT_NE(fingerprint(base), fingerprint(extra));
}

}  // namespace
}  // namespace qw::alerts
