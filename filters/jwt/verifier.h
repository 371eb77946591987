// JWT verification against the configured trusted issuers (`[[jwtTokenConfig]]`, reference
// wso2-mgw3.md §3 and §8). Pure computation: no I/O, no locks, no logging.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/jwt/algorithm.h"
#include "filters/jwt/jwt.h"
#include "filters/jwt/key_set.h"
#include "mgw/base/result.h"

namespace mgw::jwt {

// `[[jwtTokenConfig.claims]] remoteClaim, localClaim`: the remote claim is renamed to the local
// one before scopes, key type and subscriptions are read.
struct ClaimMapping {
  std::string remote_claim;
  std::string local_claim;
};

// One `[[jwtTokenConfig]]` entry.
struct IssuerConfig {
  std::string name;    // for logs and metrics, e.g. "jwtTokenConfig[0]"
  std::string issuer;  // `iss` must equal this exactly (no trailing-slash or case folding)
  std::vector<std::string> audiences;  // `audience`; empty = not checked
  std::string certificate_alias;       // where the keys come from; the wiring layer loads them
  std::string jwks_url;
  bool validate_subscription = false;
  std::string consumer_key_claim = "aud";
  std::vector<ClaimMapping> claim_mappings;
  std::vector<Alg> allowed_algs;  // empty = every algorithm of algorithm.h
  bool require_exp = true;
};

struct VerifierOptions {
  int64_t skew_ms = 5000;  // `[keyManager] timestampSkew` (or `[server] timestampSkew`)
  JwtLimits limits;
};

enum class KeyType { Production, Sandbox };

// The `application` claim of a WSO2 APIM self-contained token. Numbers are rendered as strings.
struct ApplicationInfo {
  std::string id;
  std::string uuid;
  std::string name;
  std::string tier;
  std::string owner;
};

// One element of the `subscribedAPIs` claim.
struct SubscribedApi {
  std::string name;
  std::string version;
  std::string context;
  std::string publisher;
  std::string subscription_tier;
  std::string subscriber_tenant_domain;
};

struct VerifiedToken {
  size_t issuer_index = 0;  // position in the Verifier's issuer list (config order)
  std::string issuer_name;
  std::string issuer;
  std::string subject;
  std::vector<std::string> scopes;         // `scope` (space-separated) or `scp` (array or string)
  KeyType key_type = KeyType::Production;  // `keytype`; only "SANDBOX" (any case) is sandbox
  std::optional<ApplicationInfo> application;
  std::vector<SubscribedApi> subscribed_apis;
  bool validate_subscription = false;
  std::string consumer_key;  // `consumerKey`, else the issuer's consumerKeyClaim (first if array)
  std::string jti;
  std::optional<int64_t> exp_s;
  std::string signature_b64;  // canonical (unpadded) signature segment, for revocation checks
  nlohmann::json claims;      // the claim set after claim mapping (backend JWT, analytics)
  std::string claims_json;    // `claims` serialised (AuthContext::claims_json)
};

// Immutable once built; share it between workers as std::shared_ptr<const Verifier>. Key
// refreshes produce a new Verifier through withKeys() and are published by swapping the pointer;
// every Verifier has a distinct generation() so token caches drop entries verified with old keys.
class Verifier {
 public:
  struct Issuer {
    IssuerConfig config;
    std::shared_ptr<const KeySet> keys;  // null or empty: every token of this issuer fails closed
  };

  explicit Verifier(std::vector<Issuer> issuers, VerifierOptions options = {});

  // Verifies `token` (the bare compact JWS, without "Bearer "). Order: size and structure, header
  // (alg allow-list, crit, kid), payload JSON, issuer lookup by `iss`, signature with that
  // issuer's keys, then exp/nbf/iat and aud. Issuers sharing an `iss` are tried in config order;
  // the first success wins, otherwise the first failure is returned.
  //
  // Error reasons (the HTTP layer answers every one with 401 900901 and logs the reason only):
  // jwt.oversize, jwt.malformed, jwt.alg_not_allowed, jwt.crit_unsupported, jwt.kid_invalid,
  // jwt.unknown_issuer, jwt.no_keys, jwt.unknown_kid, jwt.key_mismatch, jwt.bad_signature,
  // jwt.expired, jwt.not_yet_valid, jwt.iat_in_future, jwt.missing_exp, jwt.audience_mismatch,
  // jwt.malformed_claim.
  Result<VerifiedToken> verify(std::string_view token, int64_t now_ms) const;
  Result<VerifiedToken> verify(std::string_view token) const;  // now = system clock

  std::shared_ptr<const Verifier> withKeys(size_t issuer_index,
                                           std::shared_ptr<const KeySet> keys) const;

  uint64_t generation() const { return generation_; }
  const std::vector<Issuer>& issuers() const { return issuers_; }
  const VerifierOptions& options() const { return options_; }

 private:
  Result<VerifiedToken> verifyWith(size_t index, Jwt& jwt, int64_t now_ms) const;

  std::vector<Issuer> issuers_;
  VerifierOptions options_;
  uint64_t generation_;
};

int64_t nowMillis();

}  // namespace mgw::jwt
