// The authentication filter of secured resources (reference §5):
// - Basic (RFC 7617) against the `[b7a.users]` store, for resources whose schemes include Basic;
// - self-contained JWTs (`Authorization: Bearer x.y.z`, RFC 6750 §2.1) against the
//   `[[jwtTokenConfig]]` issuers, for resources whose schemes include OAuth2;
// - opaque Bearer tokens → the OpaqueTokenValidator (introspection) when one is configured;
// - WSO2 API keys (header or query, filters/apikey) for resources with an apiKey scheme;
// - everything else fails closed through FailClosedSecurityFilter.
// Every success sets the request's AuthContext (auth_context.h). With optional application
// security (`x-wso2-application-security: {optional: true}`) an AuthContext of type
// "mutual_ssl", set by the mTLS filter that runs before this one, is enough (mTLS OR app
// security, reference §2); otherwise mTLS AND application security.
//
// Threading: built once at start and shared read-only by every worker; the UserStore and the
// Verifier are immutable, the slow-hash cache and the TokenCache are per thread (thread_local).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "filters/apikey/api_key.h"
#include "filters/basic_auth/user_store.h"
#include "filters/jwt/token_cache.h"
#include "filters/jwt/verifier.h"
#include "filters/jwt/verifier_source.h"
#include "filters/security/fail_closed_filter.h"
#include "filters/security/opaque_token.h"
#include "mgw/filter/filter.h"

namespace mgw::filters {

struct AuthFilterConfig {
  std::string default_auth_header = "Authorization";  // `[authConfig] authorizationHeader`
  bool remove_auth_header = true;  // `[authConfig] removeAuthHeaderFromOutMessage`
  std::shared_ptr<const basic_auth::UserStore> users;  // null: Basic fails closed
  std::shared_ptr<const jwt::Verifier> verifier;       // null: Bearer tokens fail closed
  // Set when an issuer has a `jwksURL`: the current Verifier, replaced as keys are fetched
  // (`verifier` then only says that JWTs are handled at all).
  std::shared_ptr<jwt::VerifierSource> verifier_source;
  jwt::TokenCacheOptions token_cache;  // `[caching]`, per worker thread
  // Bearer tokens that are not three-part JWTs (opaque OAuth2 tokens, RFC 7662 introspection);
  // null: they fail closed (401 900901).
  std::shared_ptr<const OpaqueTokenValidator> opaque;
  // Revoked `jti`s and signatures (the revocation feeds fill it), consulted after verification
  // and on every cache hit, for JWTs and API keys; null: nothing is revoked.
  std::shared_ptr<const jwt::RevocationSet> revoked;
  // `[apikey.tokenConfigs]`; null: API keys fail closed.
  std::shared_ptr<const apikey::ApiKeyValidator> api_keys;
};

class AuthFilter final : public filter::Filter {
 public:
  explicit AuthFilter(AuthFilterConfig config);
  std::string_view name() const override { return "security"; }
  filter::FilterStatus onRequestHeaders(filter::RequestContext& ctx) const override;

 private:
  filter::FilterStatus basic(filter::RequestContext& ctx, std::string_view header_name,
                             std::string_view value) const;
  filter::FilterStatus bearer(filter::RequestContext& ctx, std::string_view header_name,
                              std::string_view token) const;
  filter::FilterStatus apiKey(filter::RequestContext& ctx, std::string_view key) const;
  filter::FilterStatus invalid(filter::RequestContext& ctx, std::string_view reason) const;
  jwt::TokenCache& threadCache(bool api_keys = false) const;

  AuthFilterConfig config_;
  uint64_t id_;  // tells this filter's per-thread TokenCache from an older runtime's
  FailClosedSecurityFilter fail_closed_;
};

// The resource scope rule of every credential type (Basic, JWT, opaque tokens): any-of
// (reference §3); a resource without scopes needs none.
bool scopesAllow(const std::vector<std::string>& required, const std::vector<std::string>& held);
// 403 900910 with WSO2's strings (reference §5).
filter::LocalReply missingScopeReply();

// The `WWW-Authenticate` value WSO2 puts on handler-produced 401s (reference §5): one challenge
// per provider of the resource (`OAuth2 realm=...`, `Basic Auth realm=...`) followed by WSO2's
// fixed error parameters, byte for byte.
std::string wso2Challenge(const artifact::Resource& resource);

}  // namespace mgw::filters
