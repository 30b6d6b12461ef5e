#pragma once
// The libpq connection string queuewatch actually uses: the operator's DSN plus the settings
// that keep a monitor from hanging (connect_timeout, TCP keepalives, tcp_user_timeout) and the
// password from password_file, read at each connect so an edit to that file is picked up (under
// systemd's LoadCredential= the file is a copy made at unit start: a rotation needs a restart).
#include <optional>
#include <string>

#include "config/config.hpp"

namespace qw::probes::pg {

// Throws std::runtime_error naming the file when password_file cannot be read.
std::string build_conninfo(const config::TargetConfig& target);

// Conninfo keys are appended differently to URIs (?k=v&...) and key=value strings.
std::string append_conninfo_param(const std::string& dsn, const std::string& key,
                                  const std::string& value);

// Host and port as the alert text names them ("10.0.0.5:5432"), never the password.
std::string describe_endpoint(const std::string& dsn);

}  // namespace qw::probes::pg
