// The readers the schema rows use (config/schema.hpp): each wraps one read_* of yaml_reader.hpp
// and says how the reference shows its values and its range.
#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "config/duration.hpp"
#include "config/schema.hpp"

namespace qw::config::detail {
namespace {

std::string show_string(const std::string& s) {
  return s;
}

}  // namespace

Reader<Duration> duration_reader(const DurationBounds& bounds) {
  return Reader<Duration>{
      [bounds](Context& ctx, const Value& v) { return read_duration(ctx, v, bounds); },
      [](const Duration& d) { return format_duration(d); },
      fmt::format("{} to {}", format_duration(bounds.min), format_duration(bounds.max))};
}

Reader<std::int64_t> integer_reader(const IntegerBounds& bounds) {
  return Reader<std::int64_t>{
      [bounds](Context& ctx, const Value& v) { return read_integer(ctx, v, bounds); },
      [](const std::int64_t& n) { return std::to_string(n); },
      fmt::format("{} to {}", bounds.min, bounds.max)};
}

Reader<double> real_reader(double min, double max) {
  return Reader<double>{
      [min, max](Context& ctx, const Value& v) -> std::optional<double> {
        std::optional<std::string> s = read_string(ctx, v);
        if (!s) return std::nullopt;
        double x = 0;
        const char* end = s->data() + s->size();
        const auto [ptr, ec] = std::from_chars(s->data(), end, x);
        if (s->empty() || ec != std::errc{} || ptr != end || !std::isfinite(x)) {
          ctx.error(v.path, v.mark, fmt::format("\"{}\" is not a number", *s));
          return std::nullopt;
        }
        if (x < min || x > max) {
          ctx.error(v.path, v.mark, fmt::format("must be between {} and {}, got {}", min, max, *s));
          return std::nullopt;
        }
        return x;
      },
      [](const double& x) { return fmt::format("{}", x); }, fmt::format("{} to {}", min, max)};
}

Reader<bool> bool_reader() {
  return Reader<bool>{[](Context& ctx, const Value& v) { return read_bool(ctx, v); },
                      [](const bool& b) { return std::string(b ? "true" : "false"); },
                      "`true` or `false`"};
}

Reader<std::string> string_reader() {
  return Reader<std::string>{[](Context& ctx, const Value& v) { return read_string(ctx, v); },
                             show_string, ""};
}

Reader<std::string> nonempty_string_reader() {
  return Reader<std::string>{
      [](Context& ctx, const Value& v) { return read_nonempty_string(ctx, v); }, show_string,
      "not empty"};
}

Reader<std::string> identifier_reader() {
  return Reader<std::string>{[](Context& ctx, const Value& v) { return read_identifier(ctx, v); },
                             show_string, "a name of at most 63 bytes"};
}

Reader<std::string> name_reader() {
  return Reader<std::string>{[](Context& ctx, const Value& v) { return read_name(ctx, v); },
                             show_string, "letters, digits, `_`, `.`, `-`"};
}

}  // namespace qw::config::detail
