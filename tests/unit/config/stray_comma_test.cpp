// A document that starts with ',' (found by tests/fuzz/config_loader.cpp): yaml-cpp 0.7's parser
// then hands back an empty document at the same place forever, so the loader used to hang in
// YAML::LoadAll, allocating, in `check-config` and in a SIGHUP's reload on the event loop. Were
// that back, these tests would hang until ctest's timeout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace qw::config {
namespace {

using ::testing::HasSubstr;

std::optional<std::string> no_env(const std::string&) {
  return std::nullopt;
}

TEST(StrayComma, IsASyntaxErrorAtItsLine) {
  const LoadResult r = load_string("# queuewatch\n, and then some\n", "c.yaml", &no_env);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[0].column, 1);
  EXPECT_THAT(r.errors[0].message, HasSubstr("YAML syntax error"));
}

TEST(StrayComma, AfterAFirstDocumentIsReportedAsASecondDocument) {
  const LoadResult r = load_string("state_dir: /tmp/x\n---\n,\n", "c.yaml", &no_env);
  ASSERT_FALSE(r.ok());
  bool several = false;
  for (const ConfigError& e : r.errors) {
    several = several || e.message.find("several YAML documents") != std::string::npos;
  }
  EXPECT_TRUE(several);
}

TEST(SeveralDocuments, TheSecondIsNamedAtItsStart) {
  const LoadResult r =
      load_string("state_dir: /tmp/x\n---\nstate_dir: /tmp/y\n", "c.yaml", &no_env);
  bool several = false;
  for (const ConfigError& e : r.errors) {
    several = several || e.message.find("several YAML documents") != std::string::npos;
  }
  EXPECT_TRUE(several);
}

}  // namespace
}  // namespace qw::config
