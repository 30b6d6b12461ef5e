#pragma once
// HTTP basic authentication against bcrypt hashes (exporter-toolkit's basic_auth_users).
// bcrypt is verified by libxcrypt (crypt_rn; Debian 12's 4.4.33 verifies $2a$, $2b$ and $2y$)
// and the result compared with the stored hash in constant time. A unknown user costs the same
// bcrypt as a known one, so response times do not tell which users exist.
//
// bcrypt at cost 10 takes tens of milliseconds by design. A scrape every 15 s must not pay it
// every time, so a successful check is remembered for kAuthCacheTtl (by a SHA-256 of user,
// password and hash, never the password itself); failures are never remembered, so guessing
// always pays full price. exporter-toolkit caches likewise (web/cache.go, 100 entries).
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace qw::daemon {

inline constexpr std::chrono::seconds kAuthCacheTtl{60};
inline constexpr std::size_t kAuthCacheSize = 100;

class BasicAuth {
 public:
  BasicAuth() = default;
  explicit BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}
  BasicAuth(BasicAuth&&) = default;
  BasicAuth& operator=(BasicAuth&&) = default;

  // No users: every request is let in (exporter-toolkit's rule).
  bool enabled() const { return !users_.empty(); }

  enum class Verdict { allowed, refused, needs_bcrypt };
  // Cheap, for the event loop: no or malformed credentials are refused, a remembered success is
  // allowed, anything else needs verify().
  Verdict quick(std::string_view authorization) const;
  // Runs bcrypt (slow: call it off the event loop). Thread-safe.
  bool verify(std::string_view authorization) const;

 private:
  struct Credentials {
    std::string user, password;
  };
  static bool parse(std::string_view authorization, Credentials& out);
  std::string cache_key(const Credentials& c, const std::string& hash) const;

  struct Cache {
    std::mutex mutex;  // the event loop reads, the bcrypt thread writes
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> expiry;  // by key
  };
  std::map<std::string, std::string> users_;
  std::unique_ptr<Cache> cache_ = std::make_unique<Cache>();
};

}  // namespace qw::daemon
