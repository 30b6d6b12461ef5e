// End to end with a real Alertmanager (the Debian package's prometheus-alertmanager): an alert
// sent through the `alertmanager` receiver shows in Alertmanager's API with its labels and an
// endsAt ahead of now, and disappears from the active alerts once resolved. Skipped when the
// binary is not installed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <prometheus/registry.h>
#include <boost/json.hpp>

#include "alerts/delivery_dispatcher.hpp"
#include "alerts/http_client.hpp"
#include "http_test_server.hpp"

extern char** environ;

namespace qw::alerts {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";

bool eventually(const std::function<bool()>& condition, std::chrono::seconds limit = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

class AlertmanagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A failure, not a skip: scripts/install-deps installs it, so its absence is a broken setup
    // that a skip would hide behind a green run.
    ASSERT_TRUE(fs::exists(kAlertmanager))
        << kAlertmanager << " is missing: run scripts/install-deps (prometheus-alertmanager)";
    dir_ = fs::temp_directory_path() / ("qw-am-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "storage");
    std::ofstream(dir_ / "alertmanager.yml") << "route:\n  receiver: blackhole\n"
                                                "receivers:\n  - name: blackhole\n";
    port_ = test::free_port();
    base_ = "http://127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> args = {kAlertmanager,
                                     "--config.file=" + (dir_ / "alertmanager.yml").string(),
                                     "--storage.path=" + (dir_ / "storage").string(),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--cluster.listen-address=",
                                     "--log.level=warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its output goes to a file: a child holding the test's stdout would keep pipes open.
    const std::string log = (dir_ / "alertmanager.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, kAlertmanager, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(rc, 0);
    ASSERT_TRUE(eventually([&] {
      const auto r = get("/-/ready");
      return r.response && r.response->status == 200;
    })) << "Alertmanager did not become ready";
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  HttpResult get(const std::string& path) {
    HttpRequest request;
    request.method = "GET";
    request.url = base_ + path;
    request.timeout = 2s;
    return client_.send(request);
  }

  // The alert with label fp=<fingerprint> among Alertmanager's active alerts, if any.
  std::optional<json::object> find_alert(const std::string& fingerprint) {
    const auto r = get("/api/v2/alerts?active=true");
    if (!r.response || r.response->status != 200) return std::nullopt;
    const json::value alerts = json::parse(r.response->body);
    for (const auto& alert : alerts.as_array()) {
      const auto& labels = alert.at("labels").as_object();
      if (const auto* fp = labels.if_contains("fp"); fp && *fp == fingerprint.c_str()) {
        return alert.as_object();
      }
    }
    return std::nullopt;
  }

  fs::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string base_;
  HttpClient client_;
};

TEST_F(AlertmanagerTest, AlertShowsWithItsLabelsAndThenResolves) {
  config::ReceiverConfig am;
  am.name = "am";
  am.kind = config::ReceiverKind::alertmanager;
  am.url.value = base_ + "/";
  am.resend_interval = 1s;
  config::AlertingConfig config;
  config.receivers = {am};
  config.default_receiver = "am";
  prometheus::Registry registry;
  Dispatcher dispatcher(config, dir_ / "state", registry);
  dispatcher.start();

  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  Notification n;
  n.id = "am-e2e-1";
  n.receiver = "am";
  n.fingerprint = "e2e0123456789abc";
  n.labels = {{"alertname", "no_throughput"},
              {"severity", "critical"},
              {"target", "prod-db"},
              {"queue", "mailers"},
              {"fp", n.fingerprint}};
  n.annotations = {{"summary", "Queue mailers is stuck"}};
  n.starts_at = now - 2min;
  n.created_at = now;
  dispatcher.enqueue({n});

  std::optional<json::object> shown;
  ASSERT_TRUE(eventually([&] { return (shown = find_alert(n.fingerprint)).has_value(); }));
  const auto& labels = shown->at("labels").as_object();
  EXPECT_EQ(labels.at("alertname"), "no_throughput");
  EXPECT_EQ(labels.at("severity"), "critical");
  EXPECT_EQ(labels.at("target"), "prod-db");
  EXPECT_EQ(labels.at("queue"), "mailers");
  EXPECT_EQ(shown->at("annotations").at("summary"), "Queue mailers is stuck");
  EXPECT_EQ(shown->at("status").at("state"), "active");

  Notification resolved = n;
  resolved.id = "am-e2e-2";
  resolved.kind = NotificationKind::resolved;
  resolved.ends_at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  dispatcher.enqueue({resolved});
  EXPECT_TRUE(eventually([&] { return !find_alert(n.fingerprint).has_value(); }))
      << "the alert is still active in Alertmanager after the resolve";
  dispatcher.stop();
}

}  // namespace
}  // namespace qw::alerts
