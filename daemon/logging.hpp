#pragma once
// Logging setup and the one rule about what must never reach a log: database passwords.
#include <string>
#include <string_view>

namespace qw::daemon {

// Points spdlog's default logger at stderr at the given level ("trace", "debug", "info",
// "warn", "error", "critical", "off"); throws std::invalid_argument on anything else.
// When stderr is the journal (JOURNAL_STREAM names it) each line starts with its sd-daemon
// priority ("<4>") and
// carries no timestamp or colour: journald adds its own and records the priority, so
// `journalctl -p warning` works. Elsewhere the format is for humans, with timestamps.
void setup_logging(std::string_view level);

// A libpq connection string safe to log: the password of a key/value conninfo
// ("password=secret" -> "password=***") or of a URI ("postgresql://user:secret@host" ->
// "postgresql://user:***@host", and "?password=..."), masked. When in doubt it masks more.
std::string redact_dsn(std::string_view dsn);

}  // namespace qw::daemon
