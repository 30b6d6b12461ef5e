// targets[].facts_query's rows: the shape checked, the rows capped, and the rows that cannot be
// compared (NULL, a name that is no label name, a long value, a name given twice) left out and
// counted, never read as a value.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "probes/pg/pg_error.hpp"
#include "probes/postgres_health/facts_query.hpp"

namespace qw::probes::health {
namespace {

using Facts = std::map<std::string, std::string>;

FactRow row(std::optional<std::string> name, std::optional<std::string> value) {
  return FactRow{std::move(name), std::move(value)};
}

TEST(FactsQuery, ReadsNameValueRows) {
  const auto f = read_fact_rows(2, {row("tier", "GP_Gen5_8"), row("vcpu", "8")});
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.facts, (Facts{{"tier", "GP_Gen5_8"}, {"vcpu", "8"}}));
  EXPECT_EQ(f.rejected_rows, 0U);
  EXPECT_TRUE(read_fact_rows(2, {}).ok) << "no rows: a query that knows nothing, not a failure";
}

TEST(FactsQuery, AnotherNumberOfColumnsIsAFailure) {
  for (std::size_t columns : {0U, 1U, 3U}) {
    const auto f = read_fact_rows(columns, {});
    EXPECT_FALSE(f.ok);
    EXPECT_EQ(f.failure, FactsFailure::wrong_columns);
    EXPECT_NE(f.detail.find(std::to_string(columns) + " columns"), std::string::npos) << f.detail;
  }
}

TEST(FactsQuery, MoreRowsThanTheCapIsAFailureNotTheFirstFew) {
  std::vector<FactRow> rows;
  for (std::size_t i = 0; i < kMaxFactRows; ++i) rows.push_back(row("f" + std::to_string(i), "1"));
  EXPECT_TRUE(read_fact_rows(2, rows).ok);
  EXPECT_EQ(read_fact_rows(2, rows).facts.size(), kMaxFactRows);
  rows.push_back(row("one_more", "1"));
  const auto f = read_fact_rows(2, rows);
  EXPECT_FALSE(f.ok) << "which rows come first is the server's choice: no partial set";
  EXPECT_EQ(f.failure, FactsFailure::too_many_rows);
  EXPECT_TRUE(f.facts.empty());
}

TEST(FactsQuery, RowsThatCannotBeComparedAreLeftOutAndCounted) {
  const std::string longest(kMaxFactValueBytes, 'x');
  const auto f = read_fact_rows(2, {
                                       row("tier", "GP"), row(std::nullopt, "x"),  // no name
                                       row("vcpu", std::nullopt),    // not known is not ""
                                       row("memory gb", "64"),       // not a label name
                                       row("1st", "x"),              // starts with a digit
                                       row("", "x"),                 // empty name
                                       row("build", longest + "y"),  // too long to quote
                                       row("edge", longest),         // just fits
                                       row("zone", "1"),             // given twice:
                                       row("zone", "2"),             // which one is meant?
                                   });
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.facts, (Facts{{"edge", longest}, {"tier", "GP"}}));
  EXPECT_EQ(f.rejected_rows, 8U);
}

TEST(FactsQuery, RunsAsACappedSubquery) {
  EXPECT_EQ(facts_query_sql("SELECT 'a', 'b' -- note"),
            "SELECT * FROM (SELECT 'a', 'b' -- note\n) AS facts_query LIMIT 33")
      << "a trailing comment must not swallow the closing parenthesis";
}

// The failures as libpqxx 6.4 throws them, through pg::classify as the probe does.
FactsFailure failure_of(const std::exception& e) {
  return facts_failure(pg::classify(e).reason(),
                       dynamic_cast<const pqxx::sql_error*>(&e) != nullptr);
}

TEST(FactsQuery, ErrorsNameTheFailure) {
  // libpqxx 6.4 has no class of its own for 57014: a plain sql_error with the code.
  EXPECT_EQ(
      failure_of(pqxx::sql_error("canceling statement due to statement timeout", "", "57014")),
      FactsFailure::query_timeout);
  EXPECT_EQ(failure_of(pqxx::sql_error("canceling statement due to lock timeout", "", "55P03")),
            FactsFailure::query_timeout);
  // libpqxx 6.4 throws this one without its SQLSTATE: the type alone must name it.
  EXPECT_EQ(failure_of(pqxx::insufficient_privilege("permission denied for table t", "")),
            FactsFailure::permission_denied);
  EXPECT_EQ(
      failure_of(pqxx::sql_error("cannot execute INSERT in a read-only transaction", "", "25006")),
      FactsFailure::read_only);
  EXPECT_EQ(failure_of(pqxx::syntax_error("syntax error at or near \"SELEC\"", "", "42601")),
            FactsFailure::query_error);
  EXPECT_EQ(failure_of(pqxx::sql_error("division by zero", "", "22012")),
            FactsFailure::query_error);
  EXPECT_EQ(failure_of(pqxx::broken_connection("server closed the connection unexpectedly")),
            FactsFailure::other);
  EXPECT_EQ(failure_of(pqxx::sql_error("terminating connection due to administrator command", "",
                                       "57P01")),
            FactsFailure::other);
  for (FactsFailure f : kAllFactsFailures) EXPECT_NE(to_string(f), "none");
}

}  // namespace
}  // namespace qw::probes::health
