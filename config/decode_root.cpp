// The top level, `http` and `probes`: the daemon-wide settings, each key one row
// (config/schema.hpp).
#include <filesystem>

#include <fmt/format.h>

#include "config/decoders.hpp"
#include "config/duration.hpp"
#include "config/listen_address.hpp"
#include "config/schema.hpp"

namespace qw::config::detail {
namespace {

constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
constexpr std::string_view kLogFormats[] = {"text", "logfmt", "json"};

// A section decoded by its own function: the row names it, documents it and calls it.
template <typename S, typename M>
Field<S> section(std::string_view key, M S::*member, void (*decode)(Context&, const Value&, M&),
                 std::string_view doc, std::string default_text) {
  return Field<S>{
      key,
      doc,
      [member, decode](Context& ctx, const Value& v, S& out) { decode(ctx, v, out.*member); },
      [](const S&) { return std::string(); },
      "a mapping",
      false,
      std::move(default_text),
      0};
}

std::vector<Field<ProbeDecode>> make_probe_rows() {
  const Reader<Duration> interval = duration_reader(bounds::kProbeInterval);
  const Reader<Duration> backoff = duration_reader(bounds::kProbeMaxBackoff);
  return {
      Field<ProbeDecode>{
          "interval", "how often each instance runs",
          [interval](Context& ctx, const Value& v, ProbeDecode& out) {
            std::optional<Duration> d = interval.read(ctx, v);
            out.interval_ok = d.has_value();
            assign(std::move(d), out.settings.interval);
          },
          [interval](const ProbeDecode& p) { return show_value(interval, p.settings.interval); },
          interval.range, false, "", 0},
      lift_field(field("query_timeout", &ProbeSettings::query_timeout,
                       duration_reader(bounds::kProbeQueryTimeout),
                       "client-side deadline (cancel) and server statement_timeout"),
                 &ProbeDecode::settings),
      Field<ProbeDecode>{
          "max_backoff", "the longest a failing probe waits between runs; at least the interval",
          [backoff](Context& ctx, const Value& v, ProbeDecode& out) {
            std::optional<Duration> d = backoff.read(ctx, v);
            // Backoff stretches the interval of a failing probe; a ceiling below the interval
            // would make a failing probe run more often than a healthy one.
            if (d && out.interval_ok && *d < out.settings.interval) {
              ctx.error(v.path, v.mark,
                        fmt::format("must be at least the interval ({}), got {}",
                                    format_duration(out.settings.interval), format_duration(*d)));
            } else {
              assign(std::move(d), out.settings.max_backoff);
            }
          },
          [backoff](const ProbeDecode& p) { return show_value(backoff, p.settings.max_backoff); },
          backoff.range, false, "", 0},
  };
}

void decode_probe_settings(Context& ctx, const Value& value, ProbeSettings& out) {
  MapReader map(ctx, value, keys_of(probe_fields()));
  ProbeDecode decode{out};
  decode_fields(ctx, map, probe_fields(), decode);
  out = decode.settings;
}

Reader<std::string> listen_reader() {
  return Reader<std::string>{
      [](Context& ctx, const Value& v) -> std::optional<std::string> {
        std::optional<std::string> s = read_nonempty_string(ctx, v);
        if (s && !parse_listen_address(*s)) {
          ctx.error(v.path, v.mark,
                    fmt::format("\"{}\" is not host:port (IPv6 in brackets: [::1]:9187)", *s));
          return std::nullopt;
        }
        return s;
      },
      [](const std::string& s) { return s; }, "`host:port`"};
}

Reader<std::string> log_level_reader() {
  return Reader<std::string>{[](Context& ctx, const Value& v) -> std::optional<std::string> {
                               if (auto index = read_enum_index(ctx, v, kLogLevels))
                                 return std::string(kLogLevels[*index]);
                               return std::nullopt;
                             },
                             [](const std::string& s) { return s; },
                             "`trace`, `debug`, `info`, `warn`, `error`"};
}

Reader<std::string> log_format_reader() {
  return Reader<std::string>{[](Context& ctx, const Value& v) -> std::optional<std::string> {
                               if (auto index = read_enum_index(ctx, v, kLogFormats))
                                 return std::string(kLogFormats[*index]);
                               return std::nullopt;
                             },
                             [](const std::string& s) { return s; }, "`text`, `logfmt`, `json`"};
}

}  // namespace

const std::vector<Field<Config>>& root_fields() {
  static const std::vector<Field<Config>> rows = {
      section("http", &Config::http, decode_http, "the metrics endpoint", "see below"),
      field("state_dir", &Config::state_dir, nonempty_string_reader(),
            "where queuewatch keeps what must survive a restart"),
      field("log_level", &Config::log_level, log_level_reader(), "what is logged"),
      field("log_format", &Config::log_format, log_format_reader(), "how log lines are written"),
      section("probes", &Config::probes, decode_probes, "defaults shared by all probes of a kind",
              "see below"),
      section("providers", &Config::providers, decode_providers,
              "cloud providers' status feeds, linked from targets", "none"),
      // Needs the decoded providers: a target's `provider` must name one of them.
      Field<Config>{"targets", "the databases to watch",
                    [](Context& ctx, const Value& v, Config& out) {
                      decode_targets(ctx, v, out.providers, out.targets);
                    },
                    [](const Config&) { return std::string(); }, "a list of targets", true,
                    "required, at least one", 0},
      // Needs the decoded targets: members must be targets.
      Field<Config>{"clusters", "targets that are one database: sources follow its primary",
                    [](Context& ctx, const Value& v, Config& out) {
                      decode_clusters(ctx, v, out.targets, out.clusters);
                    },
                    [](const Config&) { return std::string(); }, "a list of clusters", false,
                    "none", 0},
      // Needs the decoded targets and clusters: a queue must name one of them.
      Field<Config>{"queues", "job tables to watch",
                    [](Context& ctx, const Value& v, Config& out) {
                      // A source's `target` may name a cluster: it then runs on its primary.
                      // Only the name is looked up, so a cluster stands in as a named entry.
                      std::vector<TargetConfig> names = out.targets;
                      for (const ClusterConfig& c : out.clusters) {
                        TargetConfig stand_in;
                        stand_in.name = c.name;
                        names.push_back(std::move(stand_in));
                      }
                      decode_queues(ctx, v, names, out.queues);
                    },
                    [](const Config&) { return std::string(); }, "a list of sources", false, "none",
                    0},
      section("rules", &Config::rules, decode_rules, "alert rule thresholds",
              "see [`rules`](#rules)"),
      section("alerting", &Config::alerting, decode_alerting, "routing and receivers of alerts",
              "see [alerting.md](alerting.md)"),
  };
  return rows;
}

namespace {
std::string resolve_path(const Context& ctx, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || ctx.base_dir().empty()) return path;
  return (std::filesystem::path(ctx.base_dir()) / p).lexically_normal().string();
}
}  // namespace

