// Per-worker cache of verified tokens (`[caching]`) and the revocation hook.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "filters/jwt/verifier.h"
#include "mgw/base/result.h"

namespace mgw::jwt {

// Revoked tokens, filled by the revocation feeds (JMS/AMQP, persistent store, etcd). WSO2 keeps
// `jti`s and JWT signature segments in one map; isRevoked() is asked about both. Implementations
// are read concurrently by every worker and must not block (an immutable snapshot swapped by
// pointer, for instance).
class RevocationSet {
 public:
  virtual ~RevocationSet() = default;
  // `key` is a `jti` or a canonical (unpadded) base64url signature segment.
  virtual bool isRevoked(std::string_view key) const = 0;
};

struct TokenCacheOptions {
  size_t capacity = 10000;     // `[caching] tokenCacheCapacity`; 0 disables caching
  int64_t expiry_ms = 900000;  // `[caching] tokenCacheExpiryTime`, read as milliseconds (WSO2
                               // handed it to its caches as seconds: a quirk we drop)
};

// LRU map from the WHOLE token string (hashed, then compared in full) to its verification
// result. Never keyed on the signature alone: a token with a changed payload and the original
// signature is a different key and is verified from scratch (wso2/product-apim#7406). An entry
// lives until the earliest of: its insertion + expiry_ms, the token's exp + skew, eviction as
// least recently used when the cache is full (WSO2 evicted 25 % at once; one at a time here), or
// a lookup under a different Verifier generation (keys changed). Failures are never cached.
//
// Threading: NOT thread-safe, by design. Each worker thread owns one instance (no locks on the
// request path). Lookups of hits do not allocate.
class TokenCache {
 public:
  explicit TokenCache(TokenCacheOptions options = {});

  std::shared_ptr<const VerifiedToken> find(std::string_view token, uint64_t generation,
                                            int64_t now_ms);
  void insert(std::string_view token, std::shared_ptr<const VerifiedToken> value,
              uint64_t generation, int64_t expires_at_ms, int64_t now_ms);
  void erase(std::string_view token);
  void clear();
  size_t size() const { return index_.size(); }
  const TokenCacheOptions& options() const { return options_; }

 private:
  struct Entry {
    std::string token;
    std::shared_ptr<const VerifiedToken> value;
    uint64_t generation = 0;
    int64_t expires_at_ms = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using List = std::list<Entry>;

  TokenCacheOptions options_;
  List lru_;  // front = most recently used
  // Keys view the token strings owned by the list nodes (stable addresses).
  std::unordered_map<std::string_view, List::iterator, Hash, std::equal_to<>> index_;
};

// The request-path entry point: cache lookup, else full verification and insertion; the
// revocation set (optional) is consulted on every call, hit or miss, with the token's jti and
// signature. Revoked → "jwt.revoked" (and the cache entry is dropped). `cache` may be null.
Result<std::shared_ptr<const VerifiedToken>> verifyCached(const Verifier& verifier,
                                                          std::string_view token, int64_t now_ms,
                                                          TokenCache* cache,
                                                          const RevocationSet* revoked);

}  // namespace mgw::jwt
