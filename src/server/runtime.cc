#include "server/runtime.h"

#include <algorithm>
#include <optional>

#include "filters/basic_auth/user_store.h"
#include "filters/interceptor/unsupported_interceptor_filter.h"
#include "filters/jwt/key_set.h"
#include "filters/jwt/token_cache.h"
#include "filters/jwt/verifier.h"
#include "filters/security/auth_filter.h"
#include "filters/throttling/throttling_filter.h"
#include "mgw/base/log.h"
#include "mgw/base/strings.h"
#include "server/stream.h"
#include "tls/stores.h"

namespace mgw::server {
namespace {

constexpr int64_t kDefaultEndpointTimeoutMs = 60000;  // WSO2 advanceEndpointConfig default

Result<std::unique_ptr<upstream::EndpointRuntime>> buildEndpoint(
    const artifact::Endpoint& ep, upstream::Side side, const config::GatewayConfig& config) {
  const char* side_name = side == upstream::Side::Production ? "prod" : "sand";
  std::vector<upstream::Url> urls;
  for (size_t i = 0; i < ep.urls.size(); ++i) {
    std::string key = ep.name + "_" + side_name + "_endpoint_" + std::to_string(i);
    const std::string* override_url = config.getEndpointOverride(key);
    const std::string& text = override_url ? *override_url : ep.urls[i].url;
    auto url = upstream::parseUrl(text);
    if (!url) {
      return makeError(
          "config.bad_endpoint",
          (override_url ? "--" + key + ": " : "endpoint " + ep.name + ": ") + url.error().message);
    }
    if (override_url) {
      log::info("endpoint.override", "endpoint URL overridden", {{"key", key}, {"url", text}});
    }
    if (url->tls) {
      log::warn("endpoint.tls_unsupported",
                "https endpoints are not supported yet: requests to it answer 500 101503",
                {{"endpoint", ep.name}, {"url", text}});
    }
    urls.push_back(std::move(*url));
  }
  int64_t timeout = ep.advance.timeout_ms.value_or(kDefaultEndpointTimeoutMs);
  return std::make_unique<upstream::EndpointRuntime>(ep.name, ep.type, std::move(urls), timeout);
}

// `[throttlingConfig]` keys of ours (docs/configuration.md).
constexpr std::string_view kRateLimitHeadersKey = "throttlingConfig.rateLimitHeaders";
constexpr std::string_view kCounterSlotsKey = "throttlingConfig.counterTableSlots";

Result<std::shared_ptr<throttling::Throttler>> buildThrottler(const artifact::Artifact& artifact,
                                                              const config::GatewayConfig& config) {
  throttling::ThrottleConfig tc;
  tc.rate_limit_headers = config.getBool(kRateLimitHeadersKey, tc.rate_limit_headers);
  const auto min_slots = static_cast<int64_t>(throttling::CounterTable::kMinSlots);
  const auto max_slots = static_cast<int64_t>(throttling::CounterTable::kMaxSlots);
  const int64_t slots = config.getInt(kCounterSlotsKey, static_cast<int64_t>(tc.table_slots));
  if (slots < min_slots || slots > max_slots) {
    std::string source = "flag or file";
    if (auto it = config.sources.find(toLower(kCounterSlotsKey)); it != config.sources.end())
      source = it->second;
    return makeError("config.bad_value",
                     source + ": " + std::string(kCounterSlotsKey) + ": expected an integer in " +
                         std::to_string(min_slots) + ".." + std::to_string(max_slots) + ", got " +
                         std::to_string(slots));
  }
  tc.table_slots = static_cast<size_t>(slots);
  return std::make_shared<throttling::Throttler>(throttling::PolicySet(artifact.policies), tc);
}

// The throttling filter runs where a tier can apply without the caller's identity: an API or
// resource tier, or an unsecured resource (the `Unauthenticated` tier keyed by client IP).
// Subscription and application tiers need the security filter's caller (throttling_filter.h).
bool needsThrottling(const artifact::Api& api, const artifact::Resource& res) {
  return !api.throttling_tier.empty() || !res.throttling_tier.empty() || res.disable_security;
}

// A tier the policies do not define answers 500 900809 at run time, as WSO2; say so at start.
void warnMissingTier(const throttling::PolicySet& policies, const artifact::Api& api,
                     const artifact::Resource& res, const std::string& tier) {
  if (tier.empty() || throttling::PolicySet::isUnlimited(tier) ||
      policies.find(throttling::PolicySection::Resource, tier) != nullptr) {
    return;
  }
  log::warn(
      "throttling.policy_missing", "resource answers 500 900809: its throttling tier has no policy",
      {{"api", api.name}, {"resource", res.method + " " + res.path_template}, {"tier", tier}});
}

// `[caching]` (reference §3): tokenCacheCapacity entries, tokenCacheExpiryTime ms.
jwt::TokenCacheOptions tokenCacheOptions(const config::GatewayConfig& config) {
  jwt::TokenCacheOptions o;
  if (!config.getBool("caching.enabled", true)) {
    o.capacity = 0;
    return o;
  }
  const int64_t capacity =
      config.getInt("caching.tokenCacheCapacity", static_cast<int64_t>(o.capacity));
  o.capacity = capacity < 0 ? 0 : static_cast<size_t>(capacity);
  o.expiry_ms = std::max<int64_t>(0, config.getInt("caching.tokenCacheExpiryTime", o.expiry_ms));
  return o;
}

// `[[jwtTokenConfig]]` → one IssuerConfig each; certificateAlias keys come from the
// `[listenerConfig]` trust store, loaded only when an issuer needs it. Null when no issuer is
// configured (Bearer tokens then fail closed).
Result<std::shared_ptr<const jwt::Verifier>> buildVerifier(const config::GatewayConfig& config) {
  const size_t count = config.arrayCount("jwtTokenConfig");
  if (count == 0)
    return std::shared_ptr<const jwt::Verifier>();
  std::vector<jwt::Verifier::Issuer> issuers;
  std::optional<tls::TrustStore> trust;
  for (size_t i = 0; i < count; ++i) {
    const std::string prefix = "jwtTokenConfig." + std::to_string(i) + ".";
    jwt::IssuerConfig ic;
    ic.name = "jwtTokenConfig[" + std::to_string(i) + "]";
    ic.issuer = config.getString(prefix + "issuer");
    if (ic.issuer.empty()) {
      return makeError("config.bad_value", ic.name + ": issuer is required");
    }
    ic.audiences = config.getList(prefix + "audience");
    ic.certificate_alias = config.getString(prefix + "certificateAlias");
    ic.jwks_url = config.getString(prefix + "jwksURL");
    ic.validate_subscription = config.getBool(prefix + "validateSubscription", false);
    ic.consumer_key_claim = config.getString(prefix + "consumerKeyClaim", "aud");
    const size_t claims = config.arrayCount(prefix + "claims");
    for (size_t c = 0; c < claims; ++c) {
      const std::string cp = prefix + "claims." + std::to_string(c) + ".";
      ic.claim_mappings.push_back(
          {config.getString(cp + "remoteClaim"), config.getString(cp + "localClaim")});
    }
    auto keys = std::make_shared<jwt::KeySet>();
    if (!ic.certificate_alias.empty()) {
      if (!trust) {
        const std::string path = config.getString("listenerConfig.trustStorePath");
        if (path.empty()) {
          return makeError("config.missing_trust_store",
                           ic.name + ": certificateAlias needs [listenerConfig] trustStorePath");
        }
        auto loaded =
            tls::loadTrustStore(path, config.getString("listenerConfig.trustStorePassword"));
        if (!loaded) {
          return makeError(loaded.error().reason,
                           "[listenerConfig] trustStorePath: " + loaded.error().message);
        }
        trust = std::move(*loaded);
      }
      X509* cert = trust->find(ic.certificate_alias);
      if (cert == nullptr) {
        return makeError("tls.store_alias_not_found", ic.name + ": certificateAlias '" +
                                                          ic.certificate_alias +
                                                          "' is not in the trust store");
      }
      if (auto s = keys->addCertificate(ic.certificate_alias, cert); !s) {
        return makeError(s.error().reason, ic.name + ": " + s.error().message);
      }
    } else if (!ic.jwks_url.empty()) {
      // An issuer without keys fails closed (verifier.h): every token of it answers 401.
      log::warn("jwt.jwks_unsupported",
                "JWKS fetching is not implemented yet: tokens of this issuer are refused (401)",
                {{"issuer", ic.issuer}, {"jwksURL", ic.jwks_url}});
    } else {
      log::warn("jwt.no_keys",
                "issuer has neither certificateAlias nor jwksURL: its tokens are refused (401)",
                {{"issuer", ic.issuer}});
    }
    issuers.push_back({std::move(ic), std::move(keys)});
  }
  jwt::VerifierOptions options;
  options.skew_ms = config.getInt("keyManager.timestampSkew",
                                  config.getInt("server.timestampSkew", options.skew_ms));
  log::info("jwt.issuers", "JWT issuers configured", {{"count", std::to_string(issuers.size())}});
  return std::shared_ptr<const jwt::Verifier>(
      std::make_shared<jwt::Verifier>(std::move(issuers), options));
}

}  // namespace

Result<std::unique_ptr<Runtime>> buildRuntime(artifact::Artifact artifact,
                                              config::GatewayConfig config) {
  auto rt = std::make_unique<Runtime>();
  rt->artifact = std::move(artifact);
  rt->config = std::move(config);
  const config::ListenerConfig& lc = rt->config.listener;
  rt->limits.max_uri_length = static_cast<size_t>(lc.max_uri_length);
  rt->limits.max_header_bytes = static_cast<size_t>(lc.max_header_size);
  rt->limits.max_header_count = static_cast<size_t>(lc.max_header_count);
  rt->max_body_bytes = lc.max_entity_body_size;
  rt->routes = std::make_unique<router::RouteTable>(rt->artifact);

  std::string auth_header = "Authorization";
  if (const std::string* h = rt->config.get("authConfig.authorizationHeader"))
    auth_header = *h;
  // The `[b7a.users]` store and the JWT verifier are built once and shared read-only by every
  // worker (user_store.h, verifier.h).
  filters::AuthFilterConfig auth;
  auth.default_auth_header = auth_header;
  auth.remove_auth_header = rt->config.getBool("authConfig.removeAuthHeaderFromOutMessage", true);
  auto users = basic_auth::UserStore::fromConfig(rt->config);
  if (!users)
    return users.error();
  auth.users = std::make_shared<const basic_auth::UserStore>(std::move(*users));
  auto verifier = buildVerifier(rt->config);
  if (!verifier)
    return verifier.error();
  auth.verifier = std::move(*verifier);
  auth.token_cache = tokenCacheOptions(rt->config);
  auto security = std::make_shared<filters::AuthFilter>(std::move(auth));
  auto throttler = buildThrottler(rt->artifact, rt->config);
  if (!throttler)
    return throttler.error();
  rt->throttler = std::move(*throttler);
  auto throttling_filter = std::make_shared<throttling::ThrottlingFilter>(rt->throttler);
  size_t throttled_resources = 0;

  rt->endpoints.resize(rt->artifact.endpoints.size());
  auto useEndpoint = [&](uint32_t index, upstream::Side side) -> Status {
    if (index >= rt->endpoints.size()) {
      return makeError("artifact.malformed", "endpoint index out of range");
    }
    auto& slot = rt->endpoints[index][static_cast<size_t>(side)];
    if (slot)
      return {};
    auto built = buildEndpoint(rt->artifact.endpoints[index], side, rt->config);
    if (!built)
      return built.error();
    slot = std::move(*built);
    return {};
  };

  for (const artifact::Api& api : rt->artifact.apis) {
    auto& api_chains = rt->chains.emplace_back();
    for (const artifact::Resource& res : api.resources) {
      filter::FilterChain chain;
      chain.push_back(security);
      if (needsThrottling(api, res)) {
        chain.push_back(throttling_filter);
        ++throttled_resources;
        warnMissingTier(rt->throttler->policies(), api, res,
                        api.throttling_tier.empty() ? res.throttling_tier : api.throttling_tier);
      }
      // Request interceptors run before forwarding and response interceptors after; neither can
      // run in this build, so either kind stops the request (never silently skipped).
      for (const auto* list : {&res.request_interceptors, &res.response_interceptors}) {
        for (const artifact::Interceptor& ic : *list) {
          chain.push_back(std::make_shared<filters::UnsupportedInterceptorFilter>(ic.ref));
          log::warn("interceptor.unsupported", "resource answers 500: interceptor cannot run here",
                    {{"api", api.name},
                     {"resource", res.method + " " + res.path_template},
                     {"interceptor", ic.ref}});
        }
      }
      api_chains.push_back(std::move(chain));
      if (res.endpoints.production) {
        if (auto s = useEndpoint(*res.endpoints.production, upstream::Side::Production); !s) {
          return s.error();
        }
      }
      if (res.endpoints.sandbox) {
        if (auto s = useEndpoint(*res.endpoints.sandbox, upstream::Side::Sandbox); !s) {
          return s.error();
        }
      }
    }
  }
  log::info("throttling.local", "local throttling enabled",
            {{"resources", std::to_string(throttled_resources)},
             {"policies", std::to_string(rt->throttler->policies().size())},
             {"counter_slots", std::to_string(rt->throttler->config().table_slots)}});
  return rt;
}

const router::RouteTable& Runtime::routesFor(ListenerKind kind) const {
  (void)kind;
  return *routes;
}

}  // namespace mgw::server
