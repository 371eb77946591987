// The backend JWT (reference wso2-mgw3.md §6 "Out to backend", §3 `[jwtGeneratorConfig]`): the
// `X-JWT-Assertion` field (`[jwtConfig] header`) sent to the upstream with the caller's identity.
//
// - A client-written field of that name is always removed (it would let a client pose as anyone
//   to a backend that trusts the field).
// - A verified token with a `backendJwt` claim: that claim is forwarded verbatim.
// - Else, when `jwtGeneratorEnabled`, a JWT as WSO2's MGWJWTGeneratorImpl builds it: header
//   {"typ":"JWT","alg":"RS256","x5t":base64url(hex SHA-1 of the certificate)} (x5t padded, as
//   Java's URL encoder writes it) or {"typ":"JWT","alg":"none"} with an empty signature for
//   NONE; claims iss, jti, iat, exp (now + cache expiry when caching, else tokenExpiry), sub and
//   <dialect>/enduser, scopes, <dialect>/{applicationid, applicationUUId, subscriber,
//   applicationname, applicationtier, apiname, enduserTenantDomain, apicontext, version, tier,
//   keytype, usertype}, plus the incoming claims that are not restricted. No `aud` (the default
//   implementation emits none).
//
// Threading: the filter is immutable and shared by every worker; generated tokens are cached per
// worker thread (bounded), keyed by the caller's identity and the API, and regenerated when less
// than the skew of their life is left.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mgw/base/result.h"
#include "mgw/config/gateway_config.h"
#include "mgw/filter/filter.h"

namespace mgw::backend_jwt {

struct BackendJwtConfig {
  std::string header = "X-JWT-Assertion";  // `[jwtConfig] header`
  bool enabled = false;                    // `jwtGeneratorEnabled`
  std::string dialect = "http://wso2.org/claims";
  bool sign = true;               // `signingAlgorithm`: SHA256withRSA (true) or NONE
  std::shared_ptr<EVP_PKEY> key;  // `privateKeyAlias` of the listener key store
  std::string x5t;                // of the certificate of that entry
  std::string issuer = "wso2.org/products/am";
  int64_t token_expiry_ms = 900000;
  std::vector<std::string> restricted_claims;  // configured; WSO2's defaults are always added
  bool cache_enabled = true;
  int64_t cache_expiry_ms = 900000;
  size_t cache_capacity = 10000;
  int64_t skew_ms = 5000;

  // Reads `[jwtConfig]`, `[jwtGeneratorConfig]` and, when signing, the key store. A generator
  // that cannot sign is a start error (config.backend_jwt_key).
  static Result<BackendJwtConfig> fromConfig(const config::GatewayConfig& config);
};

// x5t as WSO2 writes it: base64url, padded, of the lowercase hex SHA-1 of the DER certificate.
std::string wso2Thumbprint(X509* cert);

// Builds the generated JWT for `auth` calling `api` at `now_ms` (no caching).
std::string generate(const BackendJwtConfig& config, const filter::AuthContext& auth,
                     const artifact::Api& api, int64_t now_ms);

class BackendJwtFilter final : public filter::Filter {
 public:
  explicit BackendJwtFilter(BackendJwtConfig config);
  std::string_view name() const override { return "backend_jwt"; }
  filter::FilterStatus onRequestHeaders(filter::RequestContext& ctx) const override;
  const BackendJwtConfig& config() const { return config_; }

 private:
  std::string cachedOrGenerate(const filter::AuthContext& auth, const artifact::Api& api) const;

  BackendJwtConfig config_;
  uint64_t id_;
};

}  // namespace mgw::backend_jwt
