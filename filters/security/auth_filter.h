// The authentication filter of secured resources (reference §5):
// - Basic (RFC 7617) against the `[b7a.users]` store, for resources whose schemes include Basic;
// - self-contained JWTs (`Authorization: Bearer x.y.z`, RFC 6750 §2.1) against the
//   `[[jwtTokenConfig]]` issuers, for resources whose schemes include OAuth2;
// - everything else (opaque tokens, API keys, unverifiable schemes) still fails closed through
//   FailClosedSecurityFilter until its handler is wired.
//
// Threading: built once at start and shared read-only by every worker; the UserStore and the
// Verifier are immutable, the slow-hash cache and the TokenCache are per thread (thread_local).
#pragma once

#include <memory>
#include <string>

#include "filters/basic_auth/user_store.h"
#include "filters/jwt/token_cache.h"
#include "filters/jwt/verifier.h"
#include "filters/security/fail_closed_filter.h"
#include "mgw/filter/filter.h"

namespace mgw::filters {

struct AuthFilterConfig {
  std::string default_auth_header = "Authorization";  // `[authConfig] authorizationHeader`
  bool remove_auth_header = true;  // `[authConfig] removeAuthHeaderFromOutMessage`
  std::shared_ptr<const basic_auth::UserStore> users;  // null: Basic fails closed
  std::shared_ptr<const jwt::Verifier> verifier;       // null: Bearer tokens fail closed
  jwt::TokenCacheOptions token_cache;                  // `[caching]`, per worker thread
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
  jwt::TokenCache& threadCache() const;

  AuthFilterConfig config_;
  uint64_t id_;  // tells this filter's per-thread TokenCache from an older runtime's
  FailClosedSecurityFilter fail_closed_;
};

// The `WWW-Authenticate` value WSO2 puts on handler-produced 401s (reference §5): one challenge
// per provider of the resource (`OAuth2 realm=...`, `Basic Auth realm=...`) followed by WSO2's
// fixed error parameters, byte for byte.
std::string wso2Challenge(const artifact::Resource& resource);

}  // namespace mgw::filters
