// Saturation from the health round against the real test server: an open transaction, a session
// waiting on a lock, the connections they hold; and a role that PostgreSQL does not let read
// other users' sessions, which must read "not visible", never 0.
#include <fmt/format.h>

#include <thread>

#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

using namespace std::chrono_literals;

std::string health_yaml(const std::string& dsn) {
  return "probes:\n  postgres_health: {interval: 1s, query_timeout: 5s, max_backoff: 2s}\n"
         "targets:\n" +
         target_yaml("db", dsn);
}

std::string with_user(const std::string& role) {
  std::string dsn = test_dsn();
  const auto at = dsn.find("user=postgres");
  EXPECT_NE(at, std::string::npos) << dsn;
  return dsn.replace(at, std::string("user=postgres").size(), "user=" + role);
}

// A table locked by an open transaction, and another session blocked on it: the holder's
// transaction is the oldest, the blocked one waits on a Lock. Released when the scope ends.
class LockScene {
 public:
  LockScene() : table_(unique_name("qw_sat")) {
    Db(test_dsn()).exec(fmt::format("CREATE TABLE {} (x int)", table_));
    holder_.emplace(holder_conn_);
    holder_->exec(fmt::format("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", table_));
    waiter_ = std::thread([this] {
      try {
        Db db;
        db.exec("SET lock_timeout = '60s'");
        db.exec(fmt::format("SELECT count(*) FROM {}", table_));
      } catch (const std::exception& e) {
        waiter_error_ = e.what();
      }
    });
  }
  ~LockScene() {
    holder_->commit();
    waiter_.join();
    Db(test_dsn()).exec(fmt::format("DROP TABLE IF EXISTS {}", table_));
  }
  LockScene(const LockScene&) = delete;
  LockScene& operator=(const LockScene&) = delete;
  // Seconds since the holder's transaction started, by the database clock.
  double holder_age() {
    return Db().scalar<double>(
        fmt::format("SELECT extract(epoch FROM now() - xact_start)::float8 FROM pg_stat_activity "
                    "WHERE pid = {}",
                    holder_conn_.backendpid()));
  }
  const std::string& waiter_error() const { return waiter_error_; }

 private:
  std::string table_;
  pqxx::connection holder_conn_{test_dsn()};
  std::optional<pqxx::work> holder_;
  std::thread waiter_;
  std::string waiter_error_;
};

TEST(HealthSaturation, SeesTheOpenTransactionAndTheLockWait) {
  ProbeRig rig(health_yaml(test_dsn()));
  const auto before = rig.run_health("db");
  ASSERT_TRUE(before.up) << before.detail;
  ASSERT_EQ(before.activity_visible, true) << "the test's role is a superuser";
  ASSERT_TRUE(before.connections && before.lock_waiting_sessions);
  EXPECT_EQ(*before.lock_waiting_sessions, 0);
  EXPECT_GE(*before.connections, 1);  // the probe's own

  LockScene scene;
  probes::TargetHealthSample seen;
  // The waiter's statement reaches the lock some time after the thread starts; and the holder's
  // transaction must be old enough to tell from "none open" (0).
  ASSERT_TRUE(wait_until(
      [&] {
        seen = rig.run_health("db");
        return seen.lock_waiting_sessions.value_or(0) >= 1 &&
               seen.oldest_transaction_age_seconds.value_or(0) >= 1.0;
      },
      30s, 100ms))
      << "lock waiting " << seen.lock_waiting_sessions.value_or(-1) << ", oldest "
      << seen.oldest_transaction_age_seconds.value_or(-1) << ", waiter: " << scene.waiter_error();
  EXPECT_EQ(*seen.lock_waiting_sessions, 1);
  // The holder's transaction is the oldest, and the probe's round came before this check.
  EXPECT_LE(*seen.oldest_transaction_age_seconds, scene.holder_age());
  EXPECT_GE(*seen.connections, *before.connections + 2);  // the holder and the waiter
}

TEST(HealthSaturation, ARoleWithoutPgReadAllStatsReadsNotVisibleNotZero) {
  const std::string role = unique_name("qw_plain");
  Db admin;
  admin.exec(fmt::format("CREATE ROLE {} LOGIN", role));
  Cleanup drop_role(fmt::format("DROP ROLE IF EXISTS {}", role));
  {
    ProbeRig rig(health_yaml(with_user(role)));
    LockScene scene;  // another user's transaction and lock wait: what this role cannot see
    ASSERT_TRUE(wait_until(
        [&] {
          return Db().scalar<long>(
                     "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") >= 1;
        },
        30s))
        << scene.waiter_error();
    const auto s = rig.run_health("db");
    ASSERT_TRUE(s.up) << s.detail;
    EXPECT_EQ(s.activity_visible, false);
    EXPECT_FALSE(s.connections);
    EXPECT_FALSE(s.oldest_transaction_age_seconds) << *s.oldest_transaction_age_seconds;
    EXPECT_FALSE(s.lock_waiting_sessions) << *s.lock_waiting_sessions;
    // pg_settings is readable by anyone: the capacity settings are there all the same.
    EXPECT_EQ(s.settings.size(), 6u);
  }
  // pg_monitor (which holds pg_read_all_stats) makes the same role see everything.
  admin.exec(fmt::format("GRANT pg_monitor TO {}", role));
  ProbeRig rig(health_yaml(with_user(role)));
  const auto s = rig.run_health("db");
  ASSERT_TRUE(s.up) << s.detail;
  EXPECT_EQ(s.activity_visible, true);
  EXPECT_TRUE(s.connections && s.oldest_transaction_age_seconds && s.lock_waiting_sessions);
}

}  // namespace
}  // namespace qw::itest
