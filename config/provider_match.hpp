#pragma once
// What the two provider filters of the config mean (probes/provider_status/README.md "Filters"):
// case-insensitive substrings of an incident's components (Statuspage components and groups,
// RSS/Atom categories) or of its title. Here, below both users: the probe applies
// providers[].components (any entry), the rules' correlation targets[].provider_components
// (every entry), and qw_rules does not depend on qw_probes.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace qw::config {

inline bool contains_nocase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  const auto it = std::search(
      haystack.begin(), haystack.end(), needle.begin(), needle.end(),
      [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); });
  return it != haystack.end();
}

// One filter entry against one incident: its title or any of its components.
inline bool entry_matches(std::string_view entry, const std::string& title,
                          const std::vector<std::string>& components) {
  if (contains_nocase(title, entry)) return true;
  return std::any_of(components.begin(), components.end(),
                     [&](const std::string& c) { return contains_nocase(c, entry); });
}

// providers[].components: empty, or any entry matches.
inline bool matches_any(const std::vector<std::string>& filter, const std::string& title,
                        const std::vector<std::string>& components) {
  return filter.empty() || std::any_of(filter.begin(), filter.end(), [&](const std::string& e) {
           return entry_matches(e, title, components);
         });
}

// targets[].provider_components: empty, or every entry matches.
inline bool matches_all(const std::vector<std::string>& filter, const std::string& title,
                        const std::vector<std::string>& components) {
  return std::all_of(filter.begin(), filter.end(),
                     [&](const std::string& e) { return entry_matches(e, title, components); });
}

}  // namespace qw::config
