#include "tests/integration/support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>

namespace qw::itest {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("could not bind a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

PrivateCluster::PrivateCluster() {
  // Short: the Unix socket lives in this directory, and socket paths are limited to 107 bytes.
  std::string templ = (std::filesystem::temp_directory_path() / "qw-itest.XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
  port_ = free_port();
  start();
}

PrivateCluster::~PrivateCluster() {
  try {
    pgctl("cleanup");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "private cluster cleanup failed: %s\n", e.what());
  }
}

void PrivateCluster::start() {
  pgctl("start");
}
void PrivateCluster::stop() {
  pgctl("stop");
}

void PrivateCluster::pgctl(const std::string& command) {
  const std::string line = "'" + source_dir() + "/scripts/lib/pgctl.sh' " + command + " '" + dir_ +
                           "' " + std::to_string(port_);
  const int status = std::system(line.c_str());
  if (status != 0)
    throw std::runtime_error("`" + line + "` failed with status " + std::to_string(status));
}

}  // namespace qw::itest
