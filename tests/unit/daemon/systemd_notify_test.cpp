// The sd_notify wrapper against a real notify socket, as systemd would create it.
#include "daemon/systemd_notify.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>

namespace qw::daemon {
namespace {

using namespace std::chrono_literals;

class NotifySocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/qw_notify_XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    const auto path = dir_ / "notify.sock";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path.string().size(), sizeof addr.sun_path);
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }

  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    if (fd_ >= 0) ::close(fd_);
    std::filesystem::remove_all(dir_);
  }

  // The next datagram, or nullopt if none arrives within a generous bound.
  std::optional<std::string> receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return std::nullopt;
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

  std::filesystem::path dir_;
  int fd_ = -1;
};

TEST_F(NotifySocketTest, ReadySendsReady) {
  EXPECT_TRUE(systemd::ready());
  EXPECT_EQ(receive(), "READY=1");
}

TEST_F(NotifySocketTest, StatusSendsOneLine) {
  EXPECT_TRUE(systemd::status("probing 3 targets\nand more"));
  EXPECT_EQ(receive(), "STATUS=probing 3 targets and more");
}

TEST_F(NotifySocketTest, ReloadingCarriesMonotonicTimestamp) {
  EXPECT_TRUE(systemd::reloading());
  const auto message = receive();
  ASSERT_TRUE(message);
  EXPECT_TRUE(std::regex_match(*message, std::regex("RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*")))
      << *message;
}

TEST_F(NotifySocketTest, StoppingAndWatchdog) {
  EXPECT_TRUE(systemd::stopping());
  EXPECT_EQ(receive(), "STOPPING=1");
  EXPECT_TRUE(systemd::watchdog_ping());
  EXPECT_EQ(receive(), "WATCHDOG=1");
}

TEST(SystemdNotify, NoOpWithoutNotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(systemd::ready());
  EXPECT_FALSE(systemd::status("x"));
}

TEST(SystemdNotify, WatchdogIntervalFromEnvironment) {
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  EXPECT_EQ(systemd::watchdog_interval(), std::nullopt);

  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(systemd::watchdog_interval(), std::chrono::microseconds(3s));

  // Meant for another process (a parent that kept the variables): not ours to feed.
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_EQ(systemd::watchdog_interval(), std::nullopt);
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

}  // namespace
}  // namespace qw::daemon
