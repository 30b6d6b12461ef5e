#pragma once
// The alert state file: the AlertBook's alerts and the planner's delivery records, as JSON, so
// a restart (deploy, crash, kill -9) neither pages again for what was already notified nor
// restarts a pending alert's `for` clock. Encoding and decoding are pure; the file I/O is the two
// small functions at the bottom.
//
// Format (version 1): {"version":1,"alerts":[...],"deliveries":[...]}, times as Unix
// milliseconds. A newer version or a damaged file is rejected whole: starting empty re-pages
// what is still firing, which is safer than trusting half a file.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert.hpp"
#include "alerts/notification_planner.hpp"

namespace qw::alerts {

struct PersistedState {
  std::vector<Alert> alerts;
  std::vector<DeliveryRecord> deliveries;
};

std::string encode_state(const PersistedState& state);
// nullopt and `error` set when the text is not a state file this version understands. An entry
// that parses but holds an impossible value (a time outside 2000..2200, a negative or
// decade-long duration) is skipped alone, described in `skipped` when given.
std::optional<PersistedState> decode_state(std::string_view text, std::string& error,
                                           std::vector<std::string>* skipped = nullptr);

struct LoadedState {
  PersistedState state;  // empty when the file is missing or unusable
  std::string problem;   // non-empty: what to log (the daemon still starts, with empty state,
                         // or without the skipped entries)
};

// A missing file is a first start, not a problem. A damaged one is renamed to "<path>.corrupt"
// (kept for a post-mortem, and so the next save does not destroy the evidence).
LoadedState load_state_file(const std::string& path);

// Write to "<path>.tmp", fsync, rename over `path`, fsync the directory: after a crash the file
// is either the old state or the new one, never a torn mix. Returns an error message, or "".
std::string save_state_file(const std::string& path, const PersistedState& state);

}  // namespace qw::alerts
