// Failure classification: the reason an on-call engineer reads must match what happened.
#include <gtest/gtest.h>
#include <pqxx/except>

#include "probes/pg/pg_error.hpp"

namespace qw::probes::pg {
namespace {

struct Case {
  const char* message;
  FailureReason expected;
};

TEST(PgError, ClassifiesLibpqConnectMessages) {
  // Real libpq 15 texts.
  const Case cases[] = {
      {"connection to server at \"127.0.0.1\", port 5999 failed: Connection refused\n\tIs the "
       "server running on that host and accepting TCP/IP connections?",
       FailureReason::connection_refused},
      {"could not translate host name \"nope.invalid\" to address: Name or service not known",
       FailureReason::dns},
      {"connection to server at \"10.1.2.3\", port 5432 failed: timeout expired",
       FailureReason::connect_timeout},
      {"connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password "
       "authentication failed for user \"qw\"",
       FailureReason::auth_failed},
      {"FATAL:  no pg_hba.conf entry for host \"10.0.0.9\", user \"qw\", database \"app\"",
       FailureReason::auth_failed},
      {"FATAL:  role \"ghost\" does not exist", FailureReason::auth_failed},
      {"FATAL:  sorry, too many clients already", FailureReason::too_many_connections},
      {"FATAL:  remaining connection slots are reserved for non-replication superuser "
       "connections",
       FailureReason::too_many_connections},
      {"FATAL:  the database system is starting up", FailureReason::in_recovery},
      {"FATAL:  database \"nope\" does not exist", FailureReason::other},
      // TLS: what sslmode=verify-full meets under DynamicUser (HOME=/nonexistent), a server
      // certificate no root vouches for, one for another name, a server with ssl=off.
      {"connection to server at \"127.0.0.1\", port 5432 failed: root certificate file "
       "\"/nonexistent/.postgresql/root.crt\" does not exist\nEither provide the file or change "
       "sslmode to disable server certificate verification.",
       FailureReason::tls},
      {"connection to server at \"127.0.0.1\", port 5432 failed: SSL error: certificate verify "
       "failed",
       FailureReason::tls},
      {"connection to server at \"127.0.0.1\", port 5432 failed: server certificate for "
       "\"db.example\" does not match host name \"127.0.0.1\"",
       FailureReason::tls},
      {"connection to server at \"127.0.0.1\", port 5432 failed: server does not support SSL, "
       "but SSL was required",
       FailureReason::tls},
  };
  for (const auto& c : cases)
    EXPECT_EQ(classify_connect_message(c.message), c.expected) << c.message;
}

TEST(PgError, ClassifiesSqlStates) {
  EXPECT_EQ(classify_sqlstate("57014"), FailureReason::query_timeout);
  EXPECT_EQ(classify_sqlstate("25006"), FailureReason::read_only);
  EXPECT_EQ(classify_sqlstate("53300"), FailureReason::too_many_connections);
  EXPECT_EQ(classify_sqlstate("28P01"), FailureReason::auth_failed);
  EXPECT_EQ(classify_sqlstate("42P01"), FailureReason::undefined_table);
  EXPECT_EQ(classify_sqlstate("42703"), FailureReason::undefined_column);
  EXPECT_EQ(classify_sqlstate("42501"), FailureReason::permission_denied);
  // invalid input value for enum (a state value that is no label): the mapping is wrong.
  EXPECT_EQ(classify_sqlstate("22P02"), FailureReason::invalid_mapping);
  EXPECT_EQ(classify_sqlstate("XX000"), FailureReason::other);
  // The server ended the session (pg_terminate_backend, a crash) or the connection broke.
  EXPECT_EQ(classify_sqlstate("57P01"), FailureReason::connection_refused);
  EXPECT_EQ(classify_sqlstate("57P02"), FailureReason::connection_refused);
  EXPECT_EQ(classify_sqlstate("08006"), FailureReason::connection_refused);
  EXPECT_EQ(classify_connect_message(
                "FATAL: terminating connection due to administrator command server closed the "
                "connection unexpectedly"),
            FailureReason::connection_refused);
}

TEST(PgError, DeadlineTurnsALostConnectionIntoQueryTimeout) {
  const std::runtime_error lost("server closed the connection unexpectedly");
  EXPECT_EQ(classify(lost, /*deadline_hit=*/true).reason(), FailureReason::query_timeout);
  EXPECT_EQ(classify(lost, /*deadline_hit=*/false).reason(), FailureReason::connection_refused);
}

// What libpqxx 6.4 really throws for a denied table: the type, with an empty sqlstate().
TEST(PgError, InsufficientPrivilegeWithoutItsSqlstateIsPermissionDenied) {
  const pqxx::insufficient_privilege denied("ERROR:  permission denied for table jobs\n",
                                            "SELECT 1 FROM jobs");
  ASSERT_TRUE(denied.sqlstate().empty());
  EXPECT_EQ(classify(denied, /*deadline_hit=*/false).reason(), FailureReason::permission_denied);
}

TEST(PgError, OneLineTidiesLibpqText) {
  EXPECT_EQ(one_line("ERROR:  relation \"x\" does not exist\nLINE 1: SELECT\n"),
            "relation \"x\" does not exist LINE 1: SELECT");
}

}  // namespace
}  // namespace qw::probes::pg
