#include "daemon/backtest.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "alerts/alert_book.hpp"
#include "alerts/inhibitor.hpp"
#include "config/loader.hpp"
#include "daemon/backtest_pager.hpp"
#include "rules/condition.hpp"
#include "rules/engine.hpp"
#include "rules/zoneinfo_file.hpp"

namespace qw::daemon {
namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
}

bool parse_int(std::string_view s, int& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// Local time to UTC: the offset in effect at the instant the local time names. In a
// spring-forward gap this picks the later offset; in a fall-back overlap the first occurrence.
std::int64_t local_to_utc(std::int64_t local, const rules::Timezone& tz) {
  const std::int64_t guess = local - tz.offset_at(local);
  const std::int64_t first = local - tz.offset_at(guess - 3600);
  if (first + tz.offset_at(first) == local) return first;
  return local - tz.offset_at(guess);
}

std::optional<rules::Time> parse_timestamp(std::string_view s, const rules::Timezone& tz) {
  // YYYY-MM-DD[ T]HH:MM:SS[.fff][Z|±HH:MM]
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!parse_int(s.substr(0, 4), y) || !parse_int(s.substr(5, 2), mo) ||
      !parse_int(s.substr(8, 2), d) || !parse_int(s.substr(11, 2), h) ||
      !parse_int(s.substr(14, 2), mi) || !parse_int(s.substr(17, 2), se)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(mo)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    std::size_t digits = 0;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++digits) {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  const std::int64_t local =
      std::chrono::sys_days{ymd}.time_since_epoch().count() * 86400 + h * 3600 + mi * 60 + se;
  std::int64_t utc = 0;
  const std::string_view zone = s.substr(pos);
  if (zone.empty()) {
    utc = local_to_utc(local, tz);
  } else if (zone == "Z" || zone == "z") {
    utc = local;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh = 0, om = 0;
    if (!parse_int(zone.substr(1, 2), oh) || !parse_int(zone.substr(4, 2), om)) return std::nullopt;
    const int offset = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
    utc = local - offset;
  } else {
    return std::nullopt;
  }
  return rules::Time{std::chrono::milliseconds{utc * 1000 + millis}};
}

std::optional<double> parse_real(const std::string& s) {
  double x = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), x);
  if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return x;
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string f;
  while (std::getline(in, f, ',')) fields.push_back(trim(f));
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

std::string format_utc(rules::Time t) {
  std::string s = rules::format_time(t);  // "YYYY-MM-DD HH:MM:SSZ"
  s[10] = 'T';
  return s;
}

// --explain: why an alert fired, as its page would say, on stderr (stdout stays the CSV). One
// queue is replayed, so the alertname finds its condition.
void explain(const BacktestRow& t, const std::vector<rules::ActiveCondition>& active) {
  for (const rules::ActiveCondition& c : active) {
    if (c.alertname != t.alertname) continue;
    const auto summary = c.annotations.find("summary");
    std::cerr << format_utc(t.at) << ' ' << t.alertname << ": "
              << (summary == c.annotations.end() ? std::string("(no summary)") : summary->second)
              << '\n';
    return;
  }
}

}  // namespace

