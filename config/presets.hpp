#pragma once
// `preset:` on a queue source: the mapping of a job system's own table, written once here and
// checked against the real library (tests/scripts/*_real.sh) at the version each names. The
// docs show each expansion; tests/unit/config/presets_test.cpp proves they are the same.
#include <span>
#include <string_view>

namespace qw::config {

struct Preset {
  std::string_view name;             // the value of `preset:`
  std::string_view checked_against;  // the library versions the mapping was proven against
  std::string_view default_schema;   // the library's schema; `schema:` on the source replaces it
  // The queue source's keys (all but name and target), as YAML. Keys the source gives itself
  // replace these whole (a `state:` of the source replaces the preset's `state:`).
  std::string_view yaml;
};

std::span<const Preset> presets();
const Preset* find_preset(std::string_view name);

}  // namespace qw::config
