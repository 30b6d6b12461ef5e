#include "config/password_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace qw::config {

PasswordFileResult read_password_file(const std::string& path) {
  PasswordFileResult result;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    result.error = "password file \"" + path + "\" is a directory";
    return result;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.error = "cannot read password file \"" + path + "\": " + std::strerror(errno);
    return result;
  }
  std::getline(in, result.password);
  if (in.bad()) {
    result.error = "cannot read password file \"" + path + "\": " + std::strerror(errno);
    return result;
  }
  // Files written on Windows or by `echo` in some shells end in CRLF.
  if (!result.password.empty() && result.password.back() == '\r') result.password.pop_back();
  if (result.password.empty()) {
    // An empty password is never what was meant: the file was truncated or not yet provisioned.
    result.error = "password file \"" + path + "\" is empty";
  }
  return result;
}

}  // namespace qw::config
