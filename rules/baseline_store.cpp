#include "rules/baseline_store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <charconv>
#include <cmath>

namespace qw::rules {
namespace {

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '\t' || c == '\n' || c == '\r') {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= s.size()) return std::nullopt;
    const auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (r.ec != std::errc{} || r.ptr != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

template <typename T>
bool parse(std::string_view s, T& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// `a,b,c` into exactly out.size() numbers.
template <typename T, std::size_t N>
bool parse_list(std::string_view s, std::array<T, N>& out) {
  const std::vector<std::string_view> parts = split(s, ',');
  if (parts.size() != N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    if (!parse(parts[i], out[i])) return false;
  }
  return true;
}

// qwl1 TARGET SOURCE QUEUE NEXT_BLOCK RUNS DEEP; false when it is not one.
bool restore_lulls(Engine& engine, const std::vector<std::string_view>& f) {
  if (f.size() != 7) return false;
  auto target = unescape(f[1]), source = unescape(f[2]), queue = unescape(f[3]);
  DeepLulls::Saved saved;
  if (!target || !source || !queue || !parse(f[4], saved.next_block) ||
      !parse_list(f[5], saved.runs) || !parse_list(f[6], saved.deep))
    return false;
  const std::optional<DeepLulls> lulls = DeepLulls::restored(saved);
  if (!lulls) return false;
  engine.restore_deep_lulls(QueueKey{*target, *source, *queue}, *lulls);
  return true;
}

}  // namespace

std::string encode_hours(const HourRing& hours) {
  std::string out;
  if (hours.empty()) return out;
  std::int64_t empty_run = 0;
  auto flush = [&] {
    if (empty_run == 0) return;
    if (!out.empty()) out += ',';
    out += fmt::format("_{}", empty_run);
    empty_run = 0;
  };
  for (std::int64_t i = hours.newest() - kHourSlots + 1; i <= hours.newest(); ++i) {
    const HourSlot* s = hours.read(i);
    if (s == nullptr || *s == HourSlot{}) {
      ++empty_run;
      continue;
    }
    flush();
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}{}", s->count, s->measured_s, s->excluded ? "x" : "");
  }
  flush();
  return out;
}

bool decode_hours(std::string_view text, std::int64_t newest, HourRing& hours) {
  HourRing ring;
  ring.write(newest);
  std::int64_t index = newest - kHourSlots + 1;
  if (!text.empty()) {
    for (std::string_view item : split(text, ',')) {
      if (item.starts_with('_')) {
        std::int64_t n = 0;
        if (!parse(item.substr(1), n) || n <= 0) return false;
        index += n;
        continue;
      }
      HourSlot slot;
      if (item.ends_with('x')) {
        slot.excluded = true;
        item.remove_suffix(1);
      }
      const auto colon = item.find(':');
      if (colon == std::string_view::npos) return false;
      if (!parse(item.substr(0, colon), slot.count) || !std::isfinite(slot.count) ||
          slot.count < 0 || !parse(item.substr(colon + 1), slot.measured_s) ||
          slot.measured_s > 7200) {
        return false;
      }
      HourSlot* target = ring.write(index);
      if (target == nullptr || index > newest) return false;
      *target = slot;
      ++index;
    }
  }
  if (index != newest + 1) return false;
  hours = ring;
  return true;
}

std::string save_baselines(const Engine& engine) {
  std::string out;
  for (const auto& [key, q] : engine.queues()) {
    if (q.history.hours().empty()) continue;
    out +=
        fmt::format("qwb1\t{}\t{}\t{}\t{}\t{}\n", escape(key.target), escape(key.source),
                    escape(key.queue), q.history.hours().newest(), encode_hours(q.history.hours()));
  }
  for (const auto& [key, q] : engine.queues()) {
    if (!q.rate_known) continue;
    out += fmt::format("qwr1\t{}\t{}\t{}\t{}\n", escape(key.target), escape(key.source),
                       escape(key.queue), q.rate_before_silence);
  }
  for (const auto& [key, q] : engine.queues()) {
    const DeepLulls::Saved lulls = q.deep_lulls.saved();
    if (lulls.runs[0] <= 0) continue;
    out += fmt::format("qwl1\t{}\t{}\t{}\t{}\t{}\t{}\n", escape(key.target), escape(key.source),
                       escape(key.queue), lulls.next_block, fmt::join(lulls.runs, ","),
                       fmt::join(lulls.deep, ","));
  }
  return out;
}

RestoreResult restore_baselines(Engine& engine, std::string_view text) {
  RestoreResult result;
  std::size_t line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    const std::vector<std::string_view> f = split(line, '\t');
    if (!f.empty() && f[0] == "qwr1") {
      double rate = 0;
      std::optional<std::string> target, source, queue;
      if (f.size() == 5) target = unescape(f[1]), source = unescape(f[2]), queue = unescape(f[3]);
      if (!target || !source || !queue || !parse(f[4], rate) || !std::isfinite(rate) || rate < 0) {
        result.errors.push_back(fmt::format("line {}: malformed rate record", line_no));
        continue;
      }
      engine.restore_rate(QueueKey{*target, *source, *queue}, rate);
      continue;
    }
    if (!f.empty() && f[0] == "qwl1") {
      if (!restore_lulls(engine, f))
        result.errors.push_back(fmt::format("line {}: malformed lull record", line_no));
      continue;
    }
    std::int64_t newest = 0;
    if (f.size() != 6 || f[0] != "qwb1" || !parse(f[4], newest)) {
      result.errors.push_back(fmt::format("line {}: not a qwb1 baseline record", line_no));
      continue;
    }
    auto target = unescape(f[1]), source = unescape(f[2]), queue = unescape(f[3]);
    HourRing hours;
    if (!target || !source || !queue || !decode_hours(f[5], newest, hours)) {
      result.errors.push_back(fmt::format("line {}: malformed baseline record", line_no));
      continue;
    }
    engine.restore_hours(QueueKey{*target, *source, *queue}, hours);
    ++result.restored;
  }
  return result;
}

}  // namespace qw::rules
