#include "rules/baseline.hpp"

#include <algorithm>
#include <array>

namespace qw::rules {
namespace {

// A handful of rates; fixed capacity, so the evaluation of 10,000 queues allocates nothing.
struct Values {
  std::array<double, 8> v{};
  std::size_t n = 0;
  void push_back(double x) { v[n++] = x; }
  std::size_t size() const { return n; }
  bool empty() const { return n == 0; }
  double* begin() { return v.data(); }
  double* end() { return v.data() + n; }
  const double* begin() const { return v.data(); }
  const double* end() const { return v.data() + n; }
};

double median(Values& v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v.v[n / 2] : (v.v[n / 2 - 1] + v.v[n / 2]) / 2;
}

// Rates of the hours `step` apart before `local_hour`, up to `count` (at most 8) of them.
Values phase_values(const HourRing& hours, std::int64_t local_hour, int step, int count,
                    bool with_excluded = false) {
  Values values;
  for (int k = 1; k <= count; ++k) {
    const HourSlot* s = hours.read(local_hour - static_cast<std::int64_t>(k) * step);
    if (s == nullptr || (s->excluded && !with_excluded) || s->measured_s < kMinMeasuredPerHour) {
      continue;
    }
    values.push_back(s->count / s->measured_s);
  }
  return values;
}

}  // namespace

std::optional<BaselineRate> baseline_rate(const HourRing& hours, std::int64_t local_hour,
                                          double warmup_floor_per_hour) {
  Values weekly = phase_values(hours, local_hour, 168, kHourSlots / 168);
  Values daily = phase_values(hours, local_hour, 24, 7);
  if (static_cast<int>(weekly.size()) < kMinPhaseValues) {
    // Weeks enough are known, but alerts held in some of them: the same hours of the week,
    // excluded ones included, are still better evidence than the daily fallback, which would
    // judge a quiet Saturday evening by weekday evenings and fire again every Saturday.
    Values all_weeks =
        phase_values(hours, local_hour, 168, kHourSlots / 168, /*with_excluded=*/true);
    if (static_cast<int>(all_weeks.size()) >= kMinPhaseValues) weekly = all_weeks;
  }
  if (static_cast<int>(weekly.size()) >= kMinPhaseValues) {
    // The lower of the two medians: three weekly values are few, and two odd weeks (a spike, a
    // campaign) would otherwise set the expectation; the last week's same hours corroborate.
    double rate = median(weekly);
    if (static_cast<int>(daily.size()) >= kMinPhaseValues) rate = std::min(rate, median(daily));
    return BaselineRate{rate, BaselineSource::weekly};
  }
  if (static_cast<int>(daily.size()) >= kMinPhaseValues) {
    double rate = median(daily);
    // Same-weekday values can only lower the daily expectation: a quiet Saturday after five
    // busy weekdays is the weekly pattern, not an outage. Excluded hours count here: a Saturday
    // that was "below baseline" last week is evidence that Saturdays are quiet, and ignoring it
    // would make the daily fallback fire on every weekend until three clean ones accumulate.
    const Values any_week =
        phase_values(hours, local_hour, 168, kHourSlots / 168, /*with_excluded=*/true);
    if (!any_week.empty()) {
      rate = std::min(rate, *std::max_element(any_week.begin(), any_week.end()));
    }
    return BaselineRate{rate, BaselineSource::daily};
  }
  if (warmup_floor_per_hour > 0) {
    return BaselineRate{warmup_floor_per_hour / 3600.0, BaselineSource::warmup};
  }
  return std::nullopt;
}

std::optional<BaselineRate> cached_rate(const HourRing& hours, std::int64_t local_hour,
                                        double floor, BaselineCache& cache) {
  for (const auto& e : cache.entries)
    if (e.hour == local_hour && e.floor == floor) return e.rate;
  auto& slot = cache.entries[cache.next];
  cache.next = (cache.next + 1) % BaselineCache::kEntries;
  slot.hour = local_hour;
  slot.floor = floor;
  slot.rate = baseline_rate(hours, local_hour, floor);
  return slot.rate;
}

namespace {

// The end of the hour piece that starts at t: the next local hour, offset change or to_s.
// Within a piece the local hour and the offset are constant, so a piece that starts later in
// it (a shorter window's first) ends at the same second.
std::int64_t piece_end(const Timezone& tz, std::int64_t t, std::int64_t local_hour,
                       std::int64_t to_s) {
  const std::int64_t local = t + tz.offset_at(t);
  std::int64_t next = t + (local_hour + 1) * 3600 - local;
  if (auto change = tz.next_transition_after(t)) next = std::min(next, *change);
  return std::min(next, to_s);
}
}  // namespace

Expected expected_between(const HourRing& hours, const Timezone& tz, std::int64_t from_s,
                          std::int64_t to_s, double warmup_floor_per_hour, BaselineCache& cache) {
  Expected e;
  for (std::int64_t t = from_s; t < to_s;) {
    const std::int64_t local_hour = local_hour_index(tz, t);
    const std::int64_t next = piece_end(tz, t, local_hour, to_s);
    if (auto rate = cached_rate(hours, local_hour, warmup_floor_per_hour, cache)) {
      e.count += rate->per_second * static_cast<double>(next - t);
    } else {
      e.complete = false;
    }
    t = next;
  }
  return e;
}

Expected expected_until(const HourRing& hours, const Timezone& tz, std::int64_t to_s,
                        std::int64_t window_s, std::int64_t span_s, double warmup_floor_per_hour,
                        BaselineCache& cache) {
  BaselineCache::Span& span = cache.span;
  const std::int64_t from_s = to_s - window_s;
  if (span.to != to_s || span.floor != warmup_floor_per_hour || from_s < span.from) {
    span.to = INT64_MIN;  // not valid until every piece is in
    const std::int64_t start = to_s - std::max(window_s, span_s);
    std::size_t count = 0;
    for (std::int64_t t = start; t < to_s; ++count) {
      if (count == span.pieces.size()) {  // a zone with many offset changes: no reuse
        return expected_between(hours, tz, from_s, to_s, warmup_floor_per_hour, cache);
      }
      const std::int64_t local_hour = local_hour_index(tz, t);
      const std::int64_t next = piece_end(tz, t, local_hour, to_s);
      const auto rate = cached_rate(hours, local_hour, warmup_floor_per_hour, cache);
      span.pieces[count] = {t, next, rate ? rate->per_second : 0, rate.has_value()};
      t = next;
    }
    span.from = start;
    span.to = to_s;
    span.floor = warmup_floor_per_hour;
    span.count = count;
  }
  // The same products, summed in the same order, as expected_between's walk from from_s.
  Expected e;
  for (std::size_t i = 0; i < span.count; ++i) {
    const BaselineCache::Piece& p = span.pieces[i];
    if (p.to <= from_s) continue;
    if (p.known) {
      e.count += p.per_second * static_cast<double>(p.to - std::max(p.from, from_s));
    } else {
      e.complete = false;
    }
  }
  return e;
}

}  // namespace qw::rules
