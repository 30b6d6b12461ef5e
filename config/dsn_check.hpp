#pragma once
// Checks a target's connection string with libpq's own parser, so "would libpq parse this?" has
// exactly libpq's answer rather than a look-alike's; then checks the values libpq itself checks
// only when it connects (port numbers, sslmode, target_session_attrs, integer options, ...), so
// that `port=notaport` or `sslmode=bogus` fails check-config instead of the first connect.
#include <string>

namespace qw::config {

struct DsnCheck {
  std::string error;          // empty when libpq would accept the string
  bool has_password = false;  // the string carries a password itself
};

// The error never quotes the string: it may hold a password, and errors end up in logs.
DsnCheck check_dsn(const std::string& dsn);

}  // namespace qw::config
