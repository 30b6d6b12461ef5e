// Fuzzes the outbox record codec (alerts::decode_record): a body that passed its CRC can still be
// anything an older or newer version, or a damaged disk that kept the CRC, wrote. Decoding must
// give a record or std::nullopt, never crash or throw.
//
// What decodes must survive a round trip: encoding it and decoding that gives the same encoding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "alerts/outbox_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  const auto record = qw::alerts::decode_record(body);
  if (!record) return 0;
  const std::string encoded = qw::alerts::encode_record(*record);
  const auto decoded = qw::alerts::decode_record(encoded);
  if (!decoded) __builtin_trap();
  if (qw::alerts::encode_record(*decoded) != encoded) __builtin_trap();
  return 0;
}
