// A probe that cannot measure reports why, as data: the sample names the reason and the table
// or column, and the other sources of the same round are not affected.
#include <fmt/format.h>

#include <optional>

#include "probes/pg/pg_error.hpp"
#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

TEST(ProbeErrors, MissingTableMissingColumnAndNoPrivilegeAreNamed) {
  Db db;
  const std::string table = unique_name("err_jobs");
  const std::string missing = unique_name("no_such_table");
  const std::string role = unique_name("qw_noaccess");
  // Declared before the rig, so it runs after the rig has closed the role's connections.
  Cleanup drop(fmt::format("DROP TABLE IF EXISTS {}; DROP ROLE IF EXISTS {}", table, role));
  db.exec(
      fmt::format("CREATE TABLE {} (id bigserial PRIMARY KEY, state text NOT NULL, "
                  "enqueued_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)",
                  table));
  db.exec(fmt::format("INSERT INTO {} (state) VALUES ('ready'), ('ready')", table));
  db.exec(fmt::format("CREATE ROLE {} LOGIN", role));

  const std::string dsn = test_dsn();
  const std::string limited_dsn = dsn + " user=" + role;  // a later key overrides the earlier
  const std::string mapping =
      "    state: {column: state, ready: [ready], running: [running], completed: [done]}\n"
      "    timestamps: {enqueued: enqueued_at, finished: finished_at}\n";
  ProbeRig rig(fmt::format(R"(
targets:
{}{}
queues:
  - name: healthy
    target: db
    table: {}
{}
  - name: missing_table
    target: db
    table: {}
{}
  - name: missing_column
    target: db
    table: {}
    queue_column: queue_name
{}
  - name: no_privilege
    target: limited
    table: {}
{})",
                           target_yaml("db", dsn), target_yaml("limited", limited_dsn), table,
                           mapping, missing, mapping, table, mapping, table, mapping));

  const auto no_table = rig.run_queue("missing_table");
  EXPECT_FALSE(no_table.ok);
  EXPECT_EQ(no_table.reason, probes::FailureReason::undefined_table) << no_table.detail;
  EXPECT_NE(no_table.detail.find(missing), std::string::npos) << no_table.detail;
  EXPECT_TRUE(no_table.queues.empty()) << "no made-up zeros for a table we cannot read";

  const auto no_column = rig.run_queue("missing_column");
  EXPECT_FALSE(no_column.ok);
  EXPECT_EQ(no_column.reason, probes::FailureReason::undefined_column) << no_column.detail;
  EXPECT_NE(no_column.detail.find("queue_name"), std::string::npos) << no_column.detail;

  const auto denied = rig.run_queue("no_privilege");
  EXPECT_FALSE(denied.ok);
  EXPECT_EQ(denied.reason, probes::FailureReason::permission_denied) << denied.detail;
  EXPECT_NE(denied.detail.find(table), std::string::npos) << denied.detail;
  EXPECT_TRUE(rig.run_health("limited").up) << "the role can connect; only the table is denied";

  const auto healthy = rig.run_queue("healthy");
  ASSERT_TRUE(healthy.ok) << healthy.detail;
  EXPECT_EQ(queue_of(healthy, "healthy").ready, 2);

  // Once the table exists (a migration ran), the same probe instance recovers on its own.
  db.exec(fmt::format("CREATE TABLE {} (LIKE {} INCLUDING ALL)", missing, table));
  Cleanup drop_missing("DROP TABLE IF EXISTS " + missing);
  const auto recovered = rig.run_queue("missing_table");
  EXPECT_TRUE(recovered.ok) << recovered.detail;
  EXPECT_EQ(queue_of(recovered, "missing_table").ready, 0);
}

}  // namespace
}  // namespace qw::itest

namespace qw::itest {
namespace {

using namespace std::chrono_literals;

// A connection opened for this use and killed before its first query (pg_terminate_backend, a
// pooler or failover dropping it) is a connection failure, not "other": the page must say so.
TEST(ProbeErrors, AFreshConnectionKilledBeforeItsFirstQueryIsAConnectionFailure) {
  Db admin;
  ProbeRig rig("targets:\n" + target_yaml("db", test_dsn()));
  auto& pool = rig.pools().get("db");
  std::optional<probes::pg::PgError> failure;
  try {
    ThirdPartyLeakScope libpqxx_leak;  // the query below runs on a connection the server closed
    pool.with_connection(10s, [&](pqxx::connection& conn) {
      const auto pid = std::to_string(conn.backendpid());
      admin.exec("SELECT pg_terminate_backend(" + pid + ")");
      // Terminating is asynchronous: wait until the backend is gone.
      for (int i = 0; i < 500; ++i) {
        if (admin.scalar<int>("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == 0)
          break;
        std::this_thread::sleep_for(10ms);
      }
      pqxx::nontransaction tx(conn);
      tx.exec("SELECT 1");
    });
  } catch (const probes::pg::PgError& e) {
    failure = e;
  }
  ASSERT_TRUE(failure) << "a query on a terminated connection succeeded";
  EXPECT_EQ(failure->reason(), probes::FailureReason::connection_refused) << failure->what();
}

}  // namespace
}  // namespace qw::itest
