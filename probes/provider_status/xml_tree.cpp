#include "probes/provider_status/xml_tree.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace qw::probes::provider {

const XmlElement* XmlElement::child(std::string_view local_name) const {
  for (const auto& c : children)
    if (c.name == local_name) return &c;
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::children_named(std::string_view local_name) const {
  std::vector<const XmlElement*> out;
  for (const auto& c : children)
    if (c.name == local_name) out.push_back(&c);
  return out;
}

std::optional<std::string> XmlElement::attribute(std::string_view local_name) const {
  for (const auto& [key, value] : attributes)
    if (key == local_name) return value;
  return std::nullopt;
}

namespace {

struct Failure {
  std::string what;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// XML names are wider than this (any non-ASCII letter); bytes >= 0x80 are let through as part of
// a name, which accepts every well-formed name and a few ill-formed ones: harmless, as names are
// only compared with the handful the feed formats use.
bool is_name_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':' || c == '-' || c == '.' || u >= 0x80;
}

std::string_view local(std::string_view name) {
  const auto colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Reader {
 public:
  Reader(std::string_view doc, const XmlLimits& limits) : doc_(doc), limits_(limits) {}

  XmlElement document() {
    skip_prolog();
    if (at_end() || peek() != '<') fail("no root element");
    XmlElement root = element(1);
    skip_misc();
    if (!at_end()) fail("content after the root element");
    return root;
  }

  std::size_t line() const {
    std::size_t n = 1;
    for (std::size_t i = 0; i < pos_ && i < doc_.size(); ++i)
      if (doc_[i] == '\n') ++n;
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& what) { throw Failure{what}; }
  bool at_end() const { return pos_ >= doc_.size(); }
  char peek() const { return doc_[pos_]; }
  bool starts_with(std::string_view s) const { return doc_.substr(pos_).starts_with(s); }
  void skip_spaces() {
    while (!at_end() && is_space(peek())) ++pos_;
  }

  // Skips past the next `end`, failing with `what` when there is none.
  void skip_past(std::string_view end, const char* what) {
    const auto found = doc_.find(end, pos_);
    if (found == std::string_view::npos) fail(what);
    pos_ = found + end.size();
  }

  // Whitespace, comments and processing instructions, where markup may stand between elements.
  void skip_misc() {
    for (;;) {
      skip_spaces();
      if (starts_with("<!--")) {
        pos_ += 4;
        skip_past("-->", "unterminated comment");
      } else if (starts_with("<?")) {
        pos_ += 2;
        skip_past("?>", "unterminated processing instruction");
      } else {
        return;
      }
    }
  }

  void skip_prolog() {
    if (starts_with("\xEF\xBB\xBF")) pos_ += 3;  // a UTF-8 byte order mark
    skip_misc();
    if (starts_with("<!DOCTYPE") || starts_with("<!doctype"))
      fail("a DOCTYPE is not accepted (entity declarations could expand without bound)");
  }

  std::string name() {
    const std::size_t start = pos_;
    while (!at_end() && is_name_char(peek())) ++pos_;
    if (pos_ == start) fail("expected a name");
    return std::string(doc_.substr(start, pos_ - start));
  }

  // After '&': one of the five predefined entities or a character reference.
  void reference(std::string& out) {
    const auto semi = doc_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) fail("malformed entity reference");
    const std::string_view ref = doc_.substr(pos_, semi - pos_);
    pos_ = semi + 1;
    if (ref == "lt") {
      out += '<';
    } else if (ref == "gt") {
      out += '>';
    } else if (ref == "amp") {
      out += '&';
    } else if (ref == "quot") {
      out += '"';
    } else if (ref == "apos") {
      out += '\'';
    } else if (ref.size() >= 2 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) fail("malformed character reference");
      std::uint32_t cp = 0;
      for (char c : digits) {
        std::uint32_t d = 0;
        if (c >= '0' && c <= '9') {
          d = static_cast<std::uint32_t>(c - '0');
        } else if (hex && c >= 'a' && c <= 'f') {
          d = static_cast<std::uint32_t>(c - 'a' + 10);
        } else if (hex && c >= 'A' && c <= 'F') {
          d = static_cast<std::uint32_t>(c - 'A' + 10);
        } else {
          fail("malformed character reference");
        }
        cp = cp * (hex ? 16 : 10) + d;
        if (cp > 0x10FFFF) fail("character reference out of range");
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) fail("character reference out of range");
      append_utf8(out, cp);
    } else {
      fail(fmt::format("undeclared entity &{};", std::string(ref.substr(0, 12))));
    }
  }

  std::string attribute_value() {
    if (at_end() || (peek() != '"' && peek() != '\'')) fail("attribute value without quotes");
    const char quote = peek();
    ++pos_;
    std::string value;
    for (;;) {
      if (at_end()) fail("unterminated attribute value");
      const char c = peek();
      if (c == quote) {
        ++pos_;
        return value;
      }
      if (c == '<') fail("'<' in an attribute value");
      ++pos_;
      if (c == '&') {
        reference(value);
      } else {
        value += c;
      }
    }
  }

  XmlElement element(std::size_t depth) {
    if (depth > limits_.max_depth) fail(fmt::format("nested deeper than {}", limits_.max_depth));
    if (++elements_ > limits_.max_elements)
      fail(fmt::format("more than {} elements", limits_.max_elements));
    ++pos_;  // '<'
    const std::string qname = name();
    XmlElement e;
    e.name = std::string(local(qname));
    for (;;) {
      const std::size_t before = pos_;
      skip_spaces();
      if (at_end()) fail("unterminated start tag <" + qname + ">");
      if (starts_with("/>")) {
        pos_ += 2;
        return e;
      }
      if (peek() == '>') {
        ++pos_;
        break;
      }
      if (pos_ == before) fail("expected whitespace between attributes");
      std::string attr = name();
      skip_spaces();
      if (at_end() || peek() != '=') fail("attribute " + attr + " without a value");
      ++pos_;
      skip_spaces();
      std::string value = attribute_value();
      if (attr != "xmlns" && !attr.starts_with("xmlns:"))
        e.attributes.emplace_back(std::string(local(attr)), std::move(value));
    }
    content(e, qname, depth);
    return e;
  }

  void content(XmlElement& e, const std::string& qname, std::size_t depth) {
    for (;;) {
      if (at_end()) fail("unterminated element <" + qname + ">");
      const char c = peek();
      if (c == '&') {
        ++pos_;
        reference(e.text);
      } else if (c != '<') {
        const auto next = doc_.find_first_of("<&", pos_);
        const std::size_t end = next == std::string_view::npos ? doc_.size() : next;
        e.text.append(doc_.substr(pos_, end - pos_));
        pos_ = end;
      } else if (starts_with("</")) {
        pos_ += 2;
        const std::string closing = name();
        skip_spaces();
        if (at_end() || peek() != '>') fail("malformed end tag </" + closing + ">");
        ++pos_;
        if (closing != qname)
          fail("mismatched end tag </" + closing + ">, expected </" + qname + ">");
        return;
      } else if (starts_with("<![CDATA[")) {
        pos_ += 9;
        const auto end = doc_.find("]]>", pos_);
        if (end == std::string_view::npos) fail("unterminated CDATA section");
        e.text.append(doc_.substr(pos_, end - pos_));
        pos_ = end + 3;
      } else if (starts_with("<!--")) {
        pos_ += 4;
        skip_past("-->", "unterminated comment");
      } else if (starts_with("<?")) {
        pos_ += 2;
        skip_past("?>", "unterminated processing instruction");
      } else if (starts_with("<!")) {
        fail("markup declaration inside an element");
      } else {
        e.children.push_back(element(depth + 1));
      }
    }
  }

  std::string_view doc_;
  XmlLimits limits_;
  std::size_t pos_ = 0;
  std::size_t elements_ = 0;
};

}  // namespace

XmlParse parse_xml(std::string_view document, const XmlLimits& limits) {
  Reader reader(document, limits);
  XmlParse out;
  try {
    out.root = reader.document();
  } catch (const Failure& f) {
    out.error = fmt::format("line {}: {}", reader.line(), f.what);
  }
  return out;
}

}  // namespace qw::probes::provider
