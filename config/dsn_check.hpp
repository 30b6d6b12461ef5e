#pragma once
// Checks a target's connection string with libpq's own parser, so "would libpq accept this?" has
// exactly libpq's answer rather than a look-alike's.
#include <string>

namespace qw::config {

struct DsnCheck {
  std::string error;          // empty when libpq parses the string
  bool has_password = false;  // the string carries a password itself
};

// The error never quotes the string: it may hold a password, and errors end up in logs.
DsnCheck check_dsn(const std::string& dsn);

}  // namespace qw::config
