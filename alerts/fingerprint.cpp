#include "alerts/fingerprint.hpp"

#include <cstdint>
#include <string_view>

namespace qw::alerts {
namespace {

constexpr std::uint64_t kOffsetBasis = 14695981039346656037ULL;
constexpr std::uint64_t kPrime = 1099511628211ULL;
// 0xff never occurs in UTF-8, so no two label sets share a byte stream: {a="b,c"} and
// {a="b", c=""} hash different bytes (Prometheus uses the same separator).
constexpr unsigned char kSeparator = 0xff;

void mix(std::uint64_t& hash, unsigned char byte) {
  hash ^= byte;
  hash *= kPrime;
}

void mix(std::uint64_t& hash, std::string_view text) {
  for (char c : text) mix(hash, static_cast<unsigned char>(c));
  mix(hash, kSeparator);
}

std::string to_hex(std::uint64_t hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[hash & 0xf];
    hash >>= 4;
  }
  return out;
}

}  // namespace

std::string fingerprint(const Labels& labels) {
  // Labels is a std::map: iteration is sorted by name, so insertion order cannot matter.
  std::uint64_t hash = kOffsetBasis;
  for (const auto& [name, value] : labels) {
    mix(hash, name);
    mix(hash, value);
  }
  return to_hex(hash);
}

std::string fingerprint_text(std::string_view text) {
  std::uint64_t hash = kOffsetBasis;
  mix(hash, text);
  return to_hex(hash);
}

}  // namespace qw::alerts
