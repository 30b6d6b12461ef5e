// Every duration and size in the config has an upper and a lower bound (config/bounds.hpp),
// checked at load with the key path and line:column, and documented in docs/configuration.md.
// Issue 7: `postgres_health: {interval: 1000000d}` passed check-config and busy-looped the daemon.
#include "config/bounds.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/duration.hpp"
#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A whole, valid file with `{}` where the value under test goes (once).
struct Case {
  const char* tmpl;
  const char* path;
};

constexpr const char* kQueue =
    "queues:\n"
    "  - name: q\n"
    "    target: primary\n"
    "    table: jobs\n"
    "    completed_rows: deleted\n"
    "    state: {{column: s, ready: [a], running: [b], completed: []}}\n";

std::string file(const std::string& rest) {
  return std::string(kOneTarget) + rest;
}

std::string with_queue(const std::string& rest) {
  return file(std::string(kQueue) + rest);
}

std::string with_receivers(const std::string& rest) {
  return file(
      "alerting:\n"
      "  default_receiver: am\n"
      "  receivers:\n"
      "    - {{name: am, type: alertmanager, url: 'http://127.0.0.1:9093'}}\n" +
      rest);
}

std::vector<std::pair<Case, DurationBounds>> duration_cases() {
  using namespace bounds;
  static const std::string c[] = {
      file("http: {{request_timeout: {}}}\n"),
      file("probes:\n  postgres_health: {{interval: {}}}\n"),
      file("probes:\n  postgres_queue: {{interval: {}}}\n"),
      file("probes:\n  postgres_queue: {{query_timeout: {}}}\n"),
      file("probes:\n  postgres_health: {{interval: 100ms, max_backoff: {}}}\n"),
      "targets:\n  - {{name: a, dsn: host=x, region: r, connect_timeout: {}}}\n",
      with_queue("    interval: {}\n"),
      with_queue("    query_timeout: {}\n"),
      with_queue("    settle_delay: {}\n"),
      with_queue("    warm_start: {{lookback: {}}}\n"),
      with_queue("    warm_start: {{timeout: {}}}\n"),
      file("rules: {{evaluation_interval: {}}}\n"),
      file("rules:\n  defaults:\n    queue_latency: {{for: {}}}\n"),
      file("rules:\n  database_unavailable: {{for: {}}}\n"),
      file("rules:\n  defaults:\n    no_throughput: {{keep_firing_for: {}}}\n"),
      file("rules:\n  defaults:\n    no_throughput: {{grace: {}}}\n"),
      file("rules:\n  defaults:\n    no_throughput: {{min_silence: {}}}\n"),
      file("rules:\n  defaults:\n    below_baseline: {{window: {}}}\n"),
      file("rules:\n  defaults:\n    failure_ratio: {{window: {}}}\n"),
      file("rules:\n  defaults:\n    stuck_in_progress: {{running_for: {}}}\n"),
      file("rules:\n  defaults:\n    stuck_in_progress: {{heartbeat_timeout: {}}}\n"),
      file("rules:\n  overrides:\n    - {{queues: [q], queue_latency: {{max_age: {}}}}}\n"),
      file("rules:\n  defaults:\n    cannot_measure: {{stale_after: {}}}\n"),
      with_receivers("  repeat_interval: {}\n"),
      with_receivers("  routes: [{{receiver: am, repeat_interval: {}}}]\n"),
      with_receivers("  inhibit_release_delay: {}\n"),
      with_receivers("  heartbeat: {{interval: {}}}\n"),
      file("alerting:\n  receivers: [{{name: l, type: log, timeout: {}}}]\n"
           "  default_receiver: l\n"),
      file("alerting:\n  receivers: [{{name: l, type: log, max_backoff: {}}}]\n"
           "  default_receiver: l\n"),
      file("alerting:\n  default_receiver: am\n  receivers:\n"
           "    - {{name: am, type: alertmanager, url: 'http://x', resend_interval: {}}}\n"),
      file("providers: [{{name: p, url: 'http://x/', interval: {}}}]\n"),
      file("providers: [{{name: p, url: 'http://x/', timeout: {}}}]\n"),
      file("providers: [{{name: p, kind: rss, url: 'http://x/', max_age: {}}}]\n"),
      file("rules:\n  replica_lag: {{max_lag: {}}}\n"),
  };
  return {
      {{c[0].c_str(), "http.request_timeout"}, kHttpRequestTimeout},
      {{c[1].c_str(), "probes.postgres_health.interval"}, kProbeInterval},
      {{c[2].c_str(), "probes.postgres_queue.interval"}, kProbeInterval},
      {{c[3].c_str(), "probes.postgres_queue.query_timeout"}, kProbeQueryTimeout},
      {{c[4].c_str(), "probes.postgres_health.max_backoff"}, kProbeMaxBackoff},
      {{c[5].c_str(), "targets[0].connect_timeout"}, kConnectTimeout},
      {{c[6].c_str(), "queues[0].interval"}, kProbeInterval},
      {{c[7].c_str(), "queues[0].query_timeout"}, kProbeQueryTimeout},
      {{c[8].c_str(), "queues[0].settle_delay"}, kSettleDelay},
      {{c[9].c_str(), "queues[0].warm_start.lookback"}, kWarmStartLookback},
      {{c[10].c_str(), "queues[0].warm_start.timeout"}, kWarmStartTimeout},
      {{c[11].c_str(), "rules.evaluation_interval"}, kEvaluationInterval},
      {{c[12].c_str(), "rules.defaults.queue_latency.for"}, kFor},
      {{c[13].c_str(), "rules.database_unavailable.for"}, kFor},
      {{c[14].c_str(), "rules.defaults.no_throughput.keep_firing_for"}, kKeepFiringFor},
      {{c[15].c_str(), "rules.defaults.no_throughput.grace"}, kGrace},
      {{c[16].c_str(), "rules.defaults.no_throughput.min_silence"}, kMinSilence},
      {{c[17].c_str(), "rules.defaults.below_baseline.window"}, kWindow},
      {{c[18].c_str(), "rules.defaults.failure_ratio.window"}, kWindow},
      {{c[19].c_str(), "rules.defaults.stuck_in_progress.running_for"}, kRunningFor},
      {{c[20].c_str(), "rules.defaults.stuck_in_progress.heartbeat_timeout"}, kHeartbeatTimeout},
      {{c[21].c_str(), "rules.overrides[0].queue_latency.max_age"}, kMaxAge},
      {{c[22].c_str(), "rules.defaults.cannot_measure.stale_after"}, kStaleAfter},
      {{c[23].c_str(), "alerting.repeat_interval"}, kRepeatInterval},
      {{c[24].c_str(), "alerting.routes[0].repeat_interval"}, kRepeatInterval},
      {{c[25].c_str(), "alerting.inhibit_release_delay"}, kInhibitReleaseDelay},
      {{c[26].c_str(), "alerting.heartbeat.interval"}, kHeartbeatInterval},
      {{c[27].c_str(), "alerting.receivers[0].timeout"}, kReceiverTimeout},
      {{c[28].c_str(), "alerting.receivers[0].max_backoff"}, kReceiverMaxBackoff},
      {{c[29].c_str(), "alerting.receivers[0].resend_interval"}, kResendInterval},
      {{c[30].c_str(), "providers[0].interval"}, kProviderInterval},
      {{c[31].c_str(), "providers[0].timeout"}, kProviderTimeout},
      {{c[32].c_str(), "providers[0].max_age"}, kProviderMaxAge},
      {{c[33].c_str(), "rules.replica_lag.max_lag"}, kMaxLag},
  };
}

