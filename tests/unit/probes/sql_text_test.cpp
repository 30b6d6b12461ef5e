#include <gtest/gtest.h>

#include "probes/pg/sql_text.hpp"

namespace qw::probes::pg {
namespace {

TEST(SqlText, QuoteIdentDoublesQuotes) {
  EXPECT_EQ(quote_ident("jobs"), "\"jobs\"");
  EXPECT_EQ(quote_ident("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quote_ident("x; DROP TABLE y; --"), "\"x; DROP TABLE y; --\"");
  EXPECT_THROW(quote_ident(""), std::invalid_argument);
  EXPECT_THROW(quote_ident(std::string("a\0b", 3)), std::invalid_argument);
}

TEST(SqlText, ArrayLiteralEscapesQuotesAndBackslashes) {
  EXPECT_EQ(array_literal({}), "{}");
  EXPECT_EQ(array_literal({"a", "b c"}), R"({"a","b c"})");
  EXPECT_EQ(array_literal({"x\"y", "back\\slash", "{,}"}), R"({"x\"y","back\\slash","{,}"})");
}

}  // namespace
}  // namespace qw::probes::pg
