#pragma once
// The configuration reference generated from the schema rows (config/schema.hpp): per section,
// its keys, their defaults, what they accept and what they mean. docs/configuration.md is tested
// and docs/alerting.md against it (tests/unit/config/reference_docs_test.cpp), so the documented
// keys and defaults are the code's, not a retyped copy.
#include <string>
#include <vector>

namespace qw::config {

struct ReferenceRow {
  std::string key;
  std::string default_value;  // as the docs write it: `5s`, none, required, see below
  std::string accepts;        // bounds or allowed words; may be empty
  std::string doc;            // one line
};

struct ReferenceSection {
  std::string name;  // "http", "queues[]", ...
  std::string doc;   // the page that documents it, from the source tree's root
  // Where the docs hold it. With `generated`, the docs carry `markdown` verbatim between
  // <!-- generated: NAME --> and <!-- end generated: NAME -->; otherwise the first table after
  // the line `heading` has one row per key, in this order, with these defaults (its other
  // columns are prose written for people).
  std::string heading;
  bool generated = false;
  std::vector<ReferenceRow> rows;
  std::string markdown;  // the generated table(s), ending with a newline
};

// Every section described as data, in file order.
std::vector<ReferenceSection> config_reference();

// All of it as one Markdown document (`queuewatch config-reference`): per section a heading
// naming it and the page that explains it, then its table.
std::string reference_markdown();

}  // namespace qw::config
