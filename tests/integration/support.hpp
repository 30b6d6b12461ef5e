#pragma once
// Shared helpers for the integration tests: a real PostgreSQL (scripts/test starts it and sets
// QW_TEST_PG_*), the real config loader, and the real probes and pools. Nothing here is mocked;
// the helpers only remove boilerplate so each test reads as its scenario.
#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "config/loader.hpp"
#include "probes/pg/pool_set.hpp"
#include "probes/postgres_health/health_probe.hpp"
#include "probes/postgres_queue/queue_probe.hpp"
#include "probes/samples.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace qw::itest {

// The value of a QW_TEST_PG_* variable. Unset is a failure, never a skip: scripts/test always
// sets them, so an unset one means the suite is being run the wrong way and would prove nothing.
inline std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0')
    throw std::runtime_error(std::string(name) +
                             " is unset: the integration tests need a real PostgreSQL. Run them "
                             "through scripts/test (e.g. `scripts/test -L integration`), which "
                             "starts one and exports QW_TEST_PG_DSN and friends.");
  return value;
}

inline std::string test_dsn() {
  return required_env("QW_TEST_PG_DSN");
}

inline std::string source_dir() {
  const char* dir = std::getenv("QW_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : QW_SOURCE_DIR;
}

// A name no other test (or earlier run of this one) uses: tables, schemas and roles are created
// per test and dropped afterwards, so a failed run leaves nothing that breaks the next.
inline std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

// Polls `predicate` until it holds or `timeout` passes; returns whether it held. Tests wait on
// conditions, never on fixed sleeps: the poll interval only bounds how late we notice.
inline bool wait_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds poll = std::chrono::milliseconds(50)) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(poll);
  }
}

// A test's own connection for setup and checks: autocommit, so every statement is visible to
// the probe as soon as it returns.
class Db {
 public:
  explicit Db(const std::string& dsn = test_dsn()) : conn_(dsn) {}

  void exec(const std::string& sql) {
    pqxx::nontransaction tx(conn_);
    tx.exec(sql);
  }
  pqxx::result query(const std::string& sql) {
    pqxx::nontransaction tx(conn_);
    return tx.exec(sql);
  }
  template <typename T>
  T scalar(const std::string& sql) {
    pqxx::nontransaction tx(conn_);
    return tx.exec1(sql)[0].as<T>();
  }
  pqxx::connection& connection() { return conn_; }

 private:
  pqxx::connection conn_;
};

// Runs `sql` when the scope ends, failures ignored: drops what the test created even when an
// assertion returned early.
class Cleanup {
 public:
  Cleanup(std::string sql, std::string dsn = test_dsn())
      : sql_(std::move(sql)), dsn_(std::move(dsn)) {}
  ~Cleanup() {
    try {
      Db(dsn_).exec(sql_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cleanup failed (%s): %s\n", sql_.c_str(), e.what());
    }
  }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;

 private:
  std::string sql_;
  std::string dsn_;
};

// Collects every sample a probe publishes; thread-safe as SampleSink requires.
class CollectingSink : public probes::SampleSink {
 public:
  void publish(const probes::Sample& sample) override {
    std::lock_guard lock(mutex_);
    samples_.push_back(sample);
  }
  std::vector<probes::Sample> samples() const {
    std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<probes::Sample> samples_;
};

// Loads YAML through the real loader (env expansion, validation); a config the loader refuses
// fails the test with every error it reported.
inline config::Config load_config(const std::string& yaml) {
  auto loaded = config::load_string(yaml, "<test>");
  std::string errors;
  for (const auto& e : loaded.errors) errors += e.to_string() + "\n";
  if (!loaded.ok()) throw std::runtime_error("test config refused:\n" + errors + yaml);
  return std::move(loaded.config);
}

// A `targets:` entry. `dsn` is quoted for YAML with single quotes (DSNs contain `=`, spaces).
inline std::string target_yaml(const std::string& name, const std::string& dsn,
                               const std::string& extra = "") {
  std::string quoted;
  for (char c : dsn) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return "  - name: " + name + "\n    dsn: '" + quoted + "'\n    region: test\n" + extra;
}

// The probes of one config with their pools, kept across rounds like the daemon keeps them, so
// watermarks and counters carry over from one run to the next.
class ProbeRig {
 public:
  explicit ProbeRig(const std::string& yaml)
      : config_(load_config(yaml)),
        pools_(config_),
        queue_probes_(probes::queue::make_queue_probes(config_)),
        health_probes_(probes::health::make_health_probes(config_)) {}

