#include "rules/queue_history.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace qw::rules {
namespace {
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
  if (auto s = swept(to, minutes)) return *s;
  for (const WindowMemo& m : memo_) {
    if (m.to_minute == to && m.minutes == minutes && m.version == version_) return m.sums;
  }
  WindowMemo& m = memo_[next_memo_++ % 2];
  m = {to, minutes, version_, sum_minutes(minutes_, to - minutes, to)};
  return m.sums;
}

WindowSums QueueHistory::window_before(std::int64_t now_s, std::int64_t offset_s,
                                       std::int64_t window_s) const {
  const std::int64_t to = floor_div(now_s - 1, 60);
  const std::int64_t skip = offset_s / 60, minutes = window_s / 60;
  if (offset_s % 60 == 0) {
    const std::optional<WindowSums> whole = swept(to, skip + minutes), newer = swept(to, skip);
    if (whole && newer) {
      return {whole->completed - newer->completed, whole->failed - newer->failed,
              whole->measured_s - newer->measured_s};
    }
  }
  const std::int64_t end = floor_div(now_s - offset_s - 1, 60);
  return sum_minutes(minutes_, end - minutes, end);
}

std::optional<WindowSums> QueueHistory::swept(std::int64_t to_minute, std::int64_t minutes) const {
  if (minutes < 0 || minutes > kMinuteSlots || kSweepSlot[static_cast<std::size_t>(minutes)] < 0)
    return std::nullopt;
  if (sweep_.to_minute != to_minute || sweep_.version != version_) {
    sweep_.to_minute = to_minute;
    sweep_.version = version_;
    sweep_.filled = 0;
    sweep_.run = {};
  }
  // Newest first, and only as deep as asked: ingest asks for the last hour after every round,
  // an evaluation for up to six hours; each checkpoint is the running total when reached.
  const auto want = static_cast<std::size_t>(kSweepSlot[static_cast<std::size_t>(minutes)]);
  // One ring walk per checkpoint segment, newest minute first, without a division per minute.
  for (; sweep_.filled <= want; ++sweep_.filled) {
    const std::int64_t newer = sweep_.filled == 0 ? 0 : kSweepMinutes[sweep_.filled - 1];
    minutes_.for_range_newest_first(to_minute - kSweepMinutes[sweep_.filled], to_minute - newer,
                                    [this](const MinuteSlot& m) {
                                      sweep_.run.completed += m.completed;
                                      sweep_.run.failed += m.failed;
                                      sweep_.run.measured_s += m.measured_s;
                                    });
    sweep_.back[sweep_.filled] = sweep_.run;
  }
  return sweep_.back[want];
}

namespace {
// Index of dispersion of `block`-minute completion counts over the minute ring, from successive
// differences so a daily ramp does not count; nullopt when six hours say nothing (gaps, quiet).
std::optional<double> block_dispersion(const MinuteRing& minutes, std::int64_t now_s,
                                       std::int64_t block, int min_pairs, bool trim) {
  const std::int64_t last_block = floor_div(floor_div(now_s, 60), block);
  double sum = 0;
  int blocks = 0;
  std::vector<double> sq_diffs;
  std::optional<double> previous;
  for (std::int64_t b = last_block - kMinuteSlots / block + 1; b <= last_block; ++b) {
    const WindowSums s = sum_minutes(minutes, b * block - 1, b * block + block - 1);
    if (s.measured_s < 0.8 * static_cast<double>(block) * 60) {  // a gap: no difference across it
      previous.reset();
      continue;
    }
    sum += s.completed;
    ++blocks;
    if (previous) sq_diffs.push_back((s.completed - *previous) * (s.completed - *previous));
    previous = s.completed;
  }
  const double mean = blocks > 0 ? sum / blocks : 0;
  if (static_cast<int>(sq_diffs.size()) < min_pairs || mean < 1e-9) return std::nullopt;
  if (trim) {
    // The largest tenth of the differences left out: a step in the daily pattern (work starts
    // at 08:00) is one huge difference, not a lull; lulls recur and survive the trim.
    std::sort(sq_diffs.begin(), sq_diffs.end());
    sq_diffs.resize(sq_diffs.size() - std::max<std::size_t>(1, sq_diffs.size() / 10));
  }
  double sq_diff = 0;
  for (const double d : sq_diffs) sq_diff += d;
  // The upper bound only keeps nonsense out: a source counted in bytes or rows bursts in the
  // millions, and a burst size capped below its real one makes every missing burst a collapse.
  return std::clamp(sq_diff / (2.0 * static_cast<double>(sq_diffs.size())) / mean, 1.0, 1e9);
}

// A queue is as bursty as it has recently been: a calm stretch lowers the estimate slowly
// (about a tenth per hour), so one quiet afternoon does not make the next gap look like a stall.
double decayed(double previous, std::optional<double> now_estimate) {
  if (!now_estimate) return previous;  // six quiet hours say nothing about burst size
  return std::max(*now_estimate, 1.0 + (previous - 1.0) * 0.9);
}
}  // namespace

void QueueHistory::refresh_dispersion(std::int64_t now_s) {
  dispersion_ = decayed(dispersion_, block_dispersion(minutes_, now_s, 5, 6, false));
  // Quarter-hour counts see what five-minute ones cannot: lulls that last longer than a block
  // (nobody tweets for twenty minutes), which make a quiet quarter-hour far likelier than a
  // Poisson count of bursts says.
  dispersion_15_ = decayed(dispersion_15_, block_dispersion(minutes_, now_s, 15, 6, true));
}

}  // namespace qw::rules
