#pragma once
// Every duration and size the config accepts, with its lower and upper bound, declared here and
// nowhere else. The decoders pass these to read_duration / read_integer, which report a value
// outside them at its key path and line:column; docs/configuration.md lists each one (a unit
// test checks that the table there matches this file).
//
// Why upper bounds at all: timers run on asio's nanosecond clocks, which overflow above about
// 106 751 days and then fire at once, in a loop (a 1000000d probe interval ran 9 608 health
// queries in 8 s). And a value far above what makes sense (a 40 s connect timeout, a 5-hour
// request deadline) is a typo or a stall waiting to happen, better refused at load than
// discovered in production. Lower bounds refuse what would hammer a database or never succeed.
#include <array>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"

namespace qw::config {

struct DurationBounds {
  std::string_view key;  // as docs/configuration.md names it
  Duration min;
  Duration max;
};

struct IntegerBounds {
  std::string_view key;
  std::int64_t min;
  std::int64_t max;
};

namespace bounds {

using namespace std::chrono_literals;
inline constexpr Duration kDay = 24h;

// http: a scrape that needs more than minutes is broken; a client must not hold a slot longer.
inline constexpr DurationBounds kHttpRequestTimeout{"http.request_timeout", 100ms, 5min};
inline constexpr IntegerBounds kHttpMaxConnections{"http.max_connections", 1, 65535};
// Below 1 KiB a browser's or Prometheus' ordinary headers do not fit; /metrics needs no body.
inline constexpr IntegerBounds kHttpMaxRequestBytes{"http.max_request_bytes", 1024, 1 << 20};

// Probes (probes.postgres_health, probes.postgres_queue, and per queue). Shorter intervals would
// be a load test against the database; longer ones are not monitoring any more.
inline constexpr DurationBounds kProbeInterval{"interval", 100ms, 1h};
inline constexpr DurationBounds kProbeQueryTimeout{"query_timeout", 10ms, 10min};
inline constexpr DurationBounds kProbeMaxBackoff{"max_backoff", 100ms, 1h};

// targets: libpq counts whole seconds; a connect stuck for longer than 30 s is down, and a long
// one holds up a reload (issue 7: 40 s stalled the event loop).
inline constexpr DurationBounds kConnectTimeout{"targets[].connect_timeout", 1s, 30s};
// Each connection is a backend process on someone's production server: keep the ceiling low.
inline constexpr IntegerBounds kTargetMaxConnections{"targets[].max_connections", 1, 16};

// providers: a status page is a public server shared by every customer of the provider; polled
// more than once a minute it is a load test, and some pages rate-limit. Feeds are small: a
// Statuspage summary.json is tens of KiB, so megabytes are a broken or hostile answer.
inline constexpr DurationBounds kProviderInterval{"providers[].interval", 1min, 1h};
inline constexpr DurationBounds kProviderTimeout{"providers[].timeout", 1s, 1min};
inline constexpr IntegerBounds kProviderMaxBytes{"providers[].max_bytes", 1024, 64 << 20};
inline constexpr DurationBounds kProviderMaxAge{"providers[].max_age", 1min, 30 * kDay};

// queues
inline constexpr DurationBounds kSettleDelay{"queues[].settle_delay", 0ms, 10min};
// Rows one round may count: a budget for the probe's own queries, not a memory size.
inline constexpr IntegerBounds kCountCap{"queues[].count_cap", 1, 10'000'000};
inline constexpr DurationBounds kWarmStartLookback{"queues[].warm_start.lookback", 1h,
                                                   kMaxWarmStartLookback};
inline constexpr DurationBounds kWarmStartTimeout{"queues[].warm_start.timeout", 1s, 1h};

// rules
inline constexpr DurationBounds kEvaluationInterval{"rules.evaluation_interval", 1s, 10min};
inline constexpr DurationBounds kFor{"for", 0ms, 7 * kDay};
inline constexpr DurationBounds kKeepFiringFor{"keep_firing_for", 0ms, 7 * kDay};
inline constexpr DurationBounds kGrace{"no_throughput.grace", 0ms, 7 * kDay};
inline constexpr DurationBounds kMinSilence{"no_throughput.min_silence", 1s, 7 * kDay};
// The per-minute history the rules keep.
inline constexpr DurationBounds kWindow{"window", 1min, kMaxRuleWindow};
inline constexpr DurationBounds kRunningFor{"stuck_in_progress.running_for", 1s, 30 * kDay};
inline constexpr DurationBounds kHeartbeatTimeout{"stuck_in_progress.heartbeat_timeout", 1s,
                                                  30 * kDay};
inline constexpr DurationBounds kMaxAge{"queue_latency.max_age", 1s, 30 * kDay};
inline constexpr DurationBounds kMaxLag{"replica_lag.max_lag", 1s, 7 * kDay};
inline constexpr DurationBounds kStaleAfter{"cannot_measure.stale_after", 1s, 7 * kDay};

// Bytes per glob in rules.overrides[].queues and .sources: rules/glob.cpp matches in time
// proportional to glob length times name length, and queue names come from table data.
inline constexpr IntegerBounds kGlobBytes{"rules.overrides[].queues[]", 1, 256};

// alerting
inline constexpr DurationBounds kRepeatInterval{"repeat_interval", 1s, 30 * kDay};
inline constexpr DurationBounds kInhibitReleaseDelay{"alerting.inhibit_release_delay", 0ms, 1h};
inline constexpr DurationBounds kReceiverTimeout{"receivers[].timeout", 100ms, 5min};
inline constexpr DurationBounds kReceiverMaxBackoff{"receivers[].max_backoff", 1s, 6h};
inline constexpr DurationBounds kResendInterval{"receivers[].resend_interval", 1s, 1h};
inline constexpr DurationBounds kHeartbeatInterval{"heartbeat.interval", 1s, 1h};

inline constexpr std::array kAllDurations{kHttpRequestTimeout,
                                          kProbeInterval,
                                          kProbeQueryTimeout,
                                          kProbeMaxBackoff,
                                          kConnectTimeout,
                                          kProviderInterval,
                                          kProviderTimeout,
                                          kProviderMaxAge,
                                          kSettleDelay,
                                          kWarmStartLookback,
                                          kWarmStartTimeout,
                                          kEvaluationInterval,
                                          kFor,
                                          kKeepFiringFor,
                                          kGrace,
                                          kMinSilence,
                                          kWindow,
                                          kRunningFor,
                                          kHeartbeatTimeout,
                                          kMaxAge,
                                          kMaxLag,
                                          kStaleAfter,
                                          kRepeatInterval,
                                          kInhibitReleaseDelay,
                                          kReceiverTimeout,
                                          kReceiverMaxBackoff,
                                          kResendInterval,
                                          kHeartbeatInterval};
inline constexpr std::array kAllIntegers{
    kHttpMaxConnections, kHttpMaxRequestBytes, kTargetMaxConnections, kProviderMaxBytes, kCountCap,
    kGlobBytes};

}  // namespace bounds
}  // namespace qw::config
