#include <fmt/format.h>

#include "rules/queue_rules.hpp"
#include "rules/queue_state.hpp"

namespace qw::rules {

Labels queue_labels(const QueueState& q) {
  Labels labels{{"target", q.key.target}, {"source", q.key.source}, {"queue", q.key.queue}};
  // A target's region is optional; unset, there is no `region` label rather than an empty one
  // (the same to Prometheus and Alertmanager matchers, but not to a page's label list).
  if (!q.region.empty()) labels.emplace("region", q.region);
  return labels;
}

std::int64_t epoch_seconds(Time t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

double seconds_between(Time from, Time to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string format_time(Time t) {
  const auto s = std::chrono::floor<std::chrono::seconds>(t);
  const auto day = std::chrono::floor<std::chrono::days>(s);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{s - day};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

}  // namespace qw::rules
