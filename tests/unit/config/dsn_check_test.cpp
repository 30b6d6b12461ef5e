// Connection strings libpq parses but refuses at connect time (issue 7: `port=notaport` and
// `sslmode=bogus` passed check-config) are refused at load, with libpq 15's accepted values.
#include "config/dsn_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace qw::config::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string error_of(const std::string& dsn) {
  return check_dsn(dsn).error;
}

TEST(DsnCheck, AcceptsWhatLibpqAccepts) {
  for (const char* dsn : {
           "host=db port=5432 dbname=app",
           "host=a,b,c port=5432",
           "host=a,b port=5432,5433 target_session_attrs=read-write",
           "host=a,b port=,5433",
           "port=' 5432 '",
           "sslmode=verify-full sslrootcert=/etc/ca.pem",
           "sslmode=disable gssencmode=disable channel_binding=prefer",
           "target_session_attrs=prefer-standby",
           "ssl_min_protocol_version=TLSv1.2 ssl_max_protocol_version=TLSv1.3",
           "connect_timeout=10 keepalives=1 keepalives_idle=30 tcp_user_timeout=0",
           "sslmode=",
           "postgresql://u@db:6543/app?sslmode=require&target_session_attrs=any",
           "postgresql://db1:5432,db2:5433/app",
           "hostaddr=10.0.0.1,10.0.0.2 host=a,b port=5432",
       }) {
    EXPECT_EQ(error_of(dsn), "") << dsn;
  }
}

TEST(DsnCheck, RefusesValuesLibpqRefusesAtConnect) {
  const std::pair<const char*, const char*> cases[] = {
      {"host=db port=notaport", "port=\"notaport\" is not a port number (1 to 65535)"},
      {"host=db port=0", "port=\"0\" is not a port number"},
      {"host=db port=65536", "port=\"65536\" is not a port number"},
      {"host=db port=-1", "port=\"-1\" is not a port number"},
      {"host=db port=54x32", "port=\"54x32\""},
      {"postgresql://db:notaport/app", "port=\"notaport\""},
      {"host=a,b port=5432,x", "port=\"x\""},
      {"host=db sslmode=bogus", "sslmode=\"bogus\" is not a value libpq accepts"},
      {"host=db sslmode=VERIFY-FULL", "sslmode=\"VERIFY-FULL\""},
      {"postgresql://db/app?sslmode=bogus", "sslmode=\"bogus\""},
      {"host=db gssencmode=always", "gssencmode=\"always\""},
      {"host=db channel_binding=yes", "channel_binding=\"yes\""},
      {"host=db target_session_attrs=master", "target_session_attrs=\"master\""},
      {"host=db ssl_min_protocol_version=TLSv1.4", "ssl_min_protocol_version=\"TLSv1.4\""},
      {"host=db connect_timeout=ten", "connect_timeout=\"ten\" is not an integer"},
      {"host=db connect_timeout=99999999999", "connect_timeout=\"99999999999\""},
      {"host=db keepalives_idle=1.5", "keepalives_idle=\"1.5\""},
      {"host=a,b,c port=1,2", "2 port numbers cannot be matched to 3 hosts"},
      {"host=a,b hostaddr=10.0.0.1", "host and hostaddr list different numbers"},
  };
  for (const auto& [dsn, expected] : cases) {
    EXPECT_THAT(error_of(dsn), HasSubstr(expected)) << dsn;
  }
}

TEST(DsnCheck, NeverQuotesThePassword) {
  const DsnCheck r = check_dsn("host=db password=hunter2 sslmode=bogus");
  EXPECT_TRUE(r.has_password);
  EXPECT_THAT(r.error, HasSubstr("sslmode"));
  EXPECT_THAT(r.error, Not(HasSubstr("hunter2")));
}

// Through the loader: the key path and the dsn's line:column, as for every other error.
TEST_F(ConfigTest, DsnThatLibpqRefusesAtConnectFailsTheLoad) {
  const LoadResult r = load(
      "targets:\n"
      "  - name: a\n"
      "    dsn: host=db port=notaport\n"  // 3
      "    region: eu\n"
      "  - name: b\n"
      "    region: eu\n"
      "    dsn: 'host=db sslmode=bogus'\n");  // 7
  const ConfigError port = error_at(r, "targets[0].dsn");
  EXPECT_EQ(port.line, 3);
  EXPECT_EQ(port.column, 10);
  EXPECT_THAT(port.message, HasSubstr("libpq would refuse this connection string: port="));
  const ConfigError ssl = error_at(r, "targets[1].dsn");
  EXPECT_EQ(ssl.line, 7);
  EXPECT_THAT(ssl.message, HasSubstr("sslmode=\"bogus\""));
}

}  // namespace
}  // namespace qw::config::test
