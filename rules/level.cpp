#include "rules/level.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "rules/baseline.hpp"

namespace qw::rules {
namespace {
constexpr int kLookbackHours = 7 * 24;
constexpr int kLevelHours = 24;  // the recent level: a day of normal hours within two days ...
// ... before the last six (the longest window a rule judges, the minute history): a stall is
// normal hours until an alert holds, and counted in the level it would lower its own
// expectation as it goes on, most on the slow queues whose halt needs the longest windows.
constexpr int kLevelLagHours = 6;
constexpr double kMinBaselineCount = 3;  // an hour expecting fewer jobs says nothing of level
constexpr double kMinNoise = 0.1;        // no queue is steadier than this, whatever a week says
// The lower tail's quantile and its normal z-score: the 5th percentile is 1.645 standard
// deviations under the median of a normal distribution. A week holds ~8 hours below it, enough
// not to hang on one odd hour (that is the tail of an outage's held-out hours: excluded above).
constexpr double kTailQuantile = 0.05;
constexpr double kTailZ = 1.645;

double median_of(std::vector<double>& v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// Robust: the median absolute deviation, so the odd spike or dip of the week does not widen
// the normal band (1.4826 makes it a standard deviation for a normal distribution).
double robust_sd(const std::vector<double>& logs, double centre) {
  std::vector<double> dev;
  dev.reserve(logs.size());
  for (const double x : logs) dev.push_back(std::abs(x - centre));
  return 1.4826 * median_of(dev);
}

// A spread on the log scale less the count's own variance there, at least kMinNoise.
double beyond_count(double sd, double count_var) {
  return std::max(kMinNoise, std::sqrt(std::max(0.0, sd * sd - count_var)));
}
}  // namespace

double LevelStats::noise_for(std::int64_t window_s) const {
  if (window_s <= 3600) return noise;
  if (window_s >= 3 * 3600) return noise_3h;
  return noise +
         (noise_3h - noise) * std::log(static_cast<double>(window_s) / 3600.0) / std::log(3.0);
}

LevelStats level_stats(const HourRing& hours, std::int64_t current_local_hour, double dispersion) {
  LevelStats out;
  std::vector<double> logs, poisson, logs_3h, poisson_3h;
  double seen = 0, expected = 0;
  int level_hours = 0;
  // The last three usable hours (newest first), for the three-hour sums; a skipped hour breaks
  // the run, so a sum is always of three consecutive hours.
  std::array<double, 3> run_count{}, run_base{};
  int run = 0;
  // Every measured hour of the day before the last six, alert-held ones too: the level when
  // alerts held through most of the last two days (below).
  double seen_day = 0, expected_day = 0;
  int day_hours = 0;
  for (int k = 1; k <= kLookbackHours; ++k) {
    const std::int64_t h = current_local_hour - k;
    const HourSlot* s = hours.read(h);
    const bool measured = s != nullptr && s->measured_s >= kMinMeasuredPerHour;
    const bool in_level_day = k > kLevelLagHours && k <= kLevelLagHours + kLevelHours;
    // The baseline an hour had: for every normal hour, and for an alert-held one of that day.
    const auto rate =
        measured && (!s->excluded || in_level_day) ? baseline_rate(hours, h, 0) : std::nullopt;
    const double base = rate ? rate->per_second * s->measured_s : 0;
    if (in_level_day && base >= kMinBaselineCount) {
      seen_day += s->count;
      expected_day += base;
      ++day_hours;
    }
    if (!rate || s->excluded) {
      run = 0;
      continue;
    }
    run_count[static_cast<std::size_t>(k % 3)] = s->count;
    run_base[static_cast<std::size_t>(k % 3)] = base;
    if (++run >= 3) {
      const double count_3h = run_count[0] + run_count[1] + run_count[2];
      const double base_3h = run_base[0] + run_base[1] + run_base[2];
      if (base_3h >= kMinBaselineCount) {
        logs_3h.push_back(std::log((count_3h + 0.5) / (base_3h + 0.5)));
        poisson_3h.push_back(dispersion / base_3h);
      }
    }
    if (base < kMinBaselineCount) continue;
    logs.push_back(std::log((s->count + 0.5) / (base + 0.5)));
    poisson.push_back(dispersion / base);  // the count's own variance on the log scale
    if (k > kLevelLagHours && k <= kLevelLagHours + 2 * kLevelHours && level_hours < kLevelHours) {
      seen += s->count;
      expected += base;
      ++level_hours;
    }
  }
  out.hours = static_cast<int>(logs.size());
  if (level_hours >= kLevelHours / 2 && expected > 0) {
    out.level = seen / expected;
  } else if (day_hours >= kLevelHours / 2 && expected_day > 0) {
    // Alerts held through most of the last two days, so their hours taught no baseline and no
    // level: a queue whose traffic stepped down for good (a customer gone, a feature retired)
    // would hold its below_baseline warning until its old hours left the baseline (a week on
    // the daily median, three on the weekly), every incident in them hidden under it. Past two days
    // the held hours are the level. A stall still pages: the level lowers an expectation to a
    // quarter at most.
    out.level = seen_day / expected_day;
  }
  if (out.hours < kMinNoiseHours) return out;
  const double centre = median_of(logs);
  const double sd = robust_sd(logs, centre);
  const double count_var = median_of(poisson);
  out.noise = beyond_count(sd, count_var);
  out.noise_3h = out.noise;
  if (static_cast<int>(logs_3h.size()) >= kMinNoiseHours) {
    out.noise_3h = std::min(
        out.noise, beyond_count(robust_sd(logs_3h, median_of(logs_3h)), median_of(poisson_3h)));
  }
  // The lower tail: the hours of the week furthest under their baseline.
  const auto tail_at =
      logs.begin() + static_cast<std::ptrdiff_t>(kTailQuantile * static_cast<double>(logs.size()));
  std::nth_element(logs.begin(), tail_at, logs.end());
  const double tail_sd = std::max(sd, (centre - *tail_at) / kTailZ);
  out.tail_noise = beyond_count(tail_sd, count_var);
  return out;
}

}  // namespace qw::rules
