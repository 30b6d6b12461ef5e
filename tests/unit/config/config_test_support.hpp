#pragma once
// Shared by the config tests: a fake environment (EnvLookup is a plain function pointer, so the
// variables live in a static map) and helpers to find the error a test expects.
#include <gtest/gtest.h>

#include <fstream>

#include <map>
#include <optional>
#include <string>

#include "config/loader.hpp"

namespace qw::config::test {

inline std::map<std::string, std::string>& fake_vars() {
  static std::map<std::string, std::string> vars;
  return vars;
}

inline std::optional<std::string> fake_env(const std::string& name) {
  const auto it = fake_vars().find(name);
  if (it == fake_vars().end()) return std::nullopt;
  return it->second;
}

// Each test starts with an empty fake environment.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_vars().clear(); }
  void TearDown() override { fake_vars().clear(); }

  static LoadResult load(const std::string& yaml) {
    return load_string(yaml, "test.yaml", &fake_env);
  }
};

inline std::string all_errors(const LoadResult& r) {
  std::string out;
  for (const ConfigError& e : r.errors) out += e.to_string() + "\n";
  return out;
}

// The single error reported at `path`; fails the test when there is none or several.
inline ConfigError error_at(const LoadResult& r, const std::string& path) {
  const ConfigError* found = nullptr;
  int count = 0;
  for (const ConfigError& e : r.errors) {
    if (e.path == path) {
      found = &e;
      ++count;
    }
  }
  EXPECT_EQ(count, 1) << "errors at " << path << " in:\n" << all_errors(r);
  return found != nullptr ? *found : ConfigError{};
}

// A valid target section, for tests about other parts of the file (lines 1-4).
inline const char* kOneTarget =
    "targets:\n"
    "  - name: primary\n"
    "    dsn: host=localhost dbname=app\n"
    "    region: eu-west-1\n";

// The ```yaml blocks of a docs page (read from the source tree) that start with `prefix`: the
// snippets operators copy, which tests load as written.
inline std::vector<std::string> yaml_snippets(const std::string& doc, const std::string& prefix) {
  std::ifstream file(std::string(QW_SOURCE_DIR) + "/" + doc);
  EXPECT_TRUE(file) << doc << " not found";
  std::vector<std::string> snippets;
  std::string line, block;
  bool inside = false;
  while (std::getline(file, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      if (block.starts_with(prefix)) snippets.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return snippets;
}

}  // namespace qw::config::test
