// Fuzzes the backtest's series reader (daemon::parse_series): an operator's CSV export, of any
// shape, is either read into rows or rejected with "FILE:LINE: what is wrong", never a crash.
// It is read twice, in UTC and in Europe/Berlin (naive timestamps then cross DST changes).
//
// What is accepted keeps the documented promises: rows strictly in time order, completions
// finite and non-negative, ready counts non-negative.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/backtest.hpp"
#include "rules/zoneinfo_file.hpp"

namespace {

void check(const qw::daemon::SeriesParse& parsed) {
  if (!parsed.error.empty()) {
    if (!parsed.rows.empty()) __builtin_trap();
    return;
  }
  if (parsed.rows.empty()) __builtin_trap();
  for (std::size_t i = 0; i < parsed.rows.size(); ++i) {
    const qw::daemon::SeriesRow& row = parsed.rows[i];
    if (!std::isfinite(row.completions) || row.completions < 0) __builtin_trap();
    if (row.ready && *row.ready < 0) __builtin_trap();
    if (i > 0 && !(parsed.rows[i - 1].at < row.at)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const qw::rules::Timezone berlin = [] {
    qw::rules::TzifParse zone = qw::rules::load_zoneinfo("Europe/Berlin");
    if (!zone.zone) __builtin_trap();  // tzdata is installed by scripts/install-deps
    return *zone.zone;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  check(qw::daemon::parse_series(text, "fuzz.csv", qw::rules::Timezone()));
  check(qw::daemon::parse_series(text, "fuzz.csv", berlin));
  return 0;
}
