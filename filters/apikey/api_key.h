// WSO2 API keys (reference wso2-mgw3.md §8 "API key"): self-issued RS256 JWTs (`typ: jwt`,
// `kid` = certificate alias) carried in a header or query parameter, trusted through
// `[apikey.tokenConfigs] issuer / certificateAlias` and, when `validateAllowedAPIs`, restricted to
// the APIs of their `subscribedAPIs` (else `allowedAPIs`) claim. Scopes are never enforced.
//
// Threading: an ApiKeyValidator is immutable, shared read-only by every worker; the token cache
// handed to validate() belongs to the calling worker thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/jwt/token_cache.h"
#include "filters/jwt/verifier.h"
#include "mgw/artifact/model.h"
#include "mgw/base/result.h"
#include "mgw/filter/filter.h"
#include "mgw/http/message.h"

namespace mgw::apikey {

// WSO2's default key name for header and query (OpenAPIConstants.DEFAULT_API_KEY_HEADER_QUERY).
inline constexpr std::string_view kDefaultKeyName = "apikey";

struct KeyLocation {
  bool in_query = false;
  std::string name;
};

// Where the resource accepts API keys: each apiKey scheme's `in`/`name`; a scheme without a name
// (`x-wso2-application-security: [api_key]`) means both the `apikey` header and query parameter.
std::vector<KeyLocation> keyLocations(const artifact::Resource& resource);

// The first API key the request carries at one of `locations` (header first, as listed), or
// nullopt. Query values are percent-decoded; a key is never taken from a parameter whose name
// only starts with the configured one.
std::optional<std::string> findKey(const std::vector<KeyLocation>& locations,
                                   const http::RequestHead& request);

struct ApiKeyConfig {
  // `[apikey.tokenConfigs]`: a Verifier with a single issuer (issuer, certificateAlias key),
  // RS256 only and `exp` optional (keys issued with validityTime -1 have none).
  std::shared_ptr<const jwt::Verifier> verifier;
  bool validate_allowed_apis = false;  // `validateAllowedAPIs`
};

// The IssuerConfig for `[apikey.tokenConfigs]` (see ApiKeyConfig::verifier).
jwt::IssuerConfig issuerConfig(std::string issuer, std::string certificate_alias);

class ApiKeyValidator {
 public:
  explicit ApiKeyValidator(ApiKeyConfig config) : config_(std::move(config)) {}

  // Verifies `key` for `api` and returns the caller's AuthContext (auth_type "api_key").
  // Reasons (all answered 401 900901 by the filter): the jwt.* reasons of verifyCached, and
  // apikey.not_allowed (validateAllowedAPIs and no entry of the list names this API).
  Result<filter::AuthContext> validate(std::string_view key, const artifact::Api& api,
                                       int64_t now_ms, jwt::TokenCache* cache,
                                       const jwt::RevocationSet* revoked) const;

  const ApiKeyConfig& config() const { return config_; }

 private:
  ApiKeyConfig config_;
};

}  // namespace mgw::apikey
