// The retry policy as a pure function: which answers are retried, Retry-After, and backoff bounds.
#include <gtest/gtest.h>

#include <set>

#include "alerts/delivery_policy.hpp"

namespace qw::alerts {
namespace {

using namespace std::chrono_literals;
using notifiers::SendOutcome;

const auto kNow =
    std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT

HttpResult answer(int status, std::map<std::string, std::string> headers = {},
                  std::string body = "") {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return {r, ""};
}

TEST(ClassifyResponse, ByStatus) {
  EXPECT_EQ(classify_response(answer(200), kNow).outcome, SendOutcome::delivered);
  EXPECT_EQ(classify_response(answer(202), kNow).outcome, SendOutcome::delivered);
  EXPECT_EQ(classify_response(answer(500), kNow).outcome, SendOutcome::retry);
  EXPECT_EQ(classify_response(answer(503), kNow).outcome, SendOutcome::retry);
  EXPECT_EQ(classify_response(answer(408), kNow).outcome, SendOutcome::retry);
  EXPECT_EQ(classify_response(answer(429), kNow).outcome, SendOutcome::retry);
  EXPECT_EQ(classify_response(answer(400), kNow).outcome, SendOutcome::rejected);
  EXPECT_EQ(classify_response(answer(404), kNow).outcome, SendOutcome::rejected);
  EXPECT_EQ(classify_response(answer(301), kNow).outcome, SendOutcome::rejected);
  EXPECT_EQ(classify_response({std::nullopt, "connect: Connection refused"}, kNow).outcome,
            SendOutcome::retry);
}

TEST(ClassifyResponse, RejectionKeepsStatusAndABoundedBody) {
  const auto r =
      classify_response(answer(400, {}, "invalid routing key\n" + std::string(2000, 'x')), kNow);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.detail.rfind("HTTP 400: invalid routing key x", 0), 0u) << r.detail;
  EXPECT_LT(r.detail.size(), 600u);
}

TEST(ClassifyResponse, TooManyRequestsCarriesRetryAfter) {
  EXPECT_EQ(classify_response(answer(429, {{"retry-after", "7"}}), kNow).retry_after, 7s);
  EXPECT_FALSE(classify_response(answer(429), kNow).retry_after);
  EXPECT_FALSE(classify_response(answer(503, {{"retry-after", "7"}}), kNow).retry_after);
}

TEST(ParseRetryAfter, SecondsAndHttpDates) {
  EXPECT_EQ(parse_retry_after("0", kNow), 0s);
  EXPECT_EQ(parse_retry_after("120", kNow), 120s);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", kNow), 30s);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", kNow), 0s);  // in the past
  EXPECT_FALSE(parse_retry_after("", kNow));
  EXPECT_FALSE(parse_retry_after("soon", kNow));
  EXPECT_FALSE(parse_retry_after("-5", kNow));
  EXPECT_FALSE(parse_retry_after("99999999999999", kNow));
}

TEST(BackoffDelay, FullJitterUnderAnExponentialCeiling) {
  std::mt19937_64 rng(42);
  for (int attempt = 0; attempt < 40; ++attempt) {
    const auto ceiling = std::min<long long>(300000, 500LL << std::min(attempt, 30));
    for (int i = 0; i < 50; ++i) {
      const auto d = backoff_delay(attempt, 500ms, 300000ms, rng);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d.count(), ceiling);
    }
  }
  // Jitter: many delays for one attempt are not all the same.
  std::set<long long> seen;
  for (int i = 0; i < 20; ++i) seen.insert(backoff_delay(5, 500ms, 300000ms, rng).count());
  EXPECT_GT(seen.size(), 10u);
}

}  // namespace
}  // namespace qw::alerts
