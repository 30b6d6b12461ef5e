#pragma once
// A time zone as a value: UTC offsets and the instants they change, read once from TZif data
// (RFC 8536). libstdc++ 12 has no <chrono> tzdb, and the rules must not do I/O, so the daemon
// reads /usr/share/zoneinfo/NAME at load time (zoneinfo_file.hpp) and hands the rules this.
//
// After the last transition in the file the last offset is kept. Debian's tzdata files are
// "fat" (explicit transitions through 2037), so this only matters after 2037; the POSIX TZ
// footer that would extend the rule is deliberately not interpreted.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qw::rules {

class Timezone {
 public:
  // UTC: no transitions, offset 0.
  Timezone() = default;
  Timezone(std::string name, std::vector<std::int64_t> transitions,
           std::vector<std::int32_t> offsets_after, std::int32_t initial_offset);

  const std::string& name() const { return name_; }
  // Seconds east of UTC in effect at `utc_seconds` (seconds since the epoch).
  std::int32_t offset_at(std::int64_t utc_seconds) const;
  // The first transition strictly after `utc_seconds`, if any.
  std::optional<std::int64_t> next_transition_after(std::int64_t utc_seconds) const;

 private:
  std::string name_ = "UTC";
  std::vector<std::int64_t> transitions_;    // ascending, seconds since the epoch
  std::vector<std::int32_t> offsets_after_;  // offset from transitions_[i] on
  std::int32_t initial_offset_ = 0;          // before the first transition
};

struct TzifParse {
  std::optional<Timezone> zone;
  std::string error;  // set when zone is empty
};

// Parses TZif version 2 or later (the 64-bit section). Pure: the bytes are passed in.
TzifParse parse_tzif(std::string_view bytes, std::string name);

// Hours since 1970-01-01T00:00 *local* time. The seasonal baseline is indexed by this, so "the
// same hour of the week" stays 09:00 local on Monday across DST changes: a spring-forward day
// skips one index, a fall-back day counts one index twice (rates are per measured second, so
// the doubled hour is not a doubled expectation).
std::int64_t local_hour_index(const Timezone& tz, std::int64_t utc_seconds);

// Hour of the week of a local hour index, 0 = Monday 00:00 local.
int hour_of_week(std::int64_t local_hour);

}  // namespace qw::rules
