#pragma once
// How a queue's hours compare with its own baseline: its recent level (a trend the seasonal
// median has not caught up with yet) and its level noise (how far a normal hour strays from the
// baseline). Both are learnt from the queue's last week of hours, each hour judged against the
// baseline it had then (hours before it only), so no parameter is tuned to one kind of traffic:
// a smooth API queue learns a noise of ~0.2, a bursty tweet-like one ~0.6 (docs/rules.md).
#include <cstdint>

#include "rules/history.hpp"

namespace qw::rules {

// Fewer usable hours in the last week than this: the noises keep their cautious defaults.
inline constexpr int kMinNoiseHours = 24;

struct LevelStats {
  // Standard deviation of ln(hour's count / its baseline) beyond the count's own noise. Until
  // a day of hours is known, a cautious guess: bursty traffic is the common case.
  double noise = 0.6;
  // The same spread read off the lower tail alone: the wider of `noise` and (median - 5th
  // percentile) / 1.645, the count's noise removed. A bursty queue's slow hours (weekend
  // evenings, a slow trend) reach further below the median than its MAD says, and a drop is
  // judged against exactly that side; a symmetric, steady queue gets `noise` back.
  double tail_noise = 0.6;
  // The spread of three-hour sums against their baseline (the same week, the same count's
  // noise removed), at most `noise`. Hours that stray independently (an hour at 300, the next
  // at 50) average out over three; a level that shifts for days does not, and keeps its noise.
  // throughput_collapse judges a window of three hours against this, one of an hour or less
  // against `noise` (noise_for).
  double noise_3h = 0.6;
  // Completions / baseline over a day of normal hours within the two days before the last six
  // hours (a stall must not lower its own expectation); over that day's every hour, alert-held
  // ones too, when alerts held through most of those two days (a step down for good); 1 when
  // unknown. Used only to lower an expectation (a downward trend), never to raise it.
  double level = 1;
  int hours = 0;  // hours the estimates came from
  bool noise_learnt() const { return hours >= kMinNoiseHours; }

  // The level noise for a window of `window_s`: `noise` up to an hour, `noise_3h` from three
  // hours, between them on the log of the window's length.
  double noise_for(std::int64_t window_s) const;
};

// From the whole local hours before `current_local_hour` (up to a week), skipping hours that
// were excluded (an alert held), half unmeasured, or without a baseline. `dispersion` is the
// count's index of dispersion (the Poisson part of the noise, removed from the estimate).
LevelStats level_stats(const HourRing& hours, std::int64_t current_local_hour, double dispersion);

}  // namespace qw::rules
