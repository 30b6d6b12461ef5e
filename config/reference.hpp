#pragma once
// The configuration reference generated from the schema rows (config/schema.hpp): per section, a
// Markdown table of its keys, their defaults, what they accept and what they mean. The copy in
// docs/configuration.md is checked against it (tests/unit/config/reference_docs_test.cpp), so
// the documented defaults and accepted keys are the code's, not a retyped copy.
#include <string>
#include <string_view>
#include <vector>

namespace qw::config {

struct ReferenceSection {
  std::string name;      // "rules", "http", ...: the marker names it in the docs
  std::string markdown;  // the generated table(s), ending with a newline
};

// Every section described as data, in file order.
std::vector<ReferenceSection> config_reference();

}  // namespace qw::config
