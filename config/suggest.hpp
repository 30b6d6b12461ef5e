#pragma once
// "Did you mean ...?" for misspelt keys and enum values: a typo should cost the operator one
// glance, not a trip to the documentation.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace qw::config {

std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate when it is close enough to be a plausible typo, else nullopt.
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates);

}  // namespace qw::config
