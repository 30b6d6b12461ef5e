// Fuzzes Retry-After parsing (alerts::parse_retry_after), the one header a receiver sends back
// that steers our timers: delta-seconds or an HTTP-date, anything else ignored. A wait is never
// negative, and a 429 carrying the header classifies as a retry whatever the header says.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "alerts/delivery_policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string value(reinterpret_cast<const char*>(data), size);
  // A fixed "now" (2026-01-01T00:00:00Z): the result depends on the input alone.
  const std::chrono::system_clock::time_point now{std::chrono::seconds{1767225600}};

  const auto wait = qw::alerts::parse_retry_after(value, now);
  if (wait && wait->count() < 0) __builtin_trap();

  qw::alerts::HttpResponse response;
  response.status = 429;
  response.headers["retry-after"] = value;
  const qw::alerts::HttpResult result{response, ""};
  const auto sent = qw::alerts::classify_response(result, now);
  if (sent.outcome != qw::alerts::notifiers::SendOutcome::retry) __builtin_trap();
  if (sent.retry_after != wait) __builtin_trap();
  return 0;
}
