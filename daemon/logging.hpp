#pragma once
// Logging setup and the one rule about what must never reach a log: database passwords.
#include <string>
#include <string_view>

#include "daemon/log_format.hpp"

namespace qw::daemon {

// Points spdlog's default logger at stderr at the given level ("trace", "debug", "info",
// "warn", "error", "critical", "off"); throws std::invalid_argument on anything else.
// When stderr is the journal (JOURNAL_STREAM names it) each line starts with its sd-daemon
// priority ("<4>") and
// carries no timestamp or colour: journald adds its own and records the priority, so
// `journalctl -p warning` works. Elsewhere the format is for humans, with timestamps.
// FORMAT logfmt or json: one structured line per event instead (see log_format.hpp).
void setup_logging(std::string_view level, LogFormat format = LogFormat::text);

// SIGHUP: the same settings applied to the running logger (from any thread, while others log).
// Throws std::invalid_argument on an unknown level, changing nothing.
void apply_log_settings(std::string_view level, LogFormat format);

// A libpq connection string safe to log: the password of a key/value conninfo
// ("password=secret" -> "password=***") or of a URI ("postgresql://user:secret@host" ->
// "postgresql://user:***@host", and "?password=..."), masked. When in doubt it masks more.
std::string redact_dsn(std::string_view dsn);

}  // namespace qw::daemon
