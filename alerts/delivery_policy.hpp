#pragma once
// The retry policy, pure so it is tested exactly:
// - 2xx: delivered.
// - network errors, timeouts, 5xx, 408: retried with exponential backoff and full jitter
//   (delay uniform in [0, min(max_backoff, base × 2^attempt)], AWS' "full jitter": many
//   notifications failing together do not retry together), forever: a receiver down for an
//   hour still gets everything once it is back.
// - 429: wait Retry-After (seconds or an HTTP-date) when given, else the backoff.
// - other 4xx (and 3xx: redirects are not followed): rejected, not retried; the response is
//   logged so the operator can fix the receiver's configuration.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "alerts/http_client.hpp"
#include "alerts/notifiers/sink.hpp"

namespace qw::alerts {

inline constexpr std::chrono::milliseconds kBaseBackoff{500};

notifiers::SendResult classify_response(const HttpResult& result,
                                        std::chrono::system_clock::time_point now);

// Retry-After as delta-seconds ("120") or an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT");
// a date in the past is 0. std::nullopt when unparseable.
std::optional<std::chrono::milliseconds> parse_retry_after(
    const std::string& value, std::chrono::system_clock::time_point now);

// The delay before retry number `attempt` (0 for the first retry).
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base,
                                        std::chrono::milliseconds max, std::mt19937_64& rng);

}  // namespace qw::alerts