  const config::Config& config() const { return config_; }
  probes::pg::PoolSet& pools() { return pools_; }

  // One round of the queue probe for source `name`. make_queue_probes keeps config order.
  probes::QueueProbeSample run_queue(const std::string& name) {
    for (std::size_t i = 0; i < config_.queues.size(); ++i)
      if (config_.queues[i].name == name)
        return run_as<probes::QueueProbeSample>(*queue_probes_.at(i));
    throw std::out_of_range("no queue source named " + name);
  }

  // One round of the health probe of target `name`.
  probes::TargetHealthSample run_health(const std::string& name) {
    for (auto& p : health_probes_)
      if (p->target() == name) return run_as<probes::TargetHealthSample>(*p);
    throw std::out_of_range("no target named " + name);
  }

 private:
  template <typename SampleT>
  SampleT run_as(probes::Probe& probe) {
    CollectingSink sink;
    probes::ProbeContext ctx{pools_.get(probe.target())};
    const auto reason = probe.run(ctx, sink);
    const auto samples = sink.samples();
    if (samples.size() != 1)
      throw std::runtime_error(probe.id() + " published " + std::to_string(samples.size()) +
                               " samples in one run, want exactly 1");
    const auto* sample = std::get_if<SampleT>(&samples.front());
    if (sample == nullptr) throw std::runtime_error(probe.id() + " published the wrong kind");
    if constexpr (std::is_same_v<SampleT, probes::QueueProbeSample>) {
      EXPECT_EQ(reason, sample->reason) << "run() must return the reason it published";
    }
    return *sample;
  }

  config::Config config_;
  probes::pg::PoolSet pools_;
  probes::ProbeList queue_probes_;
  probes::ProbeList health_probes_;
};

// The sample of queue `queue` in a round, or a test failure naming what was there.
inline probes::QueueSample queue_of(const probes::QueueProbeSample& sample,
                                    const std::string& queue) {
  std::string seen;
  for (const auto& q : sample.queues) {
    if (q.queue == queue) return q;
    seen += " " + q.queue;
  }
  throw std::runtime_error("queue " + queue +
                           " not in the sample (ok=" + std::to_string(sample.ok) +
                           ", detail=" + sample.detail + ", queues:" + seen + ")");
}

// Stops LeakSanitizer from reporting allocations made in this scope. Only for a leak that is not
// ours: libpqxx 6.4 leaks the PGresult (about 2 KiB) when a query runs on a connection the server
// has already closed (transaction_base::direct_exec -> PQexec). Keep the scope to that one call.
class ThirdPartyLeakScope {
 public:
#if defined(__SANITIZE_ADDRESS__)
  ThirdPartyLeakScope() {
    __lsan_disable();
  }
  ~ThirdPartyLeakScope() {
    __lsan_enable();
  }
#else
  // User-provided, like the sanitizer branch's: a trivial scope object would be an unused
  // variable (-Werror) in builds without sanitizers.
  ThirdPartyLeakScope() {}   // NOLINT(modernize-use-equals-default)
  ~ThirdPartyLeakScope() {}  // NOLINT(modernize-use-equals-default)
#endif
  ThirdPartyLeakScope(const ThirdPartyLeakScope&) = delete;
  ThirdPartyLeakScope& operator=(const ThirdPartyLeakScope&) = delete;
};

// A free TCP port on 127.0.0.1 right now (the kernel picks it).
int free_port();

// A private PostgreSQL cluster for tests that stop, restart or reconfigure the server, so the
// shared one stays untouched. Driven by scripts/lib/pgctl.sh, like an operator would.
class PrivateCluster {
 public:
  PrivateCluster();
  ~PrivateCluster();
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  void start();
  void stop();
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string dsn(const std::string& user = "postgres") const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=" + user;
  }

 private:
  void pgctl(const std::string& command);

  std::string dir_;
  int port_ = 0;
};

}  // namespace qw::itest