const std::vector<Field<HttpConfig>>& http_fields() {
  static const std::vector<Field<HttpConfig>> rows = {
      field("listen", &HttpConfig::listen, listen_reader(), "where /metrics is served"),
      field("request_timeout", &HttpConfig::request_timeout,
            duration_reader(bounds::kHttpRequestTimeout), "the longest one request may take"),
      field("max_connections", &HttpConfig::max_connections,
            integer_reader(bounds::kHttpMaxConnections), "concurrent HTTP connections"),
      field("max_request_bytes", &HttpConfig::max_request_bytes,
            integer_reader(bounds::kHttpMaxRequestBytes), "the largest request accepted"),
      // Its content is checked where it is used (check-config and run load it, certificates
      // included): the web config's errors carry the web config's own line:column.
      custom_field<HttpConfig>(
          "web_config_file", "a path",
          "TLS and basic auth for every endpoint, in exporter-toolkit's format (docs/security.md)",
          [](Context& ctx, const Value& v, HttpConfig& out) {
            if (std::optional<std::string> path = read_nonempty_string(ctx, v))
              out.web_config_file = resolve_path(ctx, *path);
          },
          "none"),
  };
  return rows;
}

const std::vector<Field<ProbeDecode>>& probe_fields() {
  static const std::vector<Field<ProbeDecode>> rows = make_probe_rows();
  return rows;
}

const std::vector<Field<ProbesConfig>>& probes_fields() {
  static const std::vector<Field<ProbesConfig>> rows = {
      section("postgres_health", &ProbesConfig::health, decode_probe_settings,
              "the health probe, once per target", ""),
      section("postgres_queue", &ProbesConfig::queue, decode_probe_settings,
              "the queue probe, once per entry of queues", ""),
      section("postgres_replication", &ProbesConfig::replication, decode_probe_settings,
              "the replication probe, once per cluster member", ""),
  };
  return rows;
}

void decode_root(Context& ctx, const Value& root, Config& out, Sections sections) {
  MapReader map(ctx, root, keys_of(root_fields()));
  if (!map.is_mapping()) return;
  if (sections == Sections::rules_only) {
    // Every key was checked above; only the rules are read (loader.hpp says why).
    static const std::vector<Field<Config>> rules_row = [] {
      std::vector<Field<Config>> rows;
      for (const Field<Config>& row : root_fields())
        if (row.key == "rules") rows.push_back(row);
      return rows;
    }();
    decode_fields(ctx, map, rules_row, out);
    return;
  }
  decode_fields(ctx, map, root_fields(), out);
}

void decode_http(Context& ctx, const Value& value, HttpConfig& out) {
  MapReader map(ctx, value, keys_of(http_fields()));
  decode_fields(ctx, map, http_fields(), out);
}

void decode_probes(Context& ctx, const Value& value, ProbesConfig& out) {
  MapReader map(ctx, value, keys_of(probes_fields()));
  decode_fields(ctx, map, probes_fields(), out);
}

}  // namespace qw::config::detail
