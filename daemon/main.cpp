// queuewatch: parse the command line and dispatch. Everything else lives in app.cpp.
#include <iostream>
#include <string>
#include <vector>

#include "config/reference.hpp"
#include "daemon/app.hpp"
#include "daemon/backtest.hpp"
#include "daemon/cli.hpp"
#include "queuewatch/version.hpp"

int main(int argc, char** argv) {
  using namespace qw::daemon;
  const auto parsed = parse_cli(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.options) {
    std::cerr << "queuewatch: " << parsed.error << "\n\n" << usage_text();
    return kExitUsage;
  }
  switch (parsed.options->command) {
    case Command::help:
      std::cout << usage_text();
      return kExitOk;
    case Command::version:
      std::cout << "queuewatch " << qw::kVersion << "\n";
      return kExitOk;
    case Command::config_reference:
      std::cout << qw::config::reference_markdown();
      return kExitOk;
    case Command::check_config:
      return check_config(*parsed.options);
    case Command::run:
      return run_daemon(*parsed.options);
    case Command::once:
      return run_once(*parsed.options);
    case Command::backtest:
      return run_backtest(*parsed.options);
  }
  return kExitUsage;
}
