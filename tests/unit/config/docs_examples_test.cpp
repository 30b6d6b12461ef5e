// docs/configuration.md shows how each job system maps onto a queue source. Operators copy those
// snippets, so each must load: this extracts every ```yaml block that is a queue entry and loads
// it under a one-target config.
#include <gtest/gtest.h>

#include <sstream>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

TEST_F(ConfigTest, EveryJobSystemMappingInTheDocsLoads) {
  const std::vector<std::string> snippets = yaml_snippets("docs/configuration.md", "- name:");
  // At least: River (mapping, preset), Oban, pg-boss (mapping, preset, version 9), graphile-worker
  // (whole table, preset, per task), GoodJob, Que, Solid Queue, Delayed::Job, Procrastinate. A
  // floor, not a count: presets keep adding blocks, and the extraction must only not lose any.
  EXPECT_GE(snippets.size(), 14u);
  for (const std::string& snippet : snippets) {
    std::string yaml = std::string(kOneTarget) + "queues:\n";
    std::istringstream lines(snippet);
    for (std::string line; std::getline(lines, line);) yaml += "  " + line + "\n";
    const LoadResult r = load(yaml);
    EXPECT_TRUE(r.ok()) << snippet << "\n" << all_errors(r);
  }
}

}  // namespace
}  // namespace qw::config::test
