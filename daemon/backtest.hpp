#pragma once
// `queuewatch backtest`: replays a CSV of a queue's history through exactly the rules engine and
// alert lifecycle the daemon runs, on a simulated clock, and prints every alert transition.
// Operators tune thresholds on their own history with it before paging is turned on.
#include <optional>
#include <string>
#include <vector>

#include "daemon/cli.hpp"
#include "rules/observation.hpp"
#include "rules/timezone.hpp"

namespace qw::daemon {

struct SeriesRow {
  rules::Time at;
  double completions = 0;
  std::optional<std::int64_t> ready;
};

struct SeriesParse {
  std::vector<SeriesRow> rows;
  std::string error;  // "FILE:LINE: what is wrong": set when the series is rejected
};

// `timestamp,completions[,ready]`, header optional. Timestamps are "YYYY-MM-DD HH:MM:SS" or ISO
// 8601 ("T", fractional seconds, "Z" or "+01:00"); naive ones are local time in `tz`.
// Completions are non-negative reals (NAB's series are not integers); rows must be in order.
SeriesParse parse_series(const std::string& text, const std::string& file_name,
                         const rules::Timezone& tz);

int run_backtest(const CliOptions& options);

}  // namespace qw::daemon
