// Dates and text as the feeds publish them (see feed.hpp).
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>

#include "probes/provider_status/feed.hpp"

namespace qw::probes::provider {

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::optional<std::int64_t> to_epoch(int y, int mo, int d, int h, int mi, int s, int offset_min) {
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return static_cast<std::int64_t>(days) * 86400 + h * 3600 + mi * 60 + s -
         static_cast<std::int64_t>(offset_min) * 60;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view t) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!digits(t, 0, 4, y) || t.size() < 19 || t[4] != '-' || !digits(t, 5, 2, mo) || t[7] != '-' ||
      !digits(t, 8, 2, d) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !digits(t, 11, 2, h) || t[13] != ':' || !digits(t, 14, 2, mi) || t[16] != ':' ||
      !digits(t, 17, 2, s))
    return std::nullopt;
  std::size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  int offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int oh = 0, om = 0;
    if (!digits(t, i + 1, 2, oh) || i + 3 >= t.size() || t[i + 3] != ':' ||
        !digits(t, i + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = (t[i] == '-' ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;  // a time without a zone is no instant
  }
  if (i != t.size()) return std::nullopt;
  return to_epoch(y, mo, d, h, mi, s, offset);
}

std::optional<std::int64_t> parse_rfc822(std::string_view t) {
  // [day ","] DD Mon YYYY HH:MM[:SS] zone; RFC 822's two-digit years are read as 19YY/20YY.
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (const auto comma = t.find(','); comma != std::string_view::npos) {
    if (comma > 9) return std::nullopt;
    t.remove_prefix(comma + 1);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  }
  std::array<std::string_view, 5> part{};
  std::size_t n = 0;
  while (!t.empty() && n < part.size()) {
    const auto sp = t.find(' ');
    part[n++] = t.substr(0, sp);
    t = sp == std::string_view::npos ? std::string_view{} : t.substr(sp + 1);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  }
  if (n != 5 || !t.empty()) return std::nullopt;
  int d = 0, y = 0, h = 0, mi = 0, s = 0;
  if (part[0].size() > 2 || !digits(part[0], 0, part[0].size(), d)) return std::nullopt;
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int mo = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (part[1] == kMonths[i]) mo = static_cast<int>(i) + 1;
  if (mo == 0) return std::nullopt;
  if (part[2].size() == 4) {
    if (!digits(part[2], 0, 4, y)) return std::nullopt;
  } else if (part[2].size() == 2) {
    if (!digits(part[2], 0, 2, y)) return std::nullopt;
    y += y < 70 ? 2000 : 1900;
  } else {
    return std::nullopt;
  }
  const std::string_view time = part[3];
  if (!digits(time, 0, 2, h) || time.size() < 5 || time[2] != ':' || !digits(time, 3, 2, mi))
    return std::nullopt;
  if (time.size() == 8) {
    if (time[5] != ':' || !digits(time, 6, 2, s)) return std::nullopt;
  } else if (time.size() != 5) {
    return std::nullopt;
  }
  const std::string_view zone = part[4];
  int offset = 0;
  if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    int oh = 0, om = 0;
    if (!digits(zone, 1, 2, oh) || !digits(zone, 3, 2, om) || om > 59) return std::nullopt;
    offset = (zone[0] == '-' ? -1 : 1) * (oh * 60 + om);
  } else {
    // RFC 822's named zones; military single letters are ambiguous in practice and refused.
    static constexpr std::pair<std::string_view, int> kZones[] = {
        {"GMT", 0},       {"UT", 0},        {"UTC", 0},       {"Z", 0},
        {"EST", -5 * 60}, {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60},
        {"MST", -7 * 60}, {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60}};
    bool known = false;
    for (const auto& [name, minutes] : kZones) {
      if (zone == name) {
        offset = minutes;
        known = true;
      }
    }
    if (!known) return std::nullopt;
  }
  return to_epoch(y, mo, d, h, mi, s, offset);
}

namespace {
// Invalid UTF-8 becomes '?': the text ends up in label values and JSON payloads, which must be
// valid UTF-8 whatever a feed sends.
std::string valid_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      len = 1;
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    }
    bool ok = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(in[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}
}  // namespace

std::string clean_text(std::string_view raw, std::size_t max) {
  const std::string text = valid_utf8(raw.substr(0, 4 * max + 16));
  std::string out;
  bool space = false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || (u < 0x20) || u == 0x7F) {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
    if (out.size() >= max + 4) break;
  }
  if (out.size() > max) {
    std::size_t cut = max;
    // Back up to the start of a UTF-8 sequence: continuation bytes are 10xxxxxx.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

}  // namespace qw::probes::provider