// Where the value sits in the file: the line:column the loader must report.
SourceMark value_mark(const Case& c) {
  const std::string text = fmt::format(fmt::runtime(c.tmpl), "VALUE");
  const std::size_t at = text.find("VALUE");
  const std::size_t line_start = text.rfind('\n', at);
  int line = 1;
  for (std::size_t i = 0; i < at; ++i) line += text[i] == '\n' ? 1 : 0;
  const std::size_t column = line_start == std::string::npos ? at + 1 : at - line_start;
  return SourceMark{line, static_cast<int>(column)};
}

LoadResult load_with(const Case& c, const std::string& value) {
  return load_string(fmt::format(fmt::runtime(c.tmpl), value), "test.yaml", &fake_env);
}

TEST_F(ConfigTest, EveryDurationBoundIsCheckedAtItsLineAndColumn) {
  for (const auto& [c, b] : duration_cases()) {
    SCOPED_TRACE(c.path);
    const LoadResult at_max = load_with(c, format_duration(b.max));
    EXPECT_TRUE(at_max.ok()) << all_errors(at_max);
    const LoadResult at_min = load_with(c, format_duration(b.min));
    EXPECT_TRUE(at_min.ok()) << all_errors(at_min);

    const SourceMark mark = value_mark(c);
    for (const std::string& over : {format_duration(b.max + 1ms), std::string("1000000d"),
                                    std::string("99999999999999999999d")}) {
      const LoadResult r = load_with(c, over);
      const ConfigError e = error_at(r, c.path);
      EXPECT_EQ(e.line, mark.line) << over;
      EXPECT_EQ(e.column, mark.column) << over;
      EXPECT_EQ(e.message, fmt::format("must be at most {}, got {}", format_duration(b.max), over));
    }
    if (b.min > 0ms) {
      const LoadResult r = load_with(c, format_duration(b.min - 1ms));
      EXPECT_THAT(error_at(r, c.path).message,
                  HasSubstr("must be at least " + format_duration(b.min)));
    }
  }
}

