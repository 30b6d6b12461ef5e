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
  // River, Oban, pg-boss (mapping, preset, version 9), graphile-worker (whole table, preset, per
  // task), GoodJob, Que, Solid Queue, Delayed::Job, Procrastinate.
  EXPECT_EQ(snippets.size(), 13u);
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
