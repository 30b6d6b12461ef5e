// The name a standby's WAL receiver gives its primary, read from pg_stat_wal_receiver.conninfo
// (PQconninfo's words, as PostgreSQL 15.18 shows them): what replica_not_streaming matches the
// primary's pg_stat_replication rows by.
#include <gtest/gtest.h>

#include "probes/postgres_replication/replication_probe.hpp"

namespace qw::probes::replication {
namespace {

TEST(ReplicationConninfo, TheFallbackNameOfPgBasebackupsConninfo) {
  // As read from a standby made with pg_basebackup -R (no application_name in it).
  EXPECT_EQ(application_name_of(
                "user=replicator passfile=/var/lib/postgresql/.pgpass channel_binding=prefer "
                "dbname=replication host=127.0.0.1 port=45231 "
                "fallback_application_name=walreceiver sslmode=prefer sslcompression=0 "
                "sslsni=1 ssl_min_protocol_version=TLSv1.2 gssencmode=prefer "
                "krbsrvname=postgres target_session_attrs=any"),
            "walreceiver");
}

TEST(ReplicationConninfo, AnApplicationNameWins) {
  EXPECT_EQ(application_name_of("user=r application_name=pg-b host=x "
                                "fallback_application_name=walreceiver"),
            "pg-b");
  EXPECT_EQ(application_name_of("fallback_application_name=main application_name=pg-b"), "pg-b");
}

TEST(ReplicationConninfo, QuotedValuesAndNothing) {
  EXPECT_EQ(application_name_of("host=x application_name='standby b' port=5432"), "standby b");
  EXPECT_EQ(application_name_of("application_name='it\\'s' port=1"), "it's");
  EXPECT_EQ(application_name_of("host=x port=5432"), "");
  EXPECT_EQ(application_name_of(""), "");
  // A key that only ends like the one sought is another key.
  EXPECT_EQ(application_name_of("xapplication_name=no fallback_application_name=yes"), "yes");
}

}  // namespace
}  // namespace qw::probes::replication
