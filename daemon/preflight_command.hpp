#pragma once
// `queuewatch check-config --connect` and `--explain`: after the file is valid, prove every
// queue source against its live database (probes/postgres_queue/preflight.hpp, the same checks
// the daemon runs before a source's first round), and/or print each source's expanded mapping.
#include "config/config.hpp"
#include "daemon/cli.hpp"

namespace qw::daemon {

// Prints each source's mapping as YAML (--explain). Exit code kExitOk.
int explain_mappings(const CliOptions& options, const config::Config& config);

// Connects to every target and checks every source; prints findings (table or JSON). Returns
// kExitOk, kExitWarnings or kExitErrors.
int preflight_sources(const CliOptions& options, const config::Config& config);

}  // namespace qw::daemon
