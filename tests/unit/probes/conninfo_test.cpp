#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "probes/pg/conninfo.hpp"

namespace qw::probes::pg {
namespace {

TEST(Conninfo, AppendsToKeyValueAndUriForms) {
  EXPECT_EQ(append_conninfo_param("host=db", "connect_timeout", "3"),
            "host=db connect_timeout='3'");
  EXPECT_EQ(append_conninfo_param("postgresql://db/app", "connect_timeout", "3"),
            "postgresql://db/app?connect_timeout=3");
  EXPECT_EQ(append_conninfo_param("postgresql://db/app?sslmode=require", "password", "p@ss w"),
            "postgresql://db/app?sslmode=require&password=p%40ss%20w");
  EXPECT_EQ(append_conninfo_param("host=db", "password", "it's\\"),
            "host=db password='it\\'s\\\\'");
}

TEST(Conninfo, ConnectTimeoutIsWholeSecondsAtLeastTwo) {
  config::TargetConfig t;
  t.dsn = "host=db";
  t.connect_timeout = std::chrono::milliseconds(500);
  EXPECT_NE(build_conninfo(t).find("connect_timeout='2'"), std::string::npos);
  t.connect_timeout = std::chrono::milliseconds(3500);
  EXPECT_NE(build_conninfo(t).find("connect_timeout='4'"), std::string::npos);
}

TEST(Conninfo, PasswordFileIsReadAtConnectTime) {
  const std::string path = ::testing::TempDir() + "/qw_pass";
  std::ofstream(path) << "s3cret\n";
  config::TargetConfig t;
  t.dsn = "host=db";
  t.password_file = path;
  EXPECT_NE(build_conninfo(t).find("password='s3cret'"), std::string::npos);
  std::remove(path.c_str());
  EXPECT_THROW(build_conninfo(t), std::runtime_error);
}

TEST(Conninfo, DescribesEndpointWithoutSecrets) {
  EXPECT_EQ(describe_endpoint("host=10.0.0.5 port=6432 password=x"), "10.0.0.5:6432");
  EXPECT_EQ(describe_endpoint("postgresql://u:secret@db.example:5433/app"), "db.example:5433");
  EXPECT_EQ(describe_endpoint("dbname=app"), "localhost:5432");
}

}  // namespace
}  // namespace qw::probes::pg
