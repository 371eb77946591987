// The contract between the authentication filter and a validator of opaque OAuth2 access tokens
// (`Authorization: Bearer <token>` that is not a three-part JWT; reference wso2-mgw3.md §6, §8):
// RFC 7662 introspection against `[keyManager]`, implemented in filters/introspection.
//
// Threading: built once at start, shared read-only by every worker; per-thread caches inside.
#pragma once

#include <string_view>

#include "mgw/filter/filter.h"

namespace mgw::filters {

class OpaqueTokenValidator {
 public:
  virtual ~OpaqueTokenValidator() = default;
  // Validates `token` for ctx.resource() (scopes and subscriptions included) and, when valid,
  // sets ctx.setAuthContext(). Answers:
  //   Continue - valid (e.g. a cache hit): the chain goes on at once;
  //   Stop     - refused: a WSO2 fault reply was already sent (401 900901 etc.);
  //   Pause    - a key-manager call is under way; ctx.resumeChain() or a reply follows.
  // `header_name` is the credential header, removed before forwarding when configured.
  virtual filter::FilterStatus authenticate(filter::RequestContext& ctx, std::string_view token,
                                            std::string_view header_name) const = 0;
};

}  // namespace mgw::filters
