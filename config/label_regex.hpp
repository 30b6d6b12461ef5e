#pragma once
// The regular expressions of `=~` and `!~` matchers, compiled with RE2 exactly as Alertmanager
// compiles them with Go's regexp (the same RE2 syntax: `(?i)`, `\pL`, no backreferences), and
// matched against the WHOLE label value, as Alertmanager's "^(?:re)$" does.
//
// Both the pattern (config) and the text (label values, which come from table data) may be
// hostile: RE2 matches in time linear in the text, without recursion, and the pattern's size is
// bounded here, so neither a deeply nested pattern nor a 30 000-character queue name can crash or
// stall the daemon. The config loader and alerts::Matcher share this one definition, so a pattern
// the loader accepts is exactly a pattern the matcher can compile.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace qw::config {

// Longer patterns are refused: matchers name a few alerts or queues, and a bound keeps the
// parse cheap and the error readable (a 30 000-group "bomb" is 60 KB).
inline constexpr std::size_t kMaxRegexBytes = 4096;
// RE2's memory budget per compiled pattern (program and DFA cache); a pattern whose program
// does not fit, such as \pL{100}, is refused at load. 1 MiB holds tens of thousands of
// instructions, far beyond any realistic matcher.
inline constexpr std::int64_t kRegexMaxMemBytes = 1 << 20;

class LabelRegex {
 public:
  // Compiles `pattern`; never throws and never logs. Check ok() before use.
  explicit LabelRegex(std::string_view pattern);

  bool ok() const { return error_.empty(); }
  // Why the pattern was refused, in words for a config error ("" when ok()).
  const std::string& error() const { return error_; }
  // Whether the whole of `value` matches; false when !ok().
  bool matches(std::string_view value) const;

 private:
  std::shared_ptr<const re2::RE2> re_;  // shared: compiled once, Matchers are copied around
  std::string error_;
};

}  // namespace qw::config
