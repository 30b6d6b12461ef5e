// Delivery end to end on loopback: Dispatcher -> outbox -> worker -> sink -> HTTP -> a scripted
// receiver. Retries, Retry-After, rejections, outages, re-posts, metrics and the heartbeat.
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

#include <prometheus/registry.h>
#include <boost/json.hpp>

#include "alerts/delivery_dispatcher.hpp"
#include "alerts/notifiers/payload_common.hpp"
#include "http_test_server.hpp"

namespace qw::alerts {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

// Polls a condition until it holds or `limit` passes; returns whether it held.
bool eventually(const std::function<bool()>& condition, std::chrono::seconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

Time now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

Notification make(const std::string& receiver, const std::string& fingerprint,
                  NotificationKind kind = NotificationKind::firing) {
  static int counter = 0;
  Notification n;
  n.id = fingerprint + "-" + std::to_string(++counter);
  n.receiver = receiver;
  n.kind = kind;
  n.fingerprint = fingerprint;
  n.labels = {{"alertname", "no_throughput"}, {"target", "prod-db"}, {"fp", fingerprint}};
  n.annotations = {{"summary", "stuck"}};
  n.starts_at = now_ms() - 1min;
  n.created_at = now_ms();
  if (kind == NotificationKind::resolved) n.ends_at = now_ms();
  return n;
}

config::ReceiverConfig receiver(const std::string& name, config::ReceiverKind kind,
                                const std::string& url) {
  config::ReceiverConfig r;
  r.name = name;
  r.kind = kind;
  r.url.value = url;
  r.timeout = 5s;
  r.max_backoff = 200ms;
  return r;
}

double metric(prometheus::Registry& registry, const std::string& name,
              const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have != labels) continue;
      return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return -1;
}

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("qw-delivery-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.base_backoff = 20ms;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Dispatcher> dispatcher(const std::vector<config::ReceiverConfig>& receivers) {
    config::AlertingConfig config;
    config.receivers = receivers;
    config.default_receiver = receivers.front().name;
    config.external_url = "http://queuewatch.test:9187";
    auto d = std::make_unique<Dispatcher>(config, dir_, registry_, options_);
    d->start();
    return d;
  }

  double count(const std::string& receiver, const std::string& result) {
    return metric(registry_, "queuewatch_notifications_total",
                  {{"receiver", receiver}, {"result", result}});
  }

  fs::path dir_;
  prometheus::Registry registry_;
  DispatcherOptions options_;
};

std::string fingerprint_of_webhook(const test::RecordedRequest& r) {
  return std::string(json::parse(r.body).at("alerts").at(0).at("fingerprint").as_string());
}

TEST_F(DeliveryTest, WebhookIsDeliveredOnce) {
  test::HttpTestServer server;
  auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook, server.url("/alert"))});
  d->enqueue({make("hook", "fp1")});
  ASSERT_TRUE(eventually([&] { return count("hook", "success") == 1; }));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/alert");
  const auto body = json::parse(requests[0].body);
  EXPECT_EQ(body.at("version"), "4");
  EXPECT_EQ(body.at("receiver"), "hook");
  EXPECT_EQ(body.at("alerts").at(0).at("fingerprint"), "fp1");
  EXPECT_EQ(d->outbox().depth("hook"), 0u);
}

TEST_F(DeliveryTest, ServerErrorsAreRetriedUntilAccepted) {
  test::HttpTestServer server;
  server.script({{500, {}, "boom"}, {503, {}, "later"}, {200, {}, ""}});
  auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook, server.url())});
  d->enqueue({make("hook", "fp1")});
  ASSERT_TRUE(eventually([&] { return count("hook", "success") == 1; }));
  EXPECT_EQ(server.requests().size(), 3u);  // two failures, one success, nothing after
  EXPECT_EQ(count("hook", "retry"), 2);
  EXPECT_EQ(count("hook", "failed"), 0);
  for (const auto& r : server.requests()) EXPECT_EQ(fingerprint_of_webhook(r), "fp1");
}

TEST_F(DeliveryTest, TooManyRequestsHonoursRetryAfter) {
  test::HttpTestServer server;
  server.script({{429, {{"Retry-After", "1"}}, "slow down"}});
  auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook, server.url())});
  d->enqueue({make("hook", "fp1")});
  const auto requests = server.wait_for_requests(2);
  ASSERT_EQ(requests.size(), 2u);
  // max_backoff is 200 ms: only Retry-After explains a gap of a second.
  EXPECT_GE(requests[1].at - requests[0].at, 950ms);
  ASSERT_TRUE(eventually([&] { return count("hook", "success") == 1; }));
}

