#pragma once
// Shell-style globs over queue and source names: `*` any run, `?` one character, `[abc]`,
// `[a-z]` and `[!abc]` one of (or none of) a set. Names are plain bytes; no path semantics.
#include <string_view>

namespace qw::rules {

bool glob_match(std::string_view pattern, std::string_view text);

// True when the pattern has no wildcard: it names exactly one queue.
bool is_literal(std::string_view pattern);

}  // namespace qw::rules
