#pragma once
// Why a probe could not observe. A fixed set, so alerts and dashboards can name the failure
// precisely ("connection refused", not "timeout") and metrics keep a bounded label set.
#include <array>
#include <optional>
#include <string_view>

namespace qw::probes {

enum class FailureReason {
  none,                  // the probe observed successfully
  connection_refused,    // nothing listens on the port (server down, wrong port)
  dns,                   // the host name does not resolve
  connect_timeout,       // TCP or startup did not finish within connect_timeout
  auth_failed,           // password, pg_hba or role rejected
  tls,                   // TLS could not be set up: no root certificate to verify the server
                         // with, a certificate that does not verify or match the host name, a
                         // server without SSL when sslmode requires it
  too_many_connections,  // max_connections or a role/database limit reached
  read_only,             // a primary that answers but refuses writes
  in_recovery,           // a primary that is really a standby (failover, misrouting)
  not_in_recovery,       // an expected replica that accepts writes (promoted, misrouted)
  no_primary,            // a cluster's source: no member is primary now (docs/clusters.md)
  query_timeout,         // statement_timeout or our client-side deadline cancelled a query
  undefined_table,       // the configured table does not exist
  undefined_column,      // a configured column does not exist
  permission_denied,     // the monitoring role may not read the table
  invalid_mapping,       // the mapping does not fit the table: a state value that is not an enum
                         // label, a column of the wrong type, a *_when that does not compile
  other,                 // anything else; the detail message says what
};

inline constexpr std::array kAllFailureReasons = {
    FailureReason::connection_refused,
    FailureReason::dns,
    FailureReason::connect_timeout,
    FailureReason::auth_failed,
    FailureReason::tls,
    FailureReason::too_many_connections,
    FailureReason::read_only,
    FailureReason::in_recovery,
    FailureReason::not_in_recovery,
    FailureReason::no_primary,
    FailureReason::query_timeout,
    FailureReason::undefined_table,
    FailureReason::undefined_column,
    FailureReason::permission_denied,
    FailureReason::invalid_mapping,
    FailureReason::other,
};

// The snake_case label value, e.g. "connection_refused".
std::string_view to_string(FailureReason reason);
// Human words for alert text, e.g. "connection refused".
std::string_view describe(FailureReason reason);
std::optional<FailureReason> parse_failure_reason(std::string_view text);

}  // namespace qw::probes
