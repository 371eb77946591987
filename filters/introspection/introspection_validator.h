// Opaque OAuth2 access tokens validated by RFC 7662 token introspection against `[keyManager]`
// (reference wso2-mgw3.md §3 `[keyManager]`, §5, §8 "Opaque"): the OpaqueTokenValidator of the
// authentication filter (filters/security/opaque_token.h).
//
// Per request: cache lookup (per worker thread, keyed on the whole token), else
// `POST <serverUrl>/<tokenContext>/introspect` with `token=<token>` through ctx.httpCall; the
// chain pauses until the key manager answers. `active:false`, an expired `exp`, a future `nbf`,
// and any call failure (connect, timeout, non-200, malformed or oversize JSON) answer 401 900901;
// a resource scope the token lacks answers 403 900910 (the JWT rule, any-of).
//
// Threading: built once at start, shared read-only by every worker; the result cache is
// thread_local (no locks on the request path), and callbacks run on the worker that paused.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "filters/security/opaque_token.h"
#include "mgw/base/result.h"
#include "mgw/filter/filter.h"

namespace mgw::introspection {

struct IntrospectionConfig {
  std::string url;            // `<serverUrl>/<tokenContext>/introspect`
  std::string authorization;  // `Basic …` from `[keymanager.security.basic]`, or "" (none)
  int64_t timeout_ms = 5000;
  size_t max_response_bytes = 64 * 1024;
  size_t max_token_bytes = 16 * 1024;  // longer credentials are refused without a call
  int64_t skew_ms = 5000;              // `[keyManager] timestampSkew`
  size_t cache_capacity = 10000;       // `[caching] tokenCacheCapacity`; 0 disables caching
  int64_t cache_expiry_ms = 900000;    // `[caching] tokenCacheExpiryTime`
  int64_t negative_cache_ms = 10000;   // inactive tokens are remembered this long
  bool remove_auth_header = true;      // `[authConfig] removeAuthHeaderFromOutMessage`
  std::function<int64_t()> now_ms;     // null: the system clock (tests inject one)
};

// What the key manager said about one token (RFC 7662 §2.2).
struct IntrospectionResult {
  bool active = false;
  std::string username;             // `username`, else `sub`
  std::string client_id;            // `client_id`: the consumer key
  std::string issuer;               // `iss`
  std::vector<std::string> scopes;  // `scope`, space separated (RFC 7662 §2.2)
  std::optional<int64_t> exp_s;
  std::optional<int64_t> nbf_s;
};

// Parses an introspection response. Reasons: introspection.status (not 200),
// introspection.malformed (not a JSON object, `active` not a boolean, a member of the wrong
// type, nesting deeper than 32).
Result<IntrospectionResult> parseIntrospectionResponse(const filter::HttpCallResponse& response);

// `Basic base64(user ":" password)` (RFC 7617 §2).
std::string basicAuthorization(std::string_view user, std::string_view password);

// `application/x-www-form-urlencoded` encoding of one value (WHATWG URL §5.2 byte serializer).
std::string formEncode(std::string_view value);

// Per-worker LRU of introspection results, keyed on the whole token (never a prefix or hash
// alone). NOT thread-safe: one per worker thread.
class IntrospectionCache {
 public:
  explicit IntrospectionCache(size_t capacity) : capacity_(capacity) {}
  std::shared_ptr<const IntrospectionResult> find(std::string_view token, int64_t now_ms);
  void insert(std::string_view token, std::shared_ptr<const IntrospectionResult> value,
              int64_t expires_at_ms);
  size_t size() const { return index_.size(); }

 private:
  struct Entry {
    std::string token;
    std::shared_ptr<const IntrospectionResult> value;
    int64_t expires_at_ms = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using List = std::list<Entry>;
  size_t capacity_;
  List lru_;  // front = most recently used
  std::unordered_map<std::string_view, List::iterator, Hash, std::equal_to<>> index_;
};

class IntrospectionValidator final : public filters::OpaqueTokenValidator {
 public:
  explicit IntrospectionValidator(IntrospectionConfig config);
  filter::FilterStatus authenticate(filter::RequestContext& ctx, std::string_view token,
                                    std::string_view header_name) const override;
  const IntrospectionConfig& config() const { return config_; }
  // This thread's cache (for tests and metrics).
  IntrospectionCache& threadCache() const;

 private:
  int64_t now() const;
  // Applies a (cached or fresh) result; answers Continue or sends the refusal and answers Stop.
  filter::FilterStatus apply(filter::RequestContext& ctx, const IntrospectionResult& result,
                             std::string_view header_name, int64_t now_ms) const;
  void onResponse(filter::RequestContext& ctx, const std::string& token,
                  const std::string& header_name, Result<filter::HttpCallResponse> response) const;

  IntrospectionConfig config_;
  uint64_t id_;  // tells this validator's per-thread cache from an older runtime's
};

}  // namespace mgw::introspection
