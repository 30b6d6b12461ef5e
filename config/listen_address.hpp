#pragma once
// The HTTP listen address, "host:port" or "[v6addr]:port". Parsed here so a typo fails at load
// time with a line number instead of at bind time with a bare errno.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qw::config {

struct ListenAddress {
  std::string host;        // without brackets; may be a name ("localhost") or an address
  std::uint16_t port = 0;  // 0 asks the kernel for a free port (tests use it)
};

std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace qw::config
