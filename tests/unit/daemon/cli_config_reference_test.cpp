// `queuewatch config-reference` takes no file and no flags: it prints what any file may say.
#include <gtest/gtest.h>

#include "daemon/cli.hpp"

namespace qw::daemon {
namespace {

TEST(CliConfigReference, TakesNoArguments) {
  const CliParse p = parse_cli({"config-reference"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->command, Command::config_reference);
  EXPECT_FALSE(parse_cli({"config-reference", "queuewatch.yaml"}).options);
  EXPECT_FALSE(parse_cli({"config-reference", "--format", "json"}).options);
}

TEST(CliConfigReference, TheHelpNamesIt) {
  EXPECT_NE(std::string(usage_text()).find("queuewatch config-reference"), std::string::npos);
}

}  // namespace
}  // namespace qw::daemon