SeriesParse parse_series(const std::string& text, const std::string& file_name,
                         const rules::Timezone& tz) {
  SeriesParse out;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  auto fail = [&](const std::string& message) {
    out.rows.clear();
    out.error = fmt::format("{}:{}: {}", file_name, line_no, message);
    return out;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const std::vector<std::string> f = split_fields(line);
    const std::optional<rules::Time> at = parse_timestamp(f[0], tz);
    if (!at) {
      // A first line that is not data is the header (`timestamp,value`, `time,completions`...).
      if (line_no == 1 && out.rows.empty() && !f[0].empty() &&
          !(f[0][0] >= '0' && f[0][0] <= '9')) {
        continue;
      }
      return fail(
          fmt::format("\"{}\" is not a timestamp (YYYY-MM-DD HH:MM:SS, or ISO 8601 with "
                      "Z or an offset)",
                      f[0]));
    }
    if (f.size() < 2 || f.size() > 3) {
      return fail(fmt::format("expected timestamp,completions[,ready], got {} field{}", f.size(),
                              f.size() == 1 ? "" : "s"));
    }
    const std::optional<double> value = parse_real(f[1]);
    if (!value || !std::isfinite(*value)) {
      return fail(fmt::format("completions \"{}\" is not a number", f[1]));
    }
    if (*value < 0) {
      return fail(fmt::format("completions {} is negative: completions are counts", f[1]));
    }
    SeriesRow row{*at, *value, std::nullopt};
    if (f.size() == 3 && !f[2].empty()) {
      const std::optional<double> ready = parse_real(f[2]);
      // 2^63 and above do not fit the count (found by tests/fuzz/backtest_csv.cpp).
      if (!ready || !std::isfinite(*ready) || *ready < 0 || *ready != std::floor(*ready) ||
          *ready >= 9223372036854775808.0) {
        return fail(fmt::format("ready \"{}\" is not a non-negative integer", f[2]));
      }
      row.ready = static_cast<std::int64_t>(*ready);
    }
    if (!out.rows.empty() && row.at <= out.rows.back().at) {
      return fail(fmt::format("timestamp {} is not after the previous row's", f[0]));
    }
    out.rows.push_back(row);
  }
  if (out.rows.empty()) {
    line_no = std::max(line_no, 1);
    return fail("no data rows");
  }
  return out;
}

int run_backtest(const CliOptions& options) {
  // Only the rules matter here: a file of just `rules:`, or none (the built-in defaults).
  config::LoadResult loaded;
  if (!options.config_path.empty()) {
    loaded =
        config::load_file(options.config_path, &config::real_env, config::Sections::rules_only);
  }
  if (!loaded.ok()) {
    for (const config::ConfigError& e : loaded.errors) std::cerr << e.to_string() << "\n";
    return kExitUsage;
  }
  const config::RulesConfig& rules_config = loaded.config.rules;
  rules::TzifParse zone = rules::load_zoneinfo(rules_config.timezone);
  if (!zone.zone) {
    std::cerr << "queuewatch: " << zone.error << "\n";
    return kExitUsage;
  }
  std::ifstream file(options.series_path, std::ios::binary);
  if (!file) {
    std::cerr << "queuewatch: cannot read " << options.series_path << "\n";
    return kExitUsage;
  }
  std::ostringstream text;
  text << file.rdbuf();
  const SeriesParse series = parse_series(text.str(), options.series_path, *zone.zone);
  if (!series.error.empty()) {
    std::cerr << "queuewatch: " << series.error << "\n";
    return kExitUsage;
  }

  // The same engine, lifecycle and built-in inhibition as the daemon, one probe round and one
  // evaluation per row.
  rules::Engine engine(rules_config, *zone.zone);
  alerts::AlertBook book;
  BacktestPager pager(loaded.config.alerting);
  const std::string source = options.source.value_or(options.queue);
  const rules::QueueKey key{"backtest", source, options.queue};
  std::cout << "time,alertname,state,value\n";
  for (const SeriesRow& row : series.rows) {
    rules::QueueTick tick;
    tick.key = key;
    tick.at = row.at;
    tick.completed = row.completions;
    tick.ready = row.ready.value_or(0);
    engine.ingest(tick);
    const std::vector<rules::ActiveCondition> active = engine.evaluate(row.at);
    // As the daemon's pipeline does: alerts the rules could not judge, and firing ones whose
    // incident goes on under a rule they hold back, are kept as they are.
    const std::vector<alerts::Alert> before = book.alerts();
    std::set<std::string> undecided = alerts::holders_kept_open(before);
    for (const alerts::Alert& a : before) {
      if (a.state != alerts::AlertState::inactive && engine.undecided(a.labels))
        undecided.insert(a.fingerprint);
    }
    const std::vector<alerts::Transition> changes = book.evaluate(row.at, active, undecided);
    for (const BacktestRow& r : pager.rows(row.at, changes, book.alerts())) {
      std::cout << format_utc(r.at) << ',' << r.alertname << ',' << r.state << ','
                << rules::format_number(r.value) << '\n';
      if (options.explain && r.fired) explain(r, active);
    }
  }
  return kExitOk;
}

}  // namespace qw::daemon
