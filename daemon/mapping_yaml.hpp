#pragma once
// `check-config --explain`: a queue source as queuewatch reads it, preset expanded and defaults
// filled in, as YAML the operator can paste into `queues:` (it loads back to the same source).
#include <optional>
#include <string>

#include "config/config.hpp"

namespace qw::daemon {

// One `queues:` item, indented for the list ("  - name: ..."). `preset` is the preset the source
// names, if any: a comment then says which library versions it was checked against.
std::string mapping_yaml(const config::QueueConfig& q, const std::optional<std::string>& preset);

}  // namespace qw::daemon
