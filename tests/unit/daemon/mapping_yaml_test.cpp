// `check-config --explain` prints YAML a user can paste: each source, printed and loaded back,
// is the same source (presets expanded, defaults filled in, odd names quoted).
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config/presets.hpp"
#include "daemon/mapping_yaml.hpp"

namespace qw::daemon {
namespace {

constexpr const char* kTargets = R"(targets:
  - name: db
    region: test
    dsn: "host=127.0.0.1 dbname=app"
)";

config::Config load(const std::string& yaml) {
  auto r = config::load_string(yaml);
  std::string errors;
  for (const auto& e : r.errors) errors += e.to_string() + "\n";
  EXPECT_TRUE(r.ok()) << errors << yaml;
  return r.config;
}

TEST(MappingYaml, EverySourcePrintedLoadsBackAsTheSameSource) {
  const auto original = load(std::string(kTargets) + R"(queues:
  - name: boss
    target: db
    preset: pg-boss
    schema: jobs
  - name: graphile
    target: db
    preset: graphile-worker
    settle_delay: 2s
  - name: odd
    target: db
    table: '"My Schema"."Jobs"'
    id_column: job_id
    queue_column: queue
    queue_names: [default, "a,b", "yes"]
    state: {column: state, ready: ["null", ready], running: [running], failed: [dead]}
    timestamps: {type: timestamp_utc, enqueued: inserted_at, finished: done_at, heartbeat: beat}
    completed_rows: deleted
    count_cap: 1000
    interval: 1m30s
    query_timeout: 2s
    warm_start: false
)");
  ASSERT_EQ(original.queues.size(), 3u);
  const std::optional<std::string> presets[] = {"pg-boss", "graphile-worker", std::nullopt};
  std::string printed;
  for (std::size_t i = 0; i < 3; ++i) printed += mapping_yaml(original.queues[i], presets[i]);
  EXPECT_NE(printed.find("# preset: pg-boss, checked against " +
                         std::string(config::find_preset("pg-boss")->checked_against)),
            std::string::npos)
      << printed;
  EXPECT_NE(printed.find("table: jobs.job"), std::string::npos) << printed;

  const auto again = load(std::string(kTargets) + "queues:\n" + printed);
  ASSERT_EQ(again.queues.size(), 3u) << printed;
  for (std::size_t i = 0; i < 3; ++i) {
    auto a = original.queues[i];
    auto b = again.queues[i];
    a.mark = b.mark = {};
    EXPECT_EQ(a, b) << "source " << a.name << " printed as:\n" << printed;
  }
}

}  // namespace
}  // namespace qw::daemon
