#include "server/runtime.h"

#include "filters/interceptor/unsupported_interceptor_filter.h"
#include "filters/security/fail_closed_filter.h"
#include "filters/throttling/throttling_filter.h"
#include "mgw/base/log.h"
#include "mgw/base/strings.h"

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
  auto security = std::make_shared<filters::FailClosedSecurityFilter>(auth_header);
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

}  // namespace mgw::server
