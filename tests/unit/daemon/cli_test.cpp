#include <gtest/gtest.h>

#include "daemon/cli.hpp"
#include "daemon/scheduler.hpp"

namespace qw::daemon {
namespace {

TEST(Cli, LogFormatIsForRunAndOneOfThree) {
  auto p = parse_cli({"run", "--config", "x.yaml", "--log-format", "json"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->log_format, "json");
  p = parse_cli({"run", "--config", "x.yaml", "--log-format=logfmt"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->log_format, "logfmt");
  EXPECT_FALSE(parse_cli({"run", "--config", "x.yaml"}).options->log_format);
  p = parse_cli({"run", "--config", "x.yaml", "--log-format", "xml"});
  EXPECT_FALSE(p.options);
  EXPECT_EQ(p.error, "--log-format must be text, logfmt or json, not 'xml'");
  EXPECT_FALSE(parse_cli({"once", "--config", "x.yaml", "--log-format", "json"}).options);
}

TEST(Cli, ParsesSubcommandsAndFlags) {
  auto p = parse_cli({"run", "--config", "/etc/qw.yaml", "--log-level=debug"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->command, Command::run);
  EXPECT_EQ(p.options->config_path, "/etc/qw.yaml");
  EXPECT_EQ(p.options->log_level, "debug");

  p = parse_cli({"check-config", "x.yaml"});
  ASSERT_TRUE(p.options);
  EXPECT_EQ(p.options->command, Command::check_config);
  EXPECT_EQ(p.options->config_path, "x.yaml");

  p = parse_cli({"check-config", "--connect", "x.yaml", "--format=json", "--explain"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_TRUE(p.options->connect);
  EXPECT_TRUE(p.options->explain);
  EXPECT_EQ(p.options->format, OutputFormat::json);
  EXPECT_FALSE(parse_cli({"check-config", "x.yaml"}).options->connect);

  p = parse_cli({"once", "--config", "x.yaml", "--format", "json"});
  ASSERT_TRUE(p.options);
  EXPECT_EQ(p.options->format, OutputFormat::json);
}

TEST(Cli, RejectsWhatItDoesNotKnow) {
  EXPECT_FALSE(parse_cli({}).options);
  EXPECT_FALSE(parse_cli({"start"}).options);
  EXPECT_FALSE(parse_cli({"run"}).options);  // no --config
  EXPECT_FALSE(parse_cli({"run", "--config", "a", "--bogus"}).options);
  EXPECT_FALSE(parse_cli({"once", "--config", "a", "--format", "xml"}).options);
  EXPECT_FALSE(parse_cli({"run", "--config", "a", "--format", "json"}).options);
  EXPECT_FALSE(parse_cli({"once", "--config", "a", "--connect"}).options);
  EXPECT_NE(parse_cli({"start"}).error.find("unknown command 'start'"), std::string::npos);
}

TEST(Cli, HelpAndVersionNeedNothingElse) {
  EXPECT_EQ(parse_cli({"--help"}).options->command, Command::help);
  EXPECT_EQ(parse_cli({"run", "--help"}).options->command, Command::help);
  EXPECT_EQ(parse_cli({"--version"}).options->command, Command::version);
}

TEST(SchedulerBackoff, DoublesFromTheIntervalUpToTheCap) {
  using std::chrono::milliseconds;
  const milliseconds interval(15000), cap(120000);
  EXPECT_EQ(backoff_delay(interval, cap, 0), milliseconds(0));
  EXPECT_EQ(backoff_delay(interval, cap, 1), milliseconds(15000));
  EXPECT_EQ(backoff_delay(interval, cap, 2), milliseconds(30000));
  EXPECT_EQ(backoff_delay(interval, cap, 3), milliseconds(60000));
  EXPECT_EQ(backoff_delay(interval, cap, 4), milliseconds(120000));
  EXPECT_EQ(backoff_delay(interval, cap, 40), milliseconds(120000));
}

TEST(SchedulerBackoff, OnlyOverloadBacksOff) {
  EXPECT_TRUE(is_overload(probes::FailureReason::query_timeout));
  EXPECT_TRUE(is_overload(probes::FailureReason::too_many_connections));
  // A refused connection costs the server nothing: the pool's reconnect backoff handles it.
  EXPECT_FALSE(is_overload(probes::FailureReason::connection_refused));
  EXPECT_FALSE(is_overload(probes::FailureReason::undefined_table));
}

}  // namespace
}  // namespace qw::daemon
