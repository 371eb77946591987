// WSO2's API-key issuing endpoint (tokenServices.mustache `apiKeyService`, api_key_utils.bal
// generateAPIKey): `GET|POST /apikey[/...]` on the HTTPS listener only, Basic authentication
// against `[b7a.users]`, answers 200 `text/plain` with an RS256 JWT:
//   header {"alg":"RS256","typ":"jwt","kid":<certificateAlias>}
//   claims sub (the user), iss, jti (UUID), iat, exp (only when the validity is > 0),
//          keytype "PRODUCTION", allowedAPIs [{name, version}] from `[[apikey.issuer.api]]`
//          (versions "1.0.0, v2" → one entry each, "*" or absent → "*").
// `[apikey.issuer.tokenConfig] validityTime` (seconds, -1 = no expiry) may be shortened by a
// request body `{"validityTime": n}` (n > 0 and shorter, or any n when unlimited).
//
// Threading: immutable after start, shared by every worker; handle() does no I/O.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "filters/basic_auth/user_store.h"
#include "mgw/base/result.h"
#include "mgw/config/gateway_config.h"
#include "mgw/filter/filter.h"
#include "mgw/http/message.h"

namespace mgw::apikey {

struct ApiKeyIssuerConfig {
  std::shared_ptr<EVP_PKEY> key;  // RSA signing key
  std::string kid = "ballerina";  // `certificateAlias`
  std::string issuer = "https://localhost:9095/apikey";
  int64_t validity_s = -1;
  nlohmann::json allowed_apis = nlohmann::json::array();
  std::string auth_header = "Authorization";

  // Null result (no error) when `enabled = false`. The key comes from
  // `[apikey.issuer.tokenConfig] keyStorePath/keyStorePassword` (alias certificateAlias), else
  // from `[listenerConfig] keyStorePath`; an unusable key store is an error (reason
  // config.apikey_issuer_key).
  static Result<std::shared_ptr<ApiKeyIssuerConfig>> fromConfig(const config::GatewayConfig& c);
};

class ApiKeyIssuer {
 public:
  ApiKeyIssuer(ApiKeyIssuerConfig config, std::shared_ptr<const basic_auth::UserStore> users);

  // True for the endpoint's paths: "/apikey" and "/apikey/..." with GET or POST.
  static bool matches(std::string_view method, std::string_view path);
  // The whole answer to one request (`body` is the complete request body).
  filter::LocalReply handle(const http::RequestHead& request, std::string_view body) const;
  // The key for `user` at `now_ms` given the request body.
  std::string issue(std::string_view user, std::string_view body, int64_t now_ms) const;
  // The validity (seconds, <= 0: none) after the body's `validityTime`.
  int64_t validityFor(std::string_view body) const;

 private:
  ApiKeyIssuerConfig config_;
  std::shared_ptr<const basic_auth::UserStore> users_;
};

}  // namespace mgw::apikey
