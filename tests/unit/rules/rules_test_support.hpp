#pragma once
// A fake clock and a driver for the rules engine: ticks are produced at a fixed step, counts are
// drawn from seeded Poisson streams, and nothing reads the wall clock.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules/engine.hpp"
#include "rules/zoneinfo_file.hpp"

namespace qw::rules::test {

using namespace std::chrono_literals;

inline Time at_utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  const auto day = std::chrono::sys_days{std::chrono::year{y} / mo / d};
  return Time{std::chrono::duration_cast<std::chrono::milliseconds>(
      day.time_since_epoch() + std::chrono::hours{h} + std::chrono::minutes{mi} +
      std::chrono::seconds{s})};
}

inline Timezone zone(const std::string& name) {
  TzifParse p = load_zoneinfo(name);
  EXPECT_TRUE(p.zone) << p.error;
  return p.zone ? *p.zone : Timezone();
}

inline const ActiveCondition* find(const std::vector<ActiveCondition>& conditions,
                                   const std::string& alertname) {
  for (const auto& c : conditions)
    if (c.alertname == alertname) return &c;
  return nullptr;
}

// The condition that must be there (throws otherwise, which fails the test).
inline const ActiveCondition& get(const std::vector<ActiveCondition>& conditions,
                                  const std::string& alertname) {
  const ActiveCondition* c = find(conditions, alertname);
  if (c == nullptr) throw std::logic_error(alertname + " does not hold");
  return *c;
}

// One queue fed at a fixed step from a rate function (completions per second at a time).
class Driver {
 public:
  Driver(config::RulesConfig config, Timezone tz, Time start, std::chrono::seconds step,
         unsigned seed = 1)
      : engine(std::move(config), std::move(tz)), now(start), step_(step), rng_(seed) {}

  Engine engine;
  QueueKey key{"primary", "jobs", "default"};
  Time now;

  // Advances one step; `completed` and `ready` describe that step.
  std::vector<ActiveCondition> step(double completed, std::int64_t ready = 0,
                                    std::optional<double> oldest_ready_age = std::nullopt,
                                    bool evaluate = true) {
    now += step_;
    QueueTick t;
    t.key = key;
    t.region = "eu";
    t.at = now;
    t.completed = completed;
    t.ready = ready;
    t.oldest_ready_age_seconds = oldest_ready_age;
    engine.ingest(t);
    if (!evaluate) return {};
    return engine.evaluate(now);
  }

  // Poisson completions at rate(now) per second, nothing waiting.
  double draw(double rate_per_second) {
    if (rate_per_second <= 0) return 0;
    std::poisson_distribution<long> d(rate_per_second * step_seconds());
    return static_cast<double>(d(rng_));
  }
  double step_seconds() const { return static_cast<double>(step_.count()); }

  // Feeds `duration` of traffic without evaluating (history building).
  void feed(std::chrono::seconds duration, const std::function<double(Time)>& rate) {
    const Time end = now + duration;
    while (now < end) step(draw(rate(now)), 0, std::nullopt, false);  // rate over the step
  }

  // Steps until `alertname` holds or `limit` passes; the time it first held, if it did.
  std::optional<Time> run_until(const std::string& alertname, std::chrono::seconds limit,
                                const std::function<double(Time)>& rate,
                                std::function<std::int64_t(Time)> ready = nullptr) {
    const Time end = now + limit;
    while (now < end) {
      const Time next = now + step_;
      const std::int64_t r = ready ? ready(next) : 0;
      auto conditions =
          step(draw(rate(next)), r, r > 0 ? std::optional<double>(1e6) : std::nullopt);
      if (find(conditions, alertname) != nullptr) return now;
    }
    return std::nullopt;
  }

 private:
  std::chrono::seconds step_;
  std::mt19937 rng_;
};

inline double hour_utc(Time t) {
  const auto s = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  return static_cast<double>((s % 86400) / 3600);
}

// Completions per second of a queue with a working day: 0.2/s at night, 1/s from 08:00 to 20:00.
inline double daily_wave(Time t) {
  const double h = hour_utc(t);
  return h >= 8 && h < 20 ? 1.0 : 0.2;
}

}  // namespace qw::rules::test
