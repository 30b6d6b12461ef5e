#pragma once
// Turning libpq/libpqxx failures into a FailureReason. The alert that pages on-call names the
// failure ("connection refused", "authentication failed"), so this must never lump failures
// together as "timeout".
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "probes/failure_reason.hpp"

namespace qw::probes::pg {

// A classified failure. Probes throw it, the scheduler and samples carry reason + detail.
class PgError : public std::runtime_error {
 public:
  PgError(FailureReason reason, std::string detail) : std::runtime_error(detail), reason_(reason) {}
  FailureReason reason() const { return reason_; }

 private:
  FailureReason reason_;
};

// From a SQLSTATE (e.g. "57014"); `other` when the code says nothing we name.
FailureReason classify_sqlstate(std::string_view sqlstate);

// From libpq's connection error text, which carries no SQLSTATE for most connect failures.
FailureReason classify_connect_message(std::string_view message);

// Any exception thrown by libpqxx (or PgError itself). `deadline_hit` says our client-side
// deadline fired, which turns the resulting "canceled"/"connection closed" into query_timeout.
PgError classify(const std::exception& error, bool deadline_hit = false);

// libpq messages end with newlines and repeat "ERROR: "; one tidy line for logs and alerts.
std::string one_line(std::string_view message);

}  // namespace qw::probes::pg
