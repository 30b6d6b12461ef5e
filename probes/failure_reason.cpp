#include "probes/failure_reason.hpp"

namespace qw::probes {

namespace {
struct ReasonText {
  FailureReason reason;
  std::string_view label;
  std::string_view words;
};

constexpr ReasonText kTexts[] = {
    {FailureReason::none, "none", "ok"},
    {FailureReason::connection_refused, "connection_refused", "connection refused"},
    {FailureReason::dns, "dns", "host name does not resolve"},
    {FailureReason::connect_timeout, "connect_timeout", "connection timed out"},
    {FailureReason::auth_failed, "auth_failed", "authentication failed"},
    {FailureReason::tls, "tls", "TLS to the database failed"},
    {FailureReason::too_many_connections, "too_many_connections", "too many connections"},
    {FailureReason::read_only, "read_only", "database is read-only"},
    {FailureReason::in_recovery, "in_recovery", "database is in recovery (a standby)"},
    {FailureReason::not_in_recovery, "not_in_recovery",
     "database is not in recovery (a primary, not a replica)"},
    {FailureReason::no_primary, "no_primary", "no member of the cluster is primary"},
    {FailureReason::query_timeout, "query_timeout", "query timed out"},
    {FailureReason::undefined_table, "undefined_table", "table does not exist"},
    {FailureReason::undefined_column, "undefined_column", "column does not exist"},
    {FailureReason::permission_denied, "permission_denied", "permission denied"},
    {FailureReason::invalid_mapping, "invalid_mapping", "the mapping does not fit the table"},
    {FailureReason::other, "other", "error"},
};
}  // namespace

std::string_view to_string(FailureReason reason) {
  for (const auto& t : kTexts)
    if (t.reason == reason) return t.label;
  return "other";
}

std::string_view describe(FailureReason reason) {
  for (const auto& t : kTexts)
    if (t.reason == reason) return t.words;
  return "error";
}

std::optional<FailureReason> parse_failure_reason(std::string_view text) {
  for (const auto& t : kTexts)
    if (t.label == text) return t.reason;
  return std::nullopt;
}

}  // namespace qw::probes