TEST_F(DeliveryTest, ClientErrorIsNotRetriedAndDoesNotBlockTheQueue) {
  test::HttpTestServer server;
  server.script({{400, {}, "{\"error\":\"bad payload\"}"}});
  auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook, server.url())});
  d->enqueue({make("hook", "rejected"), make("hook", "next")});
  ASSERT_TRUE(eventually([&] { return count("hook", "success") == 1; }));
  EXPECT_EQ(count("hook", "failed"), 1);
  EXPECT_EQ(count("hook", "retry"), 0);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(fingerprint_of_webhook(requests[0]), "rejected");
  EXPECT_EQ(fingerprint_of_webhook(requests[1]), "next");
  EXPECT_EQ(d->outbox().depth("hook"), 0u);
}

TEST_F(DeliveryTest, ReceiverDownThenUpGetsEverythingInOrder) {
  const auto port = test::free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook, url)});
  std::vector<std::string> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back("fp" + std::to_string(i));
    d->enqueue({make("hook", sent.back())});
  }
  ASSERT_TRUE(eventually([&] { return count("hook", "retry") >= 5; }));
  EXPECT_EQ(metric(registry_, "queuewatch_outbox_depth", {{"receiver", "hook"}}), 5);
  ASSERT_TRUE(eventually([&] {
    return metric(registry_, "queuewatch_outbox_oldest_age_seconds", {{"receiver", "hook"}}) > 0;
  }));

  test::HttpTestServer server(port);  // the receiver comes back
  ASSERT_TRUE(eventually([&] { return count("hook", "success") == 5; }));
  std::vector<std::string> received;
  for (const auto& r : server.requests()) received.push_back(fingerprint_of_webhook(r));
  EXPECT_EQ(received, sent);
  ASSERT_TRUE(eventually([&] {
    return metric(registry_, "queuewatch_outbox_depth", {{"receiver", "hook"}}) == 0;
  }));
  EXPECT_EQ(metric(registry_, "queuewatch_outbox_oldest_age_seconds", {{"receiver", "hook"}}), 0);
}

// The frozen gauges: a worker sleeping in a long backoff used to be the only thing that
// refreshed them. The dispatcher's monitor refreshes them regardless.
TEST_F(DeliveryTest, OutboxGaugesMoveWhileTheWorkerSleepsInBackoff) {
  test::HttpTestServer server;
  server.script({{429, {{"Retry-After", "3600"}}, "slow down"}});
  options_.monitor_interval = 50ms;
  auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook, server.url())});
  d->enqueue({make("hook", "fp1")});
  ASSERT_TRUE(eventually([&] { return count("hook", "retry") == 1; }));
  // The worker sleeps for an hour now; nothing it does can refresh the gauges.
  d->enqueue({make("hook", "fp2"), make("hook", "fp3")});
  const auto gauge = [&](const char* name) {
    return metric(registry_, name, {{"receiver", "hook"}});
  };
  EXPECT_TRUE(eventually([&] { return gauge("queuewatch_outbox_depth") == 3; }))
      << gauge("queuewatch_outbox_depth");
  const double age = gauge("queuewatch_outbox_oldest_age_seconds");
  EXPECT_TRUE(
      eventually([&] { return gauge("queuewatch_outbox_oldest_age_seconds") > age + 0.2; }));
  EXPECT_EQ(server.requests().size(), 1u) << "still in the backoff";
}

TEST_F(DeliveryTest, PagerDutyTriggerAndResolveShareTheDedupKey) {
  test::HttpTestServer server;
  server.script({{500, {}, ""}, {202, {}, "{\"status\":\"success\"}"}});
  auto pd = receiver("pd", config::ReceiverKind::pagerduty, server.url("/v2/enqueue"));
  pd.routing_key = config::Secret{"ROUTINGKEY", "env PD_KEY"};
  auto d = dispatcher({pd});
  d->enqueue({make("pd", "fpX")});
  d->enqueue({make("pd", "fpX", NotificationKind::resolved)});
  ASSERT_TRUE(eventually([&] { return count("pd", "success") == 2; }));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  std::vector<std::string> actions;
  for (const auto& r : requests) {
    const auto body = json::parse(r.body);
    EXPECT_EQ(body.at("dedup_key"), "fpX");
    EXPECT_EQ(body.at("routing_key"), "ROUTINGKEY");
    actions.emplace_back(body.at("event_action").as_string());
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"trigger", "trigger", "resolve"}));
}

