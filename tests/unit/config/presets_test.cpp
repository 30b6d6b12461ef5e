// `preset:` expands to exactly the mapping docs/configuration.md shows for that job system (the
// block tests/scripts/*_real.sh proves against the real library), so the three cannot disagree.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/presets.hpp"
#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

// The ```yaml block after the line of docs/configuration.md that contains `marker`.
std::string docs_block(const std::string& marker) {
  std::ifstream file(std::string(QW_SOURCE_DIR) + "/docs/configuration.md");
  std::string line, block;
  bool found = false, inside = false;
  while (std::getline(file, line)) {
    if (!found) {
      found = line.find(marker) != std::string::npos;
    } else if (!inside) {
      inside = line == "```yaml";
    } else if (line == "```") {
      return block;
    } else {
      block += "  " + line + "\n";
    }
  }
  ADD_FAILURE() << "no yaml block after \"" << marker << "\" in docs/configuration.md";
  return block;
}

QueueConfig only_queue(const LoadResult& r) {
  EXPECT_TRUE(r.ok()) << all_errors(r);
  if (!r.ok() || r.config.queues.size() != 1) return {};
  QueueConfig q = r.config.queues[0];
  q.mark = {};  // where it was written, not what it says
  return q;
}

struct DocsBlock {
  std::string_view preset;
  std::string marker;
};

TEST_F(ConfigTest, EveryPresetIsTheMappingTheDocsShowAndTheRealTestRuns) {
  const DocsBlock blocks[] = {
      {"pg-boss", "tested by tests/scripts/pgboss_real.sh:"},
      {"graphile-worker", "tested by tests/scripts/graphile_worker_real.sh (whole table)"},
      {"river", "tested by tests/scripts/fixture_river.sh:"},
      {"oban", "tested by tests/scripts/fixture_oban.sh:"},
      {"procrastinate", "tested by tests/scripts/fixture_procrastinate.sh:"},
      {"good_job", "tested by tests/scripts/fixture_good_job.sh:"},
      {"solid_queue", "tested by tests/scripts/fixture_solid_queue.sh:"},
      {"delayed_job", "tested by tests/scripts/fixture_delayed_job.sh:"},
      {"que", "tested by tests/scripts/fixture_que.sh:"},
  };
  ASSERT_EQ(std::size(blocks), presets().size()) << "a preset without its docs block";
  // rdbuf(), not istreambuf_iterator: g++ 12 at -O2 reports a false -Wnull-dereference in the
  // latter (Release builds of the tests failed -Werror).
  std::stringstream docs_text;
  docs_text << std::ifstream(std::string(QW_SOURCE_DIR) + "/docs/configuration.md").rdbuf();
  const std::string docs = docs_text.str();
  for (const DocsBlock& b : blocks) {
    SCOPED_TRACE(std::string(b.preset));
    const Preset* preset = find_preset(b.preset);
    ASSERT_NE(preset, nullptr);
    EXPECT_NE(docs.find(preset->checked_against), std::string::npos)
        << "the docs do not name the version the preset was checked against";
    QueueConfig written =
        only_queue(load(std::string(kOneTarget) + "queues:\n" + docs_block(b.marker)));
    QueueConfig expanded =
        only_queue(load(std::string(kOneTarget) + "queues:\n  - name: " + written.name +
                        "\n    target: primary\n    preset: " + std::string(b.preset) + "\n"));
    EXPECT_EQ(expanded, written);
    EXPECT_EQ(expanded.schema, preset->default_schema);
  }
}

TEST_F(ConfigTest, APresetsKeysGiveWayToTheSources) {
  const QueueConfig q =
      only_queue(load(std::string(kOneTarget) + "queues:\n"
                                                "  - name: jobs\n"
                                                "    target: primary\n"
                                                "    preset: pg-boss\n"
                                                "    schema: Boss\n"
                                                "    settle_delay: 30s\n"
                                                "    state:\n"
                                                "      column: state\n"
                                                "      ready: [created]\n"
                                                "      running: [active]\n"
                                                "      completed: [completed]\n"));
  EXPECT_EQ(q.schema, "Boss");  // an identifier as written: the library quotes it too
  EXPECT_EQ(q.table, "job");
  EXPECT_EQ(q.settle_delay, Duration{30000});
  EXPECT_EQ(q.state.ready, std::vector<std::string>{"created"});
  EXPECT_TRUE(q.state.failed.empty());  // the source's state replaces the preset's whole
  EXPECT_EQ(q.timestamps.finished, "completed_on");
}

TEST_F(ConfigTest, AnUnknownPresetIsNamedWithTheNearestOne) {
  const LoadResult r = load(std::string(kOneTarget) +
                            "queues:\n  - name: jobs\n    target: primary\n    preset: pgboss\n");
  EXPECT_NE(error_at(r, "queues[0].preset").message.find("did you mean \"pg-boss\"?"),
            std::string::npos)
      << all_errors(r);
}

TEST_F(ConfigTest, SchemaNeedsAPresetAndNoTable) {
  const LoadResult alone =
      load(std::string(kOneTarget) +
           "queues:\n  - name: jobs\n    target: primary\n    table: jobs\n"
           "    schema: app\n    state: {ready_when: a, running_when: b, "
           "completed_when: c, failed_when: d}\n    completed_rows: deleted\n");
  EXPECT_NE(error_at(alone, "queues[0].schema").message.find("needs preset"), std::string::npos);
  const LoadResult both = load(std::string(kOneTarget) +
                               "queues:\n  - name: jobs\n    target: primary\n    preset: pg-boss\n"
                               "    table: app.job\n    schema: app\n");
  EXPECT_NE(error_at(both, "queues[0].schema").message.find("with table"), std::string::npos);
}

}  // namespace
}  // namespace qw::config::test
