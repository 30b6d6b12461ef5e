#include "rules/glob.hpp"

namespace qw::rules {
namespace {

// Matches the class starting at pattern[p] ('[') against c; sets `end` past the closing ']'.
// An unclosed '[' is matched literally (the loader already rejects it in config).
bool match_class(std::string_view pattern, std::size_t p, char c, std::size_t& end) {
  std::size_t i = p + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  for (; i < pattern.size() && (first || pattern[i] != ']'); ++i, first = false) {
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      matched = matched || (pattern[i] <= c && c <= pattern[i + 2]);
      i += 2;
    } else {
      matched = matched || pattern[i] == c;
    }
  }
  if (i >= pattern.size()) {  // unclosed: a literal '['
    end = p + 1;
    return c == '[';
  }
  end = i + 1;
  return matched != negate;
}

}  // namespace

// Iterative matching with one backtrack point (the last '*'): linear in practice, and no
// recursion, so a hostile pattern cannot blow the stack.
bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      std::size_t next = p + 1;
      bool ok = false;
      if (pattern[p] == '?') {
        ok = true;
      } else if (pattern[p] == '[') {
        ok = match_class(pattern, p, text[t], next);
      } else {
        ok = pattern[p] == text[t];
      }
      if (ok) {
        p = next;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool is_literal(std::string_view pattern) {
  return pattern.find_first_of("*?[") == std::string_view::npos;
}

}  // namespace qw::rules
