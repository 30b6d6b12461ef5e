#include "rules/progress_state.hpp"

#include <algorithm>
#include <cmath>

namespace qw::rules {

void ProgressState::record(Time at, bool waiting_before, bool progressed, std::int64_t ready,
                           std::optional<double> oldest_ready_age_seconds,
                           std::optional<Time> drained_at) {
  if (drained_at && (!last_ok_at_ || *last_ok_at_ < *drained_at)) {
    last_ok_at_ = drained_at;
    ready_at_ok_ = 0;
    oldest_age_at_ok_.reset();
    silent_rounds_ = 0;
  }
  const std::int64_t minute = at.time_since_epoch().count() / 60000;
  if (waiting_before) {  // else nothing could have moved: no trial
    Minute& m = minutes_[static_cast<std::size_t>(((minute % 60) + 60) % 60)];
    if (m.minute != minute) m = {minute, 0, 0};
    ++m.rounds;
    if (progressed) ++m.progressed;
  }
  progress_seen_ = progress_seen_ || progressed;
  if (!progressed && ready > 0) {
    if (waiting_before) ++silent_rounds_;
    return;
  }
  last_ok_at_ = at;
  ready_at_ok_ = ready;
  oldest_age_at_ok_ = oldest_ready_age_seconds;
  silent_rounds_ = 0;
  trials_ = successes_ = 0;
  for (const Minute& x : minutes_) {
    if (x.minute <= minute - 60 || x.minute > minute) continue;
    trials_ += x.rounds;
    successes_ += x.progressed;
  }
}

double wilson_lower_bound(std::int64_t successes, std::int64_t trials) {
  if (trials <= 0) return 0;
  constexpr double z = 1.6449;  // one-sided 95%
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double centre = p + z2 / (2 * n);
  const double spread = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return std::max(0.0, (centre - spread) / (1 + z2 / n));
}

}  // namespace qw::rules
