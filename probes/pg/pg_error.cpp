#include "probes/pg/pg_error.hpp"

#include <algorithm>
#include <array>
#include <pqxx/except>
#include <utility>

namespace qw::probes::pg {

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

FailureReason classify_sqlstate(std::string_view s) {
  if (s == "57014") return FailureReason::query_timeout;  // query_canceled (statement_timeout)
  if (s == "25006") return FailureReason::read_only;      // read_only_sql_transaction
  if (s == "53300") return FailureReason::too_many_connections;
  if (s == "28P01" || s == "28000") return FailureReason::auth_failed;
  if (s == "42P01" || s == "3F000") return FailureReason::undefined_table;  // table / schema
  if (s == "42703") return FailureReason::undefined_column;
  if (s == "42501") return FailureReason::permission_denied;
  // A value the column cannot hold (a state that is no enum label), a type mismatch, or a
  // *_when expression that does not compile: the mapping, not the database, is wrong.
  if (s == "22P02" || s == "42804" || s == "42883" || s == "42601")
    return FailureReason::invalid_mapping;
  if (s == "55P03") return FailureReason::query_timeout;  // lock_not_available (lock_timeout)
  if (s == "57P03") return FailureReason::in_recovery;    // cannot_connect_now: starting up
  // The server ended the session: pg_terminate_backend (57P01), a crash (57P02), or the
  // connection broke (class 08). The connection failed, whatever the query was; like a server
  // going away, the next attempt meets "refused" until it is back.
  if (s == "57P01" || s == "57P02" || s.starts_with("08")) return FailureReason::connection_refused;
  return FailureReason::other;
}

FailureReason classify_connect_message(std::string_view m) {
  // Order matters: the more specific texts first. These are libpq's and the server's own words
  // (PostgreSQL 11..17 keep them stable).
  static constexpr std::array<std::pair<std::string_view, FailureReason>, 25> kPatterns{{
      {"Connection refused", FailureReason::connection_refused},
      {"could not translate host name", FailureReason::dns},
      {"Name or service not known", FailureReason::dns},
      {"Temporary failure in name resolution", FailureReason::dns},
      {"timeout expired", FailureReason::connect_timeout},
      {"Connection timed out", FailureReason::connect_timeout},
      {"password authentication failed", FailureReason::auth_failed},
      {"no pg_hba.conf entry", FailureReason::auth_failed},
      {"authentication failed", FailureReason::auth_failed},
      {"no password supplied", FailureReason::auth_failed},
      {"too many clients", FailureReason::too_many_connections},
      {"too many connections", FailureReason::too_many_connections},
      {"remaining connection slots are reserved", FailureReason::too_many_connections},
      {"is not accepting connections", FailureReason::too_many_connections},  // datallowconn
      {"the database system is starting up", FailureReason::in_recovery},
      {"No route to host", FailureReason::connect_timeout},
      // TLS (libpq 15's fe-secure-openssl.c and fe-connect.c). Under systemd's DynamicUser the
      // home directory is /nonexistent, so sslmode=verify-* without sslrootcert meets the first.
      {"root certificate file", FailureReason::tls},
      {"server certificate for \"", FailureReason::tls},  // ... does not match host name
      {"server does not support SSL, but SSL was required", FailureReason::tls},
      {"SSL error: ", FailureReason::tls},  // certificate verify failed, unsupported protocol
      {"SSL certificate's", FailureReason::tls},
      {"from server certificate", FailureReason::tls},
      {"host name must be specified for a verified SSL connection", FailureReason::tls},
      {"certificate file \"", FailureReason::tls},  // sslcert unreadable
      {"private key file \"", FailureReason::tls},  // sslkey missing, unreadable, too open
  }};
  for (const auto& [text, reason] : kPatterns)
    if (contains(m, text)) return reason;
  if (contains(m, "role \"") && contains(m, "does not exist")) return FailureReason::auth_failed;
  if (contains(m, "the database system is shutting down") ||
      contains(m, "server closed the connection unexpectedly") ||
      contains(m, "terminating connection due to"))
    return FailureReason::connection_refused;  // going away: the next attempt is refused
  return FailureReason::other;
}

std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  constexpr std::string_view kPrefix = "ERROR: ";
  if (out.starts_with(kPrefix)) out.erase(0, kPrefix.size());
  return out;
}

PgError classify(const std::exception& error, bool deadline_hit) {
  if (const auto* pg = dynamic_cast<const PgError*>(&error)) return *pg;
  std::string detail = one_line(error.what());
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    auto reason = classify_sqlstate(sql->sqlstate());
    // libpqxx 6.4 throws insufficient_privilege without its SQLSTATE (tried on PostgreSQL 15: a
    // denied table gives sqlstate() ""; every other class it maps keeps its code): the type is
    // all there is to go by.
    if (sql->sqlstate().empty() && dynamic_cast<const pqxx::insufficient_privilege*>(sql))
      reason = FailureReason::permission_denied;
    if (reason == FailureReason::other && deadline_hit) reason = FailureReason::query_timeout;
    if (reason == FailureReason::other && !sql->sqlstate().empty())
      detail += " (SQLSTATE " + sql->sqlstate() + ")";
    return {reason, detail};
  }
  if (deadline_hit) return {FailureReason::query_timeout, "query deadline exceeded: " + detail};
  if (dynamic_cast<const pqxx::too_many_connections*>(&error))
    return {FailureReason::too_many_connections, detail};
  return {classify_connect_message(detail), detail};
}

}  // namespace qw::probes::pg
