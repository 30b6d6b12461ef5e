#include "rules/queue_history.hpp"

#include <algorithm>
#include <cmath>

namespace qw::rules {
namespace {
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
// A round spanning more than this (a long outage) is spread over its last week only; older
// hours would fall out of every window that matters before they could be judged.
constexpr std::int64_t kMaxSpan = 7 * 24 * 3600;
}  // namespace

void QueueHistory::record(const Timezone& tz, std::int64_t from_s, std::int64_t to_s,
                          double completed, double failed) {
  ++version_;
  if (to_s <= from_s) {  // no span (the first round): count the jobs, claim no coverage
    if (MinuteSlot* m = minutes_.write(floor_div(to_s, 60))) {
      m->completed += static_cast<float>(completed);
      m->failed += static_cast<float>(failed);
    }
    if (HourSlot* h = hours_.write(local_hour_index(tz, to_s))) {
      h->count += static_cast<float>(completed);
    }
    return;
  }
  from_s = std::max(from_s, to_s - kMaxSpan);
  const double span = static_cast<double>(to_s - from_s);
  for (std::int64_t t = from_s; t < to_s;) {
    // Offsets are whole minutes in every current zone, so local hours split at minute bounds.
    const std::int64_t minute = floor_div(t, 60);
    const std::int64_t next = std::min(to_s, (minute + 1) * 60);
    const double len = static_cast<double>(next - t);
    const double share = len / span;
    if (MinuteSlot* m = minutes_.write(minute)) {
      m->completed += static_cast<float>(completed * share);
      m->failed += static_cast<float>(failed * share);
      m->measured_s = static_cast<std::uint8_t>(std::min(60.0, m->measured_s + len));
    }
    if (HourSlot* h = hours_.write(local_hour_index(tz, t))) {
      h->count += static_cast<float>(completed * share);
      h->measured_s = static_cast<std::uint16_t>(std::min(7200.0, h->measured_s + len));
    }
    t = next;
  }
}

void QueueHistory::exclude(const Timezone& tz, std::int64_t from_s, std::int64_t to_s) {
  for (std::int64_t t = from_s;; t = std::min(to_s, t + 3600)) {
    if (HourSlot* h = hours_.write(local_hour_index(tz, t))) h->excluded = true;
    if (t >= to_s) break;
  }
}

WindowSums QueueHistory::window(std::int64_t now_s, std::int64_t window_s) const {
  // The minutes up to and including the one holding the instant before `now`: for a `now` on a
  // minute boundary, exactly the window's minutes, so counts line up with expected_between.
  const std::int64_t to = floor_div(now_s - 1, 60);
  const std::int64_t minutes = window_s / 60;
  for (const WindowMemo& m : memo_) {
    if (m.to_minute == to && m.minutes == minutes && m.version == version_) return m.sums;
  }
  WindowMemo& m = memo_[next_memo_++ % 2];
  m = {to, minutes, version_, sum_minutes(minutes_, to - minutes, to)};
  return m.sums;
}

void QueueHistory::refresh_dispersion(std::int64_t now_s) {
  constexpr std::int64_t kBlock = 5;
  const std::int64_t last_block = floor_div(floor_div(now_s, 60), kBlock);
  double sum = 0, sq_diff = 0;
  int blocks = 0, pairs = 0;
  std::optional<double> previous;
  for (std::int64_t b = last_block - kMinuteSlots / kBlock + 1; b <= last_block; ++b) {
    const WindowSums s = sum_minutes(minutes_, b * kBlock - 1, b * kBlock + kBlock - 1);
    if (s.measured_s < 0.8 * kBlock * 60) {  // a gap: do not difference across it
      previous.reset();
      continue;
    }
    sum += s.completed;
    ++blocks;
    if (previous) {
      sq_diff += (s.completed - *previous) * (s.completed - *previous);
      ++pairs;
    }
    previous = s.completed;
  }
  const double mean = blocks > 0 ? sum / blocks : 0;
  // Six quiet hours say nothing about burst size: keep what earlier hours taught.
  if (pairs < 6 || mean < 1e-9) return;
  const double now_estimate = std::clamp(sq_diff / (2.0 * pairs) / mean, 1.0, 1000.0);
  // A queue is as bursty as it has recently been: a calm stretch lowers the estimate slowly
  // (about a tenth per hour), so one quiet afternoon does not make the next gap look like a stall.
  dispersion_ = std::max(now_estimate, 1.0 + (dispersion_ - 1.0) * 0.9);
}

}  // namespace qw::rules
