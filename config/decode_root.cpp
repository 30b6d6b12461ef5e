// The top level, `http` and `probes`: the daemon-wide settings.
#include <fmt/format.h>

#include "config/decoders.hpp"
#include "config/duration.hpp"
#include "config/listen_address.hpp"

namespace qw::config::detail {
namespace {

constexpr std::string_view kRootKeys[] = {"http",    "state_dir", "log_level", "probes",
                                          "targets", "queues",    "rules",     "alerting"};
constexpr std::string_view kHttpKeys[] = {"listen", "request_timeout", "max_connections",
                                          "max_request_bytes"};
constexpr std::string_view kProbesKeys[] = {"postgres_health", "postgres_queue"};
constexpr std::string_view kProbeSettingKeys[] = {"interval", "query_timeout", "max_backoff"};
constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};

void decode_probe_settings(Context& ctx, const Value& value, ProbeSettings& out) {
  MapReader map(ctx, value, kProbeSettingKeys);
  bool interval_ok = true;  // a refused interval is reported once, not again via max_backoff
  if (auto v = map.get("interval")) {
    std::optional<Duration> interval = read_duration(ctx, *v, bounds::kProbeInterval);
    interval_ok = interval.has_value();
    assign(std::move(interval), out.interval);
  }
  if (auto v = map.get("query_timeout")) {
    assign(read_duration(ctx, *v, bounds::kProbeQueryTimeout), out.query_timeout);
  }
  if (auto v = map.get("max_backoff")) {
    std::optional<Duration> backoff = read_duration(ctx, *v, bounds::kProbeMaxBackoff);
    // Backoff stretches the interval of a failing probe; a ceiling below the interval would
    // make a failing probe run more often than a healthy one.
    if (backoff && interval_ok && *backoff < out.interval) {
      ctx.error(v->path, v->mark,
                fmt::format("must be at least the interval ({}), got {}",
                            format_duration(out.interval), format_duration(*backoff)));
    } else {
      assign(std::move(backoff), out.max_backoff);
    }
  }
}

}  // namespace

void decode_root(Context& ctx, const Value& root, Config& out) {
  MapReader map(ctx, root, kRootKeys);
  if (!map.is_mapping()) return;
  if (auto v = map.get("http")) decode_http(ctx, *v, out.http);
  if (auto v = map.get("state_dir")) assign(read_nonempty_string(ctx, *v), out.state_dir);
  if (auto v = map.get("log_level")) {
    if (auto index = read_enum_index(ctx, *v, kLogLevels)) {
      out.log_level = std::string(kLogLevels[*index]);
    }
  }
  if (auto v = map.get("probes")) decode_probes(ctx, *v, out.probes);
  if (auto v = map.require("targets")) decode_targets(ctx, *v, out.targets);
  if (auto v = map.get("queues")) decode_queues(ctx, *v, out.targets, out.queues);
  if (auto v = map.get("rules")) decode_rules(ctx, *v, out.rules);
  if (auto v = map.get("alerting")) decode_alerting(ctx, *v, out.alerting);
}

void decode_http(Context& ctx, const Value& value, HttpConfig& out) {
  MapReader map(ctx, value, kHttpKeys);
  if (auto v = map.get("listen")) {
    if (std::optional<std::string> s = read_nonempty_string(ctx, *v)) {
      if (parse_listen_address(*s)) {
        out.listen = std::move(*s);
      } else {
        ctx.error(v->path, v->mark,
                  fmt::format("\"{}\" is not host:port (IPv6 in brackets: [::1]:9187)", *s));
      }
    }
  }
  if (auto v = map.get("request_timeout")) {
    assign(read_duration(ctx, *v, bounds::kHttpRequestTimeout), out.request_timeout);
  }
  if (auto v = map.get("max_connections")) {
    assign(read_integer(ctx, *v, bounds::kHttpMaxConnections), out.max_connections);
  }
  if (auto v = map.get("max_request_bytes")) {
    assign(read_integer(ctx, *v, bounds::kHttpMaxRequestBytes), out.max_request_bytes);
  }
}

void decode_probes(Context& ctx, const Value& value, ProbesConfig& out) {
  MapReader map(ctx, value, kProbesKeys);
  if (auto v = map.get("postgres_health")) decode_probe_settings(ctx, *v, out.health);
  if (auto v = map.get("postgres_queue")) decode_probe_settings(ctx, *v, out.queue);
}

}  // namespace qw::config::detail
