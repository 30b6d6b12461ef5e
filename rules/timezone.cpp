#include "rules/timezone.hpp"

#include <algorithm>

namespace qw::rules {

Timezone::Timezone(std::string name, std::vector<std::int64_t> transitions,
                   std::vector<std::int32_t> offsets_after, std::int32_t initial_offset)
    : name_(std::move(name)),
      transitions_(std::move(transitions)),
      offsets_after_(std::move(offsets_after)),
      initial_offset_(initial_offset) {}

std::int32_t Timezone::offset_at(std::int64_t utc_seconds) const {
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  if (it == transitions_.begin()) return initial_offset_;
  return offsets_after_[static_cast<std::size_t>(it - transitions_.begin()) - 1];
}

std::optional<std::int64_t> Timezone::next_transition_after(std::int64_t utc_seconds) const {
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  if (it == transitions_.end()) return std::nullopt;
  return *it;
}

namespace {

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool has(std::size_t n) const { return pos_ + n <= bytes_.size(); }
  std::uint64_t be(std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(bytes_[pos_ + i]);
    pos_ += n;
    return v;
  }
  void skip(std::size_t n) { pos_ += n; }
  std::string_view take(std::size_t n) {
    std::string_view s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

struct Header {
  char version = 0;
  std::uint64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool read_header(Reader& r, Header& h) {
  if (!r.has(44) || r.take(4) != "TZif") return false;
  h.version = r.take(1)[0];
  r.skip(15);
  h.isutcnt = r.be(4);
  h.isstdcnt = r.be(4);
  h.leapcnt = r.be(4);
  h.timecnt = r.be(4);
  h.typecnt = r.be(4);
  h.charcnt = r.be(4);
  return true;
}

std::size_t data_size(const Header& h, std::size_t time_size) {
  return h.timecnt * time_size + h.timecnt + h.typecnt * 6 + h.charcnt +
         h.leapcnt * (time_size + 4) + h.isstdcnt + h.isutcnt;
}

}  // namespace

TzifParse parse_tzif(std::string_view bytes, std::string name) {
  Reader r(bytes);
  Header v1;
  if (!read_header(r, v1)) return {std::nullopt, "not a TZif file"};
  if (v1.version < '2') return {std::nullopt, "TZif version 1; version 2 or later is needed"};
  // Counts come from the file: bound them before multiplying so a corrupt file cannot overflow.
  constexpr std::uint64_t kMax = 1 << 20;
  if (v1.timecnt > kMax || v1.typecnt > kMax || v1.charcnt > kMax || v1.leapcnt > kMax ||
      v1.isstdcnt > kMax || v1.isutcnt > kMax || !r.has(data_size(v1, 4))) {
    return {std::nullopt, "truncated TZif version 1 block"};
  }
  r.skip(data_size(v1, 4));
  Header h;
  if (!read_header(r, h)) return {std::nullopt, "missing TZif version 2 header"};
  if (h.timecnt > kMax || h.typecnt > kMax || h.charcnt > kMax || h.leapcnt > kMax ||
      h.isstdcnt > kMax || h.isutcnt > kMax || !r.has(data_size(h, 8))) {
    return {std::nullopt, "truncated TZif version 2 block"};
  }
  if (h.typecnt == 0) return {std::nullopt, "TZif file without local time types"};
  std::vector<std::int64_t> times(h.timecnt);
  for (auto& t : times) t = static_cast<std::int64_t>(r.be(8));
  std::vector<std::size_t> type_of(h.timecnt);
  for (auto& i : type_of) i = static_cast<std::size_t>(r.be(1));
  std::vector<std::int32_t> type_offset(h.typecnt);
  for (auto& off : type_offset) {
    off = static_cast<std::int32_t>(static_cast<std::uint32_t>(r.be(4)));
    r.skip(2);  // isdst, desigidx: the baseline only needs the offset
  }
  std::vector<std::int32_t> offsets(h.timecnt);
  for (std::size_t i = 0; i < h.timecnt; ++i) {
    if (type_of[i] >= h.typecnt) return {std::nullopt, "transition names an unknown type"};
    if (i > 0 && times[i] <= times[i - 1]) return {std::nullopt, "transitions out of order"};
    offsets[i] = type_offset[type_of[i]];
  }
  // RFC 8536: local time type 0 applies before the first transition.
  return {Timezone(std::move(name), std::move(times), std::move(offsets), type_offset[0]), ""};
}

std::int64_t local_hour_index(const Timezone& tz, std::int64_t utc_seconds) {
  const std::int64_t local = utc_seconds + tz.offset_at(utc_seconds);
  return local >= 0 ? local / 3600 : -((-local + 3599) / 3600);
}

int hour_of_week(std::int64_t local_hour) {
  // 1970-01-01 was a Thursday: the first Monday 00:00 is 96 hours later.
  const std::int64_t h = ((local_hour - 96) % 168 + 168) % 168;
  return static_cast<int>(h);
}

}  // namespace qw::rules
