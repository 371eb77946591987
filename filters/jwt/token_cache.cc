#include "filters/jwt/token_cache.h"

#include <algorithm>
#include <cstdint>

namespace mgw::jwt {

TokenCache::TokenCache(TokenCacheOptions options) : options_(options) {}

std::shared_ptr<const VerifiedToken> TokenCache::find(std::string_view token, uint64_t generation,
                                                      int64_t now_ms) {
  const auto it = index_.find(token);
  if (it == index_.end())
    return nullptr;
  const List::iterator entry = it->second;
  if (entry->generation != generation || now_ms >= entry->expires_at_ms) {
    index_.erase(it);
    lru_.erase(entry);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  return entry->value;
}

void TokenCache::insert(std::string_view token, std::shared_ptr<const VerifiedToken> value,
                        uint64_t generation, int64_t expires_at_ms, int64_t now_ms) {
  if (options_.capacity == 0 || options_.expiry_ms <= 0 || !value)
    return;
  const int64_t expires = std::min(expires_at_ms, now_ms + options_.expiry_ms);
  if (expires <= now_ms)
    return;
  erase(token);
  while (index_.size() >= options_.capacity && !lru_.empty()) {
    index_.erase(std::string_view(lru_.back().token));
    lru_.pop_back();
  }
  lru_.push_front(Entry{std::string(token), std::move(value), generation, expires});
  index_.emplace(std::string_view(lru_.front().token), lru_.begin());
}

void TokenCache::erase(std::string_view token) {
  const auto it = index_.find(token);
  if (it == index_.end())
    return;
  const List::iterator entry = it->second;
  index_.erase(it);
  lru_.erase(entry);
}

void TokenCache::clear() {
  index_.clear();
  lru_.clear();
}

namespace {

bool isRevoked(const RevocationSet* revoked, const VerifiedToken& token) {
  if (revoked == nullptr)
    return false;
  return (!token.jti.empty() && revoked->isRevoked(token.jti)) ||
         revoked->isRevoked(token.signature_b64);
}

}  // namespace

Result<std::shared_ptr<const VerifiedToken>> verifyCached(const Verifier& verifier,
                                                          std::string_view token, int64_t now_ms,
                                                          TokenCache* cache,
                                                          const RevocationSet* revoked) {
  if (cache != nullptr) {
    if (auto hit = cache->find(token, verifier.generation(), now_ms)) {
      if (isRevoked(revoked, *hit)) {
        cache->erase(token);
        return makeError("jwt.revoked", "token revoked");
      }
      return hit;
    }
  }
  auto verified = verifier.verify(token, now_ms);
  if (!verified)
    return verified.error();
  auto value = std::make_shared<const VerifiedToken>(std::move(*verified));
  if (isRevoked(revoked, *value))
    return makeError("jwt.revoked", "token revoked");
  if (cache != nullptr) {
    // A token stays usable until exp + skew on a fresh verification; the cache must not outlive
    // that. Tokens without exp live for the cache expiry only.
    int64_t expires = INT64_MAX;
    if (value->exp_s)
      expires = *value->exp_s * 1000 +
                std::clamp<int64_t>(verifier.options().skew_ms, 0, 1'000'000'000'000);
    cache->insert(token, value, verifier.generation(), expires, now_ms);
  }
  return std::shared_ptr<const VerifiedToken>(std::move(value));
}

}  // namespace mgw::jwt
