#include "config/label_regex.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

namespace qw::config {

LabelRegex::LabelRegex(std::string_view pattern) {
  if (pattern.size() > kMaxRegexBytes) {
    error_ = fmt::format("is {} bytes long; a matcher's regular expression may have at most {}",
                         pattern.size(), kMaxRegexBytes);
    return;
  }
  RE2::Options options;
  // RE2 would print its errors to stderr itself; the loader reports them with file:line:column.
  options.set_log_errors(false);
  options.set_max_mem(kRegexMaxMemBytes);
  // Compiled alone, not inside "^(?:...)$": a pattern such as "a)|(b" would otherwise escape the
  // wrapping group. FullMatch anchors at both ends, which is what the wrapping means.
  auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (re->ok()) {
    re_ = std::move(re);
    return;
  }
  if (re->error_code() == RE2::ErrorPatternTooLarge) {
    error_ = fmt::format(
        "is not a valid regular expression: it compiles to more than RE2's {} KiB budget (large "
        "counted repetitions such as \\pL{{100}} do); simplify it",
        kRegexMaxMemBytes / 1024);
  } else {
    error_ = fmt::format("is not a valid regular expression: {}", re->error());
  }
}

bool LabelRegex::matches(std::string_view value) const {
  if (!re_) return false;
  return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *re_);
}

}  // namespace qw::config
