#include "daemon/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <cstring>
#include <memory>
#include <vector>

namespace qw::daemon {

namespace {

// exporter-toolkit's stand-in for an unknown user (bcrypt of "fakepassword", cost 10): checked
// so an unknown user takes as long as a known one.
constexpr const char* kDummyHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

bool base64_decode(std::string_view in, std::string& out) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return false;
  std::vector<unsigned char> buf(in.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return false;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the bytes the '=' padding stands for.
  if (in.ends_with("==")) {
    len -= 2;
  } else if (in.ends_with("=")) {
    len -= 1;
  }
  out.assign(reinterpret_cast<const char*>(buf.data()), len);
  return true;
}

bool bcrypt_matches(const std::string& password, const char* hash) {
  auto data = std::make_unique<crypt_data>();  // 32 KiB: not on the stack
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_rn(password.c_str(), hash, data.get(), sizeof(crypt_data));
  const std::size_t len = std::strlen(hash);
  // A failure is "*0"/"*1" or null; the length of a hash is no secret.
  return out != nullptr && std::strlen(out) == len && CRYPTO_memcmp(out, hash, len) == 0;
}

}  // namespace

bool BasicAuth::parse(std::string_view authorization, Credentials& out) {
  if (!iequals_prefix(authorization, "basic ")) return false;
  std::string_view encoded = authorization.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  std::string decoded;
  if (!base64_decode(encoded, decoded)) return false;
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  // crypt_rn reads a C string: a password with a NUL would be checked cut short.
  if (decoded.find('\0') != std::string::npos) return false;
  out.user = decoded.substr(0, colon);
  out.password = decoded.substr(colon + 1);
  return true;
}

std::string BasicAuth::cache_key(const Credentials& c, const std::string& hash) const {
  // Length-prefixed, so no two (user, password) pairs share a key.
  const std::string material = std::to_string(c.user.size()) + ":" + c.user +
                               std::to_string(c.password.size()) + ":" + c.password + hash;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

BasicAuth::Verdict BasicAuth::quick(std::string_view authorization) const {
  if (!enabled()) return Verdict::allowed;
  Credentials c;
  if (!parse(authorization, c)) return Verdict::refused;
  const auto user = users_.find(c.user);
  if (user == users_.end()) return Verdict::needs_bcrypt;  // pays bcrypt like a known one
  const auto key = cache_key(c, user->second);
  const std::lock_guard lock(cache_->mutex);
  const auto hit = cache_->expiry.find(key);
  if (hit != cache_->expiry.end() && std::chrono::steady_clock::now() < hit->second)
    return Verdict::allowed;
  return Verdict::needs_bcrypt;
}

bool BasicAuth::verify(std::string_view authorization) const {
  if (!enabled()) return true;
  Credentials c;
  if (!parse(authorization, c)) return false;
  const auto user = users_.find(c.user);
  if (user == users_.end()) {
    bcrypt_matches(c.password, kDummyHash);
    return false;
  }
  if (!bcrypt_matches(c.password, user->second.c_str())) return false;
  const auto now = std::chrono::steady_clock::now();
  const auto key = cache_key(c, user->second);
  const std::lock_guard lock(cache_->mutex);
  auto& expiry = cache_->expiry;
  if (expiry.size() >= kAuthCacheSize) {
    std::erase_if(expiry, [&](const auto& e) { return e.second <= now; });
    if (expiry.size() >= kAuthCacheSize) expiry.clear();  // 100 live passwords at once: rare
  }
  expiry[key] = now + kAuthCacheTtl;
  return true;
}

}  // namespace qw::daemon
