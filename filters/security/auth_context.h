// Building the filter::AuthContext of an authenticated caller (reference wso2-mgw3.md §8), shared
// by the JWT, API-key and Basic paths of AuthFilter. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "filters/jwt/verifier.h"
#include "mgw/artifact/model.h"
#include "mgw/filter/filter.h"

namespace mgw::filters {

// The `subscribedAPIs` entry for `api`: same name, and the same version or "*" (WSO2
// jwt_util.bal handleSubscribedAPIs). Null when none matches.
const jwt::SubscribedApi* matchSubscription(const std::vector<jwt::SubscribedApi>& subscriptions,
                                            const artifact::Api& api);

// Tenant of an application owner: the part after the last '@', else "carbon.super" (WSO2
// setSubsciberTenantDomain).
std::string tenantOf(std::string_view owner);

// The context of a verified JWT or API key. `match` is the subscription entry for the API (its
// tier, publisher and tenant), or null. claims_json is the verified (mapped) claim set.
filter::AuthContext tokenContext(const jwt::VerifiedToken& token, const jwt::SubscribedApi* match,
                                 std::string_view auth_type);

// Basic authentication: WSO2 gives the caller the anonymous application, subscription tier
// Default and the production key type.
filter::AuthContext basicContext(std::string_view username, const std::vector<std::string>& scopes);

}  // namespace mgw::filters
