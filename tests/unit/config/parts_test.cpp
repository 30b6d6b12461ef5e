// The small parsers the loader is built from.
#include <gtest/gtest.h>

#include "config/listen_address.hpp"
#include "config/suggest.hpp"
#include "config/table_name.hpp"

namespace qw::config {
namespace {

TEST(ListenAddress, AcceptsHostPortAndBracketedIpv6) {
  auto v4 = parse_listen_address("127.0.0.1:9187");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9187);
  auto v6 = parse_listen_address("[::1]:9187");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(parse_listen_address("localhost:0")->port, 0);
}

TEST(ListenAddress, RejectsWhatBindWouldMisread) {
  for (const char* bad : {"", "9187", ":9187", "localhost", "localhost:", "::1:9187", "[::1]9187",
                          "[]:80", "host:65536", "host:80x", "host:-1"}) {
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
  }
}

TEST(TableName, SplitsOnTheFirstUnquotedDot) {
  auto plain = split_table_name("Jobs");
  ASSERT_TRUE(plain.name);
  EXPECT_EQ(plain.name->schema, "public");
  EXPECT_EQ(plain.name->table, "jobs");
  auto quoted = split_table_name(R"("My ""Q"" Schema".jobs)");
  ASSERT_TRUE(quoted.name) << quoted.error;
  EXPECT_EQ(quoted.name->schema, R"(My "Q" Schema)");
  EXPECT_EQ(quoted.name->table, "jobs");
}

TEST(TableName, RejectsMalformedNames) {
  for (const char* bad : {"", ".", "a.", ".b", "a.b.c", "\"open", "\"\"", "a\"b\"", "\"a\"b",
                          "x123456789012345678901234567890123456789012345678901234567890123"}) {
    EXPECT_FALSE(split_table_name(bad).name) << bad;
  }
}

TEST(Suggest, FindsPlausibleTyposOnly) {
  constexpr std::string_view keys[] = {"interval", "query_timeout", "max_backoff"};
  EXPECT_EQ(closest_match("intervall", keys), "interval");
  EXPECT_EQ(closest_match("query_timout", keys), "query_timeout");
  EXPECT_EQ(closest_match("colour", keys), std::nullopt);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace qw::config
