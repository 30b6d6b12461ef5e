#pragma once
// The subcommands' bodies. main() only parses the command line and dispatches here.
#include "daemon/cli.hpp"

namespace qw::daemon {

int check_config(const CliOptions& options);
int run_daemon(const CliOptions& options);
int run_once(const CliOptions& options);

}  // namespace qw::daemon
