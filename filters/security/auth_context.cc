#include "filters/security/auth_context.h"

#include <algorithm>

namespace mgw::filters {

const jwt::SubscribedApi* matchSubscription(const std::vector<jwt::SubscribedApi>& subscriptions,
                                            const artifact::Api& api) {
  for (const jwt::SubscribedApi& s : subscriptions) {
    if (s.name == api.name && (s.version == api.version || s.version == "*"))
      return &s;
  }
  return nullptr;
}

std::string tenantOf(std::string_view owner) {
  const size_t at = owner.rfind('@');
  if (at == std::string_view::npos || at + 1 == owner.size())
    return "carbon.super";
  return std::string(owner.substr(at + 1));
}

filter::AuthContext tokenContext(const jwt::VerifiedToken& token, const jwt::SubscribedApi* match,
                                 std::string_view auth_type) {
  filter::AuthContext a;
  a.auth_type = std::string(auth_type);
  a.username = token.subject;
  a.consumer_key = token.consumer_key;
  a.issuer = token.issuer;
  if (token.application) {
    a.app_id = token.application->id;
    a.app_uuid = token.application->uuid;
    a.app_name = token.application->name;
    a.app_owner = token.application->owner;
    a.app_tier = token.application->tier;
    a.subscriber = token.application->owner;
    a.subscriber_tenant_domain = tenantOf(token.application->owner);
  }
  if (match != nullptr) {
    a.subscription_tier = match->subscription_tier;
    if (!match->subscriber_tenant_domain.empty())
      a.subscriber_tenant_domain = match->subscriber_tenant_domain;
  }
  a.sandbox = token.key_type == jwt::KeyType::Sandbox;
  a.scopes = token.scopes;
  a.claims_json = token.claims_json.empty() ? token.claims.dump() : token.claims_json;
  return a;
}

filter::AuthContext basicContext(std::string_view username,
                                 const std::vector<std::string>& scopes) {
  filter::AuthContext a;
  a.auth_type = "basic";
  a.username = std::string(username);
  a.app_id = "anonymous";
  a.app_name = "anonymous";
  a.app_owner = "anonymous";
  a.subscriber = "anonymous";
  a.subscription_tier = "Default";
  a.subscriber_tenant_domain = "carbon.super";
  a.scopes = scopes;
  return a;
}

}  // namespace mgw::filters
