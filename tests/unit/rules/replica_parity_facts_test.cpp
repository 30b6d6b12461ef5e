// replica_parity over facts (docs/clusters.md#parity): declared facts, those a facts_query
// returned (they replace declared ones of the same name), the settings the health round reads
// (they replace both), and a failed facts_query, whose facts are neither equal nor different.
#include <gtest/gtest.h>

#include "rules/cluster_state.hpp"
#include "rules/engine.hpp"
#include "rules_test_support.hpp"

namespace qw::rules::test {
namespace {

using Facts = std::map<std::string, std::string>;

TargetTick member(const std::string& name, bool primary, Time when) {
  TargetTick t;
  t.target = name;
  t.region = name == "pg-a" ? "eu-west" : "eu-north";
  t.cluster = "main";
  t.at = when;
  t.in_recovery = !primary;
  return t;
}

TEST(ParityValues, QueriedReplaceDeclaredAndSettingsReplaceBoth) {
  TargetTick t = member("pg-a", true, {});
  t.declared_facts = {{"tier", "GP_Gen5_4"}, {"vcpu", "4"}, {"max_connections", "50"}};
  t.queried_facts = Facts{{"tier", "GP_Gen5_8"}, {"max_connections", "75"}};
  t.capacity = {{"max_connections", "100"}};
  EXPECT_EQ(parity_values(t),
            (Facts{{"tier", "GP_Gen5_8"}, {"vcpu", "4"}, {"max_connections", "100"}}));
}

TEST(ParityValues, AFailedFactsQueryLeavesNoFactsNotEvenDeclaredOnes) {
  TargetTick t = member("pg-b", false, {});
  t.declared_facts = {{"tier", "GP_Gen5_4"}};
  t.facts_query_failure = "query_timeout";
  t.capacity = {{"max_connections", "100"}};
  EXPECT_EQ(parity_values(t), (Facts{{"max_connections", "100"}}))
      << "the query may return tier: the stale declaration is not the answer";
}

class ParityFacts : public ::testing::Test {
 protected:
  ParityFacts() : engine(config::RulesConfig{}, Timezone()) {
    engine.set_clusters({{"main", {"pg-a", "pg-b"}}});
  }
  Engine engine;
  Time t0 = at_utc(2026, 12, 1, 6, 0, 0);
};

TEST_F(ParityFacts, AQueriedFactThatDiffersIsNamedWithBothValues) {
  TargetTick a = member("pg-a", true, t0);
  a.declared_facts = {{"tier", "GP_Gen5_8"}};
  a.queried_facts = Facts{{"random_page_cost", "4"}, {"data_checksums", "on"}};
  TargetTick b = member("pg-b", false, t0);
  b.declared_facts = {{"tier", "GP_Gen5_8"}};
  b.queried_facts = Facts{{"random_page_cost", "1.1"}, {"data_checksums", "on"}};
  engine.ingest(a);
  engine.ingest(b);
  const auto c = engine.evaluate(t0 + 1s);
  const ActiveCondition& parity = get(c, "replica_parity");
  EXPECT_EQ(parity.annotations.at("differences"), "random_page_cost 1.1 (primary 4)");
  EXPECT_DOUBLE_EQ(parity.value, 1);
  EXPECT_EQ(parity.annotations.at("description").find("not compared"), std::string::npos);
}

TEST_F(ParityFacts, AQueriedFactReplacesAStaleDeclarationOnEitherSide) {
  TargetTick a = member("pg-a", true, t0);
  a.declared_facts = {{"tier", "GP_Gen5_4"}};  // stale: the server says 8
  a.queried_facts = Facts{{"tier", "GP_Gen5_8"}};
  TargetTick b = member("pg-b", false, t0);
  b.declared_facts = {{"tier", "GP_Gen5_8"}};
  engine.ingest(a);
  engine.ingest(b);
  EXPECT_EQ(find(engine.evaluate(t0 + 1s), "replica_parity"), nullptr)
      << "the queried GP_Gen5_8 equals pg-b's declared one";
}

TEST_F(ParityFacts, AFailedFactsQueryIsNoVerdictOnFacts) {
  TargetTick a = member("pg-a", true, t0);
  a.queried_facts = Facts{{"tier", "GP_Gen5_8"}};
  TargetTick b = member("pg-b", false, t0);
  b.declared_facts = {{"tier", "GP_Gen5_4"}};
  b.facts_query_failure = "query_timeout";
  engine.ingest(a);
  engine.ingest(b);
  EXPECT_EQ(find(engine.evaluate(t0 + 1s), "replica_parity"), nullptr)
      << "pg-b's facts cannot be measured: not different";

  // A setting still differs: the alert says which facts it could not compare, and why.
  b.capacity = {{"max_connections", "50"}};
  a.capacity = {{"max_connections", "100"}};
  b.at = a.at = t0 + 2s;
  engine.ingest(a);
  engine.ingest(b);
  const auto c = engine.evaluate(t0 + 3s);
  const ActiveCondition& parity = get(c, "replica_parity");
  EXPECT_EQ(parity.annotations.at("differences"), "max_connections 50 (primary 100)");
  EXPECT_NE(parity.annotations.at("description")
                .find("Facts not compared: pg-b's facts_query failed (query_timeout)."),
            std::string::npos)
      << parity.annotations.at("description");
}

TEST_F(ParityFacts, APrimaryWhoseFactsQueryFailsComparesNoFactsWithAnyStandby) {
  TargetTick a = member("pg-a", true, t0);
  a.declared_facts = {{"tier", "GP_Gen5_8"}};
  a.facts_query_failure = "permission_denied";
  TargetTick b = member("pg-b", false, t0);
  b.queried_facts = Facts{{"tier", "GP_Gen5_4"}};
  engine.ingest(a);
  engine.ingest(b);
  EXPECT_EQ(find(engine.evaluate(t0 + 1s), "replica_parity"), nullptr);
}

}  // namespace
}  // namespace qw::rules::test
