#pragma once
// Command-line parsing: subcommands and their flags, nothing else. Pure, so it is unit-tested.
#include <optional>
#include <string>
#include <vector>

namespace qw::daemon {

enum class Command { run, check_config, once, backtest, config_reference, help, version };
enum class OutputFormat { table, json };

struct CliOptions {
  Command command = Command::help;
  std::string config_path;  // empty only for backtest: the built-in defaults
  OutputFormat format = OutputFormat::table;
  std::optional<std::string> log_level;   // overrides the config's log_level
  std::optional<std::string> log_format;  // overrides the config's log_format (run only)
  // run, check-config: TLS and basic auth for the HTTP endpoint, in exporter-toolkit's format.
  std::optional<std::string> web_config_file;
  // check-config: prove every queue source against its live database (preflight), and/or print
  // each source's mapping with its preset expanded.
  bool connect = false;
  bool explain = false;
  // backtest: the queue whose thresholds apply, the CSV to replay, optionally its source.
  std::string queue;
  std::string series_path;
  std::optional<std::string> source;
};

struct CliParse {
  std::optional<CliOptions> options;
  std::string error;  // set when options is empty: print it with the usage, exit 2
};

CliParse parse_cli(const std::vector<std::string>& args);  // args without argv[0]
const char* usage_text();

// Exit codes, documented in --help: scripts and systemd rely on them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure, or `once` could not measure something
inline constexpr int kExitUsage = 2;    // bad command line or invalid config
// check-config --connect: 0 = every source proven, 1 = proven with warnings only, 2 = an error
// (an invalid config, a target it cannot reach, a mapping that cannot work).
inline constexpr int kExitWarnings = 1;
inline constexpr int kExitErrors = 2;

}  // namespace qw::daemon
