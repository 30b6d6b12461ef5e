// docs/configuration.md shows how each job system maps onto a queue source. Operators copy those
// snippets, so each must load: this extracts every ```yaml block that is a queue entry and loads
// it under a one-target config.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

std::vector<std::string> queue_snippets(const std::string& markdown) {
  std::vector<std::string> snippets;
  std::istringstream in(markdown);
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      if (block.starts_with("- name:")) snippets.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return snippets;
}

TEST_F(ConfigTest, EveryJobSystemMappingInTheDocsLoads) {
  std::ifstream file(std::string(QW_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(file) << "docs/configuration.md not found";
  std::stringstream text;
  text << file.rdbuf();

  const std::vector<std::string> snippets = queue_snippets(text.str());
  // River, Oban, pg-boss, graphile-worker, GoodJob, Que, Solid Queue, Delayed::Job, Procrastinate.
  EXPECT_EQ(snippets.size(), 9u);
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
