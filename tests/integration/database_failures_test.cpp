// The database going away, hanging, or refusing us: each failure is named precisely (the alert
// says "connection refused", not "timeout"), and recovery needs no restart. Tests that stop or
// reconfigure the server use a private cluster so the shared one is never disturbed.
#include <netinet/in.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/support.hpp"

namespace qw::itest {
namespace {

using namespace std::chrono_literals;
using probes::FailureReason;

std::string failure_yaml(const std::string& targets, const std::string& queues = "") {
  return fmt::format(R"(
probes:
  postgres_health: {{interval: 1s, query_timeout: 2s, max_backoff: 2s}}
  postgres_queue: {{interval: 1s, query_timeout: 2s, max_backoff: 2s}}
targets:
{}{})",
                     targets, queues);
}

TEST(DatabaseFailures, OutageIsConnectionRefusedAndRecoveryNeedsNoRestart) {
  PrivateCluster pg;
  {
    Db setup(pg.dsn());
    setup.exec(
        "CREATE TABLE jobs (id bigserial PRIMARY KEY, state text NOT NULL, "
        "enqueued_at timestamptz NOT NULL DEFAULT now()); "
        "INSERT INTO jobs (state) VALUES ('ready'), ('ready'), ('ready')");
  }
  ProbeRig rig(failure_yaml(target_yaml("private", pg.dsn(), "    connect_timeout: 2s\n"), R"(
queues:
  - name: jobs
    target: private
    table: jobs
    state: {column: state, ready: [ready], running: [running], completed: []}
    timestamps: {enqueued: enqueued_at}
    completed_rows: deleted
)"));

  const auto before = rig.run_health("private");
  ASSERT_TRUE(before.up) << to_string(before.reason) << ": " << before.detail;
  EXPECT_TRUE(before.server_version.starts_with("15")) << before.server_version;
  EXPECT_EQ(before.in_recovery, false);
  ASSERT_TRUE(rig.run_queue("jobs").ok);

  pg.stop();
  const auto down = [&] {
    // The pooled connection is dead now; reusing it trips a libpqxx 6.4 leak (see support.hpp).
    ThirdPartyLeakScope libpqxx_leak;
    return rig.run_health("private");
  }();
  EXPECT_FALSE(down.up);
  EXPECT_EQ(down.reason, FailureReason::connection_refused) << down.detail;
  EXPECT_FALSE(down.detail.empty());

  const auto queue_down = rig.run_queue("jobs");
  EXPECT_FALSE(queue_down.ok);
  EXPECT_EQ(queue_down.reason, FailureReason::connection_refused) << queue_down.detail;
  EXPECT_TRUE(queue_down.queues.empty());
  // Within the backoff window the pool answers from its last failure instead of connecting
  // again: a database in trouble sees one attempt per backoff step, not one per probe.
  EXPECT_NE(queue_down.detail.find("next connection attempt"), std::string::npos)
      << queue_down.detail;

  pg.start();
  // The pool retries on its own within max_backoff (2 s, plus jitter); same PoolSet throughout.
  probes::TargetHealthSample after;
  ASSERT_TRUE(wait_until(
      [&] {
        after = rig.run_health("private");
        return after.up;
      },
      20s, 200ms))
      << "still down after the server came back: " << to_string(after.reason) << ": "
      << after.detail;
  const auto queue_after = rig.run_queue("jobs");
  ASSERT_TRUE(queue_after.ok) << queue_after.detail;
  EXPECT_EQ(queue_of(queue_after, "jobs").ready, 3);
}

// A server that accepts the TCP connection but never answers the startup packet (a hung
// postmaster, a black-holing proxy): connect_timeout, reported as such, and no hang.
TEST(DatabaseFailures, SilentServerIsConnectTimeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);  // the kernel completes handshakes; nobody ever reads
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  ProbeRig rig(failure_yaml(
      target_yaml("silent", fmt::format("host=127.0.0.1 port={} dbname=x user=postgres", port),
                  "    connect_timeout: 2s\n")));
  const auto start = std::chrono::steady_clock::now();
  const auto sample = rig.run_health("silent");
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);

  EXPECT_FALSE(sample.up);
  EXPECT_EQ(sample.reason, FailureReason::connect_timeout) << sample.detail;
  // A bound against hanging, not a performance target: connect_timeout plus generous slack.
  EXPECT_LT(took, 5s);
}

TEST(DatabaseFailures, UnknownRoleIsAuthFailed) {
  ProbeRig rig(failure_yaml(target_yaml("db", test_dsn() + " user=" + unique_name("nobody"))));
  const auto sample = rig.run_health("db");
  EXPECT_FALSE(sample.up);
  EXPECT_EQ(sample.reason, FailureReason::auth_failed) << sample.detail;
}

// Password authentication (scram-sha-256 in pg_hba.conf): a wrong password is auth_failed, and
// the right one from password_file connects.
TEST(DatabaseFailures, WrongPasswordIsAuthFailed) {
  PrivateCluster pg;
  Db admin(pg.dsn());
  admin.exec("CREATE ROLE qw_pw LOGIN PASSWORD 'right-password'");
  {
    const auto hba = std::filesystem::path(pg.dir()) / "data" / "pg_hba.conf";
    std::ifstream in(hba);
    const std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    std::ofstream out(hba, std::ios::trunc);  // in place: the file keeps its owner
    out << "host all qw_pw 127.0.0.1/32 scram-sha-256\n" << rest;
  }
  admin.exec("SELECT pg_reload_conf()");
  // The reload is asynchronous: wait until a password-less connection is refused.
  ASSERT_TRUE(wait_until(
      [&] {
        try {
          pqxx::connection probe(pg.dsn("qw_pw") + " password=wrong");
          return false;
        } catch (const std::exception&) {
          return true;
        }
      },
      20s, 100ms));

  const auto password_file = (std::filesystem::path(pg.dir()) / "password").string();
  std::ofstream(password_file) << "right-password\n";
  ProbeRig rig(failure_yaml(
      target_yaml("wrong", pg.dsn("qw_pw") + " password=wrong-password") +
      target_yaml("right", pg.dsn("qw_pw"), "    password_file: " + password_file + "\n")));
  const auto wrong = rig.run_health("wrong");
  EXPECT_FALSE(wrong.up);
  EXPECT_EQ(wrong.reason, FailureReason::auth_failed) << wrong.detail;
  EXPECT_EQ(wrong.detail.find("wrong-password"), std::string::npos) << "never echo a password";

  const auto right = rig.run_health("right");
  EXPECT_TRUE(right.up) << to_string(right.reason) << ": " << right.detail;
}

}  // namespace
}  // namespace qw::itest
