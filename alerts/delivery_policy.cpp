#include "alerts/delivery_policy.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

namespace qw::alerts {

using notifiers::SendOutcome;
using notifiers::SendResult;
using std::chrono::milliseconds;

namespace {

// Enough of a 4xx/5xx body to understand it in a log line; the rest stays out of the journal.
constexpr std::size_t kLoggedBody = 512;

std::string body_for_log(const HttpResponse& response) {
  std::string body = response.body.substr(0, kLoggedBody);
  for (char& c : body) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (response.body.size() > kLoggedBody || response.body_truncated) body += "...";
  return body;
}

}  // namespace

std::optional<milliseconds> parse_retry_after(const std::string& value,
                                              std::chrono::system_clock::time_point now) {
  // Over 31 years (more than 9 digits of seconds) is not a real answer, in either form.
  constexpr std::int64_t kMaxSeconds = 999'999'999;
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stoll(value));
  }
  std::tm tm{};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  // Compared in seconds first: system_clock counts nanoseconds, and a date outside 1678..2261
  // ("Fri, 01 Jan 1207") would overflow it in from_time_t.
  const std::int64_t at = timegm(&tm);
  const std::int64_t now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (at <= now_seconds) return milliseconds{0};
  if (at - now_seconds > kMaxSeconds) return std::nullopt;
  const auto wait = std::chrono::system_clock::from_time_t(at) - now;
  return std::max(milliseconds{0}, std::chrono::duration_cast<milliseconds>(wait));
}

SendResult classify_response(const HttpResult& result, std::chrono::system_clock::time_point now) {
  SendResult out;
  if (!result.response) {
    out.outcome = SendOutcome::retry;
    out.detail = result.error;
    return out;
  }
  const HttpResponse& response = *result.response;
  out.status = response.status;
  if (response.status >= 200 && response.status < 300) {
    out.outcome = SendOutcome::delivered;
    return out;
  }
  out.detail = fmt::format("HTTP {}: {}", response.status, body_for_log(response));
  if (response.status == 429) {
    out.outcome = SendOutcome::retry;
    if (const auto it = response.headers.find("retry-after"); it != response.headers.end()) {
      out.retry_after = parse_retry_after(it->second, now);
    }
    return out;
  }
  if (response.status >= 500 || response.status == 408) {
    out.outcome = SendOutcome::retry;
    return out;
  }
  out.outcome = SendOutcome::rejected;
  return out;
}

milliseconds backoff_delay(int attempt, milliseconds base, milliseconds max, std::mt19937_64& rng) {
  const int exponent = std::clamp(attempt, 0, 30);
  const long long cap = std::min<long long>(max.count(), base.count() << exponent);
  if (cap <= 0) return milliseconds{0};
  std::uniform_int_distribution<long long> jitter(0, cap);
  return milliseconds{jitter(rng)};
}

}  // namespace qw::alerts
