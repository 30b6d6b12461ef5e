#pragma once
// A small, strict, bounded XML reader for status feeds (RSS 2.0, Atom 1.0): no XML library is
// linked, and a feed is untrusted input. It reads well-formed XML 1.0 documents into a tree of
// elements (local names: namespace prefixes are dropped, Atom's default namespace needs none),
// and refuses, with a reason, anything it does not need: a DOCTYPE (entity declarations are how
// "billion laughs" expands a small document), entities other than the five predefined ones and
// character references, mismatched tags, more than one root, text outside the root. Depth and
// element count are bounded, and every step moves forward: input of n bytes takes O(n) time.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qw::probes::provider {

struct XmlElement {
  std::string name;  // local name: "entry" for <atom:entry>
  std::vector<std::pair<std::string, std::string>> attributes;  // local names, decoded values
  std::string text;  // the element's own character data (CDATA included), children's excluded
  std::vector<XmlElement> children;

  const XmlElement* child(std::string_view local_name) const;
  std::vector<const XmlElement*> children_named(std::string_view local_name) const;
  std::optional<std::string> attribute(std::string_view local_name) const;
};

struct XmlLimits {
  std::size_t max_depth = 32;
  std::size_t max_elements = 50000;
};

struct XmlParse {
  std::optional<XmlElement> root;
  std::string error;  // "line 3: mismatched end tag </item>, expected </title>"
};

XmlParse parse_xml(std::string_view document, const XmlLimits& limits = {});

}  // namespace qw::probes::provider
