// The restart guarantee: state saved after notifying, loaded into new objects, and the same
// conditions evaluated again page nobody.
#include "alerts/alert_state_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "alert_test_support.hpp"
#include "alerts/alert_engine.hpp"

namespace qw::alerts::test {
namespace {

config::AlertingConfig one_receiver() {
  config::AlertingConfig c;
  c.receivers = {receiver("pager")};
  c.default_receiver = "pager";
  c.repeat_interval = 1h;
  return c;
}

class StateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qw-alert-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "alerts.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(StateFile, RestartDoesNotPageAgain) {
  const auto firing = condition("no_throughput", "a", "q");
  const auto pending = condition("queue_latency", "a", "q", 5min);
  {
    AlertEngine engine(one_receiver());
    ASSERT_EQ(engine.evaluate(at(0s), {firing, pending}).notifications.size(), 1u);
    ASSERT_EQ(save_state_file(path_, engine.state()), "");
  }
  const LoadedState loaded = load_state_file(path_);
  ASSERT_EQ(loaded.problem, "");
  AlertEngine restarted(one_receiver());
  restarted.restore(loaded.state);
  EXPECT_TRUE(restarted.evaluate(at(30s), {firing, pending}).notifications.empty());
  // The pending alert kept its clock: it fires 5 minutes after the ORIGINAL start.
  const EngineStep fired = restarted.evaluate(at(5min), {firing, pending});
  ASSERT_EQ(fired.notifications.size(), 1u);
  EXPECT_EQ(fired.notifications[0].labels.at("alertname"), "queue_latency");
  // The reminder schedule survived too, and so does the right to a resolved notice.
  EXPECT_EQ(restarted.evaluate(at(1h), {firing, pending}).notifications.size(), 1u);
  const EngineStep resolved = restarted.evaluate(at(61min), {pending});
  ASSERT_EQ(resolved.notifications.size(), 1u);
  EXPECT_EQ(resolved.notifications[0].kind, NotificationKind::resolved);
}

TEST_F(StateFile, WithoutStateARestartPagesAgain) {
  // The control for the test above: the state file is what prevents the page.
  const auto firing = condition("no_throughput", "a", "q");
  AlertEngine engine(one_receiver());
  engine.evaluate(at(0s), {firing});
  AlertEngine restarted(one_receiver());
  EXPECT_EQ(restarted.evaluate(at(30s), {firing}).notifications.size(), 1u);
}

TEST_F(StateFile, RoundTripKeepsEveryField) {
  Alert a;
  a.fingerprint = "0123456789abcdef";
  a.labels = {{"alertname", "no_throughput"}, {"queue", "q \"quoted\" ü"}};
  a.annotations = {{"summary", "line1\nline2"}};
  a.state = AlertState::inactive;
  a.value = 0.125;
  a.active_at = at(1s);
  a.fired_at = at(2s);
  a.resolved_at = at(3s);
  a.last_active = at(2500ms);
  a.for_duration = 30s;
  a.keep_firing_for = 1min;
  const PersistedState state{
      {a},
      {DeliveryRecord{"pager", a.fingerprint, at(1s), at(2s), "SQL Database – degraded"},
       DeliveryRecord{"chat", a.fingerprint, at(1s), at(2s), ""}}};
  std::string error;
  const std::optional<PersistedState> back = decode_state(encode_state(state), error);
  ASSERT_TRUE(back) << error;
  ASSERT_EQ(back->alerts.size(), 1u);
  const Alert& b = back->alerts[0];
  EXPECT_EQ(b.fingerprint, a.fingerprint);
  EXPECT_EQ(b.labels, a.labels);
  EXPECT_EQ(b.annotations, a.annotations);
  EXPECT_EQ(b.state, a.state);
  EXPECT_EQ(b.value, a.value);
  EXPECT_EQ(b.active_at, a.active_at);
  EXPECT_EQ(b.fired_at, a.fired_at);
  EXPECT_EQ(b.resolved_at, a.resolved_at);
  EXPECT_EQ(b.last_active, a.last_active);
  EXPECT_EQ(b.for_duration, a.for_duration);
  EXPECT_EQ(b.keep_firing_for, a.keep_firing_for);
  ASSERT_EQ(back->deliveries.size(), 2u);
  EXPECT_EQ(back->deliveries[0].receiver, "pager");
  EXPECT_EQ(back->deliveries[0].incident_start, at(1s));
  EXPECT_EQ(back->deliveries[0].last_notified, at(2s));
  EXPECT_EQ(back->deliveries[0].news, "SQL Database – degraded");
  EXPECT_EQ(back->deliveries[1].news, "");
}

TEST_F(StateFile, MissingFileIsAFirstStart) {
  const LoadedState loaded = load_state_file(path_);
  EXPECT_EQ(loaded.problem, "");
  EXPECT_TRUE(loaded.state.alerts.empty());
}

TEST_F(StateFile, CorruptFileStartsEmptyAndIsKeptAside) {
  for (const char* text :
       {"{\"version\":1,\"alerts\":[{\"fingerprint\":", "[]", "",
        "{\"version\":2,\"alerts\":[],\"deliveries\":[]}",
        "{\"version\":1,\"alerts\":[{\"state\":\"firing\"}],\"deliveries\":[]}"}) {
    {
      std::ofstream out(path_, std::ios::trunc);
      out << text;
    }
    const LoadedState loaded = load_state_file(path_);
    EXPECT_NE(loaded.problem, "") << text;
    EXPECT_TRUE(loaded.state.alerts.empty()) << text;
    EXPECT_FALSE(std::filesystem::exists(path_)) << text;
    EXPECT_TRUE(std::filesystem::exists(path_ + ".corrupt")) << text;
  }
}

TEST_F(StateFile, SaveReplacesAtomicallyAndLeavesNoTemporaryFile) {
  AlertEngine engine(one_receiver());
  engine.evaluate(at(0s), {condition("no_throughput", "a", "q")});
  ASSERT_EQ(save_state_file(path_, engine.state()), "");
  engine.evaluate(at(1s),
                  {condition("no_throughput", "a", "q"), condition("no_throughput", "b", "q")});
  ASSERT_EQ(save_state_file(path_, engine.state()), "");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  EXPECT_EQ(load_state_file(path_).state.alerts.size(), 2u);
}

TEST_F(StateFile, UnwritableDirectoryIsAnErrorNotACrash) {
  const std::string error =
      save_state_file((dir_ / "no-such-dir" / "alerts.json").string(), PersistedState{});
  EXPECT_NE(error, "");
}

// int64's edge in a time field reached receivers as the year 292278994. Such an entry is skipped
// with a message naming it; the rest of the file is used.
TEST_F(StateFile, ImpossibleTimesAreSkippedWithAMessage) {
  const auto a = condition("no_throughput", "a", "q");
  const auto b = condition("no_throughput", "b", "q");
  {
    AlertEngine engine(one_receiver());
    engine.evaluate(at(0s), {a, b});
    ASSERT_EQ(save_state_file(path_, engine.state()), "");
  }
  std::string text;
  {
    std::ifstream in(path_);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string first = "\"active_at\":" + std::to_string(at(0s).time_since_epoch().count());
  const auto pos = text.find(first);
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, first.size(), "\"active_at\":9223372036854775807");
  std::ofstream(path_, std::ios::trunc) << text;

  const LoadedState loaded = load_state_file(path_);
  EXPECT_NE(loaded.problem.find("active_at"), std::string::npos) << loaded.problem;
  EXPECT_NE(loaded.problem.find("9223372036854775807"), std::string::npos) << loaded.problem;
  ASSERT_EQ(loaded.state.alerts.size(), 1u);
  for (const auto& alert : loaded.state.alerts) {
    EXPECT_LT(alert.active_at, at(24h));
  }
  EXPECT_FALSE(std::filesystem::exists(path_ + ".corrupt")) << "one bad entry is not a bad file";
}

}  // namespace
}  // namespace qw::alerts::test