TEST_F(ConfigTest, EveryDurationBoundHasACase) {
  // A bound added to config/bounds.hpp needs a case above (and a row in the docs, below).
  std::set<std::string_view> tested;
  for (const auto& [c, b] : duration_cases()) tested.insert(b.key);
  for (const DurationBounds& b : bounds::kAllDurations)
    EXPECT_TRUE(tested.contains(b.key)) << b.key;
}

TEST_F(ConfigTest, EveryIntegerBoundIsChecked) {
  using namespace bounds;
  const std::pair<Case, IntegerBounds> cases[] = {
      {{"targets:\n  - {{name: a, dsn: host=x, region: r}}\nhttp: {{max_connections: {}}}\n",
        "http.max_connections"},
       kHttpMaxConnections},
      {{"targets:\n  - {{name: a, dsn: host=x, region: r}}\nhttp: {{max_request_bytes: {}}}\n",
        "http.max_request_bytes"},
       kHttpMaxRequestBytes},
      {{"targets:\n  - {{name: a, dsn: host=x, region: r, max_connections: {}}}\n",
        "targets[0].max_connections"},
       kTargetMaxConnections},
  };
  const std::string count_cap = with_queue("    count_cap: {}\n");
  std::vector<std::pair<Case, IntegerBounds>> all(std::begin(cases), std::end(cases));
  all.push_back({{count_cap.c_str(), "queues[0].count_cap"}, kCountCap});
  const std::string max_bytes = file("providers: [{{name: p, url: 'http://x/', max_bytes: {}}}]\n");
  all.push_back({{max_bytes.c_str(), "providers[0].max_bytes"}, kProviderMaxBytes});
  for (const auto& [c, b] : all) {
    SCOPED_TRACE(c.path);
    EXPECT_TRUE(load_with(c, std::to_string(b.max)).ok());
    EXPECT_TRUE(load_with(c, std::to_string(b.min)).ok());
    const std::string range = fmt::format("must be between {} and {}", b.min, b.max);
    for (const std::string& bad : {std::to_string(b.max + 1), std::to_string(b.min - 1),
                                   std::string("-1"), std::string("99999999999999999999999")}) {
      const ConfigError e = error_at(load_with(c, bad), c.path);
      EXPECT_EQ(e.message, range + ", got " + bad);
      EXPECT_EQ(e.line, value_mark(c).line);
      EXPECT_EQ(e.column, value_mark(c).column);
    }
  }
  EXPECT_EQ(all.size() + 1, bounds::kAllIntegers.size()) << "kGlobBytes is tested below";
}

TEST_F(ConfigTest, GlobsAreBoundedInLength) {
  const std::pair<const char*, const char*> cases[] = {
      {"rules.overrides[0].queues", "{{queues: [{}], queue_latency: {{max_age: 1h}}}}"},
      {"rules.overrides[0].sources", "{{queues: [a], sources: [{}], queue_latency: {{}}}}"},
  };
  const std::string longest(static_cast<std::size_t>(bounds::kGlobBytes.max), 'q');
  for (const auto& [path, entry] : cases) {
    SCOPED_TRACE(path);
    const std::string tmpl =
        std::string(kOneTarget) + "rules:\n  overrides:\n    - " + entry + "\n";
    const LoadResult ok = load(fmt::format(fmt::runtime(tmpl), longest));
    EXPECT_TRUE(ok.ok()) << all_errors(ok);
    const ConfigError e = error_at(load(fmt::format(fmt::runtime(tmpl), longest + "*")), path);
    EXPECT_EQ(e.line, 7);
    EXPECT_THAT(e.message, HasSubstr("is 257 bytes long; a glob may have at most 256"));
  }
}

// docs/configuration.md has one row per bound: | `key` | min | max |, with these exact values.
TEST(BoundsDocs, EveryBoundIsDocumented) {
  std::ifstream in(std::string(QW_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  for (const DurationBounds& b : bounds::kAllDurations) {
    const std::string row =
        fmt::format("| `{}` | {} | {} |", b.key, format_duration(b.min), format_duration(b.max));
    EXPECT_NE(doc.find(row), std::string::npos) << "missing row: " << row;
  }
  for (const IntegerBounds& b : bounds::kAllIntegers) {
    const std::string row = fmt::format("| `{}` | {} | {} |", b.key, b.min, b.max);
    EXPECT_NE(doc.find(row), std::string::npos) << "missing row: " << row;
  }
}

}  // namespace
}  // namespace qw::config::test
