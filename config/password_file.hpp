#pragma once
// A target's password kept in its own file (mode 0600, owned by the service user), so the config
// can be world-readable and checked into version control. The connection code reads it on every
// connect, so an edit to this file is used from the next connection on; the loader reads it once
// to fail early. Under systemd's LoadCredential= the file is a copy made at unit start, so there a
// rotated password needs a restart (docs/configuration.md, "Passwords under systemd").
#include <string>

namespace qw::config {

struct PasswordFileResult {
  std::string password;  // the first line, without its line ending
  std::string error;     // non-empty when the file cannot be used
  bool ok() const { return error.empty(); }
};

PasswordFileResult read_password_file(const std::string& path);

}  // namespace qw::config
