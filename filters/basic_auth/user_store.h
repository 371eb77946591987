// Basic authentication (RFC 7617) against WSO2's config user store:
//
//   [b7a.users.<name>]
//   password = "<hash>"
//   scopes = "a,b"
//
// Accepted password hashes: lowercase (any case) hex SHA-1 of the plaintext (WSO2's default),
// `@sha256:{hex}`, `@sha384:{hex}`, `@sha512:{hex}` (WSO2), and for new users bcrypt
// (`$2a$` / `$2b$` / `$2y$`, libxcrypt) and Argon2 (`$argon2id$` / `$argon2i$` / `$argon2d$`
// PHC strings, libargon2). Digests are compared in constant time (CRYPTO_memcmp).
//
// Threading: a UserStore is built once (at start or on reload) and then shared read-only by
// every worker; authenticate() is const and safe to call concurrently. Successful bcrypt/Argon2
// verifications (slow on purpose) are remembered in a per-thread VerificationCache, so no lock is
// taken on the request path. Passwords are never logged nor kept in clear.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mgw/base/result.h"
#include "mgw/config/gateway_config.h"

namespace mgw::basic_auth {

enum class HashScheme { Sha1, Sha256, Sha384, Sha512, Bcrypt, Argon2 };

struct AuthenticatedUser {
  std::string name;                 // the configured user name (lowercase: config keys are)
  std::vector<std::string> scopes;  // `scopes = "a,b"`, trimmed, empty elements dropped
};

// The WSO2 fault (reference §5) for a failed authenticate(): 401 with 900912 "Invalid Format"
// for `basic_auth.invalid_format`, else 401 with 900911 "Invalid Credentials".
struct Fault {
  int http_status = 401;
  int code = 900911;
  std::string_view message;
  std::string_view description;
};
Fault faultFor(const Error& error);

// Remembers successful slow-hash verifications of ONE worker thread. Keyed on a keyed SHA-256 of
// the whole credential (store, user name and password; a per-process random key, so the cache
// holds no unsalted fast hash of a password), bounded to `capacity` entries (least recently used
// evicted) and `ttl_ms`. Failures are never cached: a wrong password always costs a full
// verification. Not thread-safe, by design: one per worker.
class VerificationCache {
 public:
  using Key = std::array<unsigned char, 32>;

  explicit VerificationCache(size_t capacity = 1024, int64_t ttl_ms = 600000);
  bool contains(const Key& key, int64_t now_ms);
  void insert(const Key& key, int64_t now_ms);
  void clear();
  size_t size() const { return index_.size(); }

 private:
  struct Entry {
    Key key;
    int64_t expires_at_ms;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  size_t capacity_;
  int64_t ttl_ms_;
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index_;
};

class UserStore {
 public:
  UserStore();

  // Every `b7a.users.<name>.password` of the configuration, with its `.scopes`. A password that
  // is none of the accepted hash formats stops the start (reason basic_auth.bad_password_hash;
  // the message names the key and its source, never the value).
  static Result<UserStore> fromConfig(const config::GatewayConfig& config);

  // Adds one user (name matched case-insensitively). Reasons: basic_auth.bad_password_hash,
  // basic_auth.duplicate_user, basic_auth.bad_user_name.
  Status addUser(std::string_view name, std::string_view password_hash,
                 std::vector<std::string> scopes);

  // Checks an `Authorization` field value (`Basic <base64(user:password)>`, scheme
  // case-insensitive). Failure reasons: basic_auth.not_basic (another scheme),
  // basic_auth.invalid_format (bad base64, no ':'), basic_auth.empty_credentials (empty user or
  // password), basic_auth.too_long, basic_auth.unknown_user, basic_auth.wrong_password.
  // Uses the calling thread's VerificationCache.
  Result<AuthenticatedUser> authenticate(std::string_view authorization_header_value) const;
  // Same with an explicit cache (nullptr: no caching).
  Result<AuthenticatedUser> authenticate(std::string_view authorization_header_value,
                                         VerificationCache* cache) const;

  // True when the value uses the Basic scheme (the filter's "can this handler process it").
  static bool isBasic(std::string_view authorization_header_value);

  size_t size() const { return users_.size(); }
  bool empty() const { return users_.empty(); }
  bool contains(std::string_view name) const;
  HashScheme schemeOf(std::string_view name) const;  // Sha1 when unknown

  // Bounds on untrusted input: longer Basic values are rejected before decoding.
  static constexpr size_t kMaxEncodedCredentials = 4096;

 private:
  struct User {
    std::string name;
    std::vector<std::string> scopes;
    HashScheme scheme = HashScheme::Sha1;
    std::string digest;   // SHA-x raw digest; Argon2 raw hash
    std::string encoded;  // bcrypt: the whole crypt string
    std::string salt;     // Argon2 parameters
    uint32_t t_cost = 0, m_cost = 0, lanes = 0, version = 0;
    int argon2_type = 0;
  };

  bool verify(const User& user, std::string_view password) const;

  uint64_t id_;                                  // distinguishes stores in the per-thread caches
  std::unordered_map<std::string, User> users_;  // lowercase name -> user
  std::string decoy_;  // a slow-hash user verified for unknown names (uniform timing)
};

}  // namespace mgw::basic_auth