TEST_F(DeliveryTest, AlertmanagerGetsFiringAlertsRepostedUntilResolved) {
  test::HttpTestServer server;
  auto am = receiver("am", config::ReceiverKind::alertmanager, server.url());
  am.resend_interval = 100ms;
  auto d = dispatcher({am});
  d->enqueue({make("am", "fpA")});
  // The notification, then at least two re-posts of the still-firing alert.
  const auto requests = server.wait_for_requests(3);
  ASSERT_GE(requests.size(), 3u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.target, "/api/v2/alerts");
    const auto alerts = json::parse(r.body).as_array();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].at("labels").at("fp"), "fpA");
    // endsAt is ahead of now while firing (4 × resend_interval).
    EXPECT_GT(std::string(alerts[0].at("endsAt").as_string()), notifiers::rfc3339(now_ms() - 1s));
  }
  auto resolved = make("am", "fpA", NotificationKind::resolved);
  d->enqueue({resolved});
  ASSERT_TRUE(eventually([&] {
    for (const auto& r : server.requests()) {
      if (json::parse(r.body).at(0).at("endsAt").as_string() ==
          notifiers::rfc3339(*resolved.ends_at))
        return true;
    }
    return false;
  }));
  EXPECT_TRUE(d->outbox().standing("am").empty());
}

TEST_F(DeliveryTest, OutboxBoundCountsDrops) {
  options_.outbox.max_pending_per_receiver = 2;
  auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook,
                                "http://127.0.0.1:" + std::to_string(test::free_port()))});
  d->enqueue({make("hook", "a"), make("hook", "b", NotificationKind::repeat), make("hook", "c")});
  EXPECT_EQ(count("hook", "dropped"), 1);
  EXPECT_EQ(d->outbox().depth("hook"), 2u);
}

TEST_F(DeliveryTest, ReconfigureRedirectsPendingNotifications) {
  const std::string down = "http://127.0.0.1:" + std::to_string(test::free_port());
  auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook, down)});
  d->enqueue({make("hook", "fp1")});
  ASSERT_TRUE(eventually([&] { return count("hook", "retry") >= 1; }));
  test::HttpTestServer server;
  config::AlertingConfig config;
  config.receivers = {receiver("hook", config::ReceiverKind::webhook, server.url())};
  config.default_receiver = "hook";
  d->reconfigure(config);
  ASSERT_TRUE(eventually([&] { return count("hook", "success") == 1; }));
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(DeliveryTest, RestartDeliversWhatTheLastRunDidNot) {
  const auto port = test::free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  {
    auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook, url)});
    d->enqueue({make("hook", "fp1"), make("hook", "fp2")});
    ASSERT_TRUE(eventually([&] { return count("hook", "retry") >= 1; }));
    d->stop();  // returns although the receiver is still down
  }
  test::HttpTestServer server(port);
  auto d = dispatcher({receiver("hook", config::ReceiverKind::webhook, url)});
  const auto requests = server.wait_for_requests(2);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(fingerprint_of_webhook(requests[0]), "fp1");
  EXPECT_EQ(fingerprint_of_webhook(requests[1]), "fp2");
}

TEST_F(DeliveryTest, LogReceiverAlwaysSucceeds) {
  auto log = receiver("ops-log", config::ReceiverKind::log, "");
  auto d = dispatcher({log});
  d->enqueue({make("ops-log", "fp1"), make("ops-log", "fp1", NotificationKind::resolved)});
  ASSERT_TRUE(eventually([&] { return count("ops-log", "success") == 2; }));
}

TEST(Heartbeat, PingsTheUrlEveryInterval) {
  test::HttpTestServer server;
  config::HeartbeatConfig config;
  config.url = config::Secret{server.url("/ping/0a1b-token"), "env HC_URL"};
  config.interval = 50ms;
  Heartbeat heartbeat(config);
  heartbeat.start();
  const auto requests = server.wait_for_requests(3);
  heartbeat.stop();
  ASSERT_GE(requests.size(), 3u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/ping/0a1b-token");
  }
}

// The threads of this process, from /proc: what start() would add.
std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

// Without a URL (or with an empty one) start() starts no pinging thread and logs no "pinging"
// line, while the same config with a URL does both: the assertions can fail.
TEST(Heartbeat, WithoutUrlDoesNothing) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("heartbeat-test", sink));
  test::HttpTestServer server;
  for (const std::optional<config::Secret>& url :
       {std::optional<config::Secret>{}, std::optional<config::Secret>{config::Secret{"", "env X"}},
        std::optional<config::Secret>{config::Secret{server.url("/ping"), "env X"}}}) {
    const bool has_url = url && !url->value.empty();
    log.str("");
    config::HeartbeatConfig config;
    config.url = url;
    config.interval = 1h;
    Heartbeat heartbeat(config);
    const std::size_t before = thread_count();
    heartbeat.start();
    if (has_url) {
      EXPECT_EQ(server.wait_for_requests(1).size(), 1u);
      EXPECT_GT(thread_count(), before);
    } else {
      EXPECT_LE(thread_count(), before) << "start() without a URL started a thread";
    }
    heartbeat.stop();
    EXPECT_EQ(log.str().find("heartbeat: pinging") != std::string::npos, has_url) << log.str();
  }
  spdlog::set_default_logger(previous);
}

}  // namespace
}  // namespace qw::alerts
