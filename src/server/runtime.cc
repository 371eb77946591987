#include "server/runtime.h"

#include <openssl/pem.h>

#include <algorithm>
#include <optional>

#include "filters/apikey/api_key.h"
#include "filters/backend_jwt/backend_jwt.h"
#include "filters/basic_auth/user_store.h"
#include "filters/interceptor/unsupported_interceptor_filter.h"
#include "filters/introspection/introspection_validator.h"
#include "filters/jwt/jwks_fetcher.h"
#include "filters/jwt/key_set.h"
#include "filters/jwt/token_cache.h"
#include "filters/jwt/verifier.h"
#include "filters/mtls/mtls_filter.h"
#include "filters/security/auth_filter.h"
#include "filters/throttling/throttling_config.h"
#include "filters/throttling/throttling_filter.h"
#include "mgw/base/log.h"
#include "mgw/base/strings.h"
#include "server/stream.h"
#include "tls/client_context.h"
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
    urls.push_back(std::move(*url));
  }
  int64_t timeout = ep.advance.timeout_ms.value_or(kDefaultEndpointTimeoutMs);
  auto runtime =
      std::make_unique<upstream::EndpointRuntime>(ep.name, ep.type, std::move(urls), timeout);
  // Reference §2 `securityConfig`: outbound Basic credentials; the runtime keys
  // `<ep>_<prod|sand>_basic_username|password` win over the definition. Never logged.
  if (ep.security && iequals(ep.security->type, "basic")) {
    const std::string prefix = ep.name + "_" + side_name + "_basic_";
    const std::string* user = config.getEndpointOverride(prefix + "username");
    const std::string* password = config.getEndpointOverride(prefix + "password");
    const std::string& u = user ? *user : ep.security->username;
    const std::string& pw = password ? *password : ep.security->password;
    if (pw.empty()) {
      log::warn("endpoint.basic_password_missing",
                "outbound basic auth has no password: set the runtime key",
                {{"endpoint", ep.name}, {"key", prefix + "password"}});
    }
    runtime->setAuthorization(upstream::basicAuthorization(u, pw));
  } else if (ep.security && !ep.security->type.empty()) {
    log::warn("endpoint.security_unsupported",
              "endpoint securityConfig type is not supported: no credentials are sent",
              {{"endpoint", ep.name}, {"type", ep.security->type}});
  }
  return runtime;
}

// Reference §1: WSO2's token services, proxied unauthenticated to
// `<keyManager.serverUrl>/<tokenContext><rawPath>` (tokenServices.mustache: /authorize GET,
// /revoke POST, /token POST, /userinfo GET, each on "/*"). They become synthetic APIs appended
// after the artifact's, with an empty filter chain (WSO2: `skipAll: true`) and one endpoint each,
// so the request path needs no special case. Served on the token and HTTPS listeners only.
struct TokenService {
  const char* base_path;
  const char* method;
};
constexpr TokenService kTokenServices[] = {
    {"/authorize", "GET"}, {"/revoke", "POST"}, {"/token", "POST"}, {"/userinfo", "GET"}};

Status addTokenEndpoints(Runtime& rt) {
  std::string server = rt.config.getString("keyManager.serverUrl", "https://localhost:9443");
  while (!server.empty() && server.back() == '/')
    server.pop_back();
  std::string context = rt.config.getString("keyManager.tokenContext", "oauth2");
  while (!context.empty() && context.front() == '/')
    context.erase(0, 1);
  while (!context.empty() && context.back() == '/')
    context.pop_back();
  if (!context.empty())
    server += "/" + context;
  rt.token_api_begin = rt.artifact.apis.size();
  for (const TokenService& svc : kTokenServices) {
    auto url = upstream::parseUrl(server + svc.base_path);
    if (!url) {
      return makeError("config.bad_value",
                       "[keyManager] serverUrl / tokenContext: " + url.error().message);
    }
    artifact::Endpoint ep;
    ep.name = std::string("_token_service") + svc.base_path;
    ep.urls.push_back({url->text, {}});
    const auto index = static_cast<uint32_t>(rt.artifact.endpoints.size());
    rt.artifact.endpoints.push_back(ep);
    auto& slots = rt.endpoints.emplace_back();
    slots[0] = std::make_unique<upstream::EndpointRuntime>(
        ep.name, artifact::EndpointType::Http, std::vector<upstream::Url>{std::move(*url)},
        kDefaultEndpointTimeoutMs);
    artifact::Api api;
    api.name = std::string("token-service") + svc.base_path;
    api.base_path = svc.base_path;
    api.transports = {"https"};
    artifact::Resource res;
    res.path_template = "/*";
    res.method = svc.method;
    res.disable_security = true;
    res.endpoints.production = index;
    api.resources.push_back(std::move(res));
    rt.artifact.apis.push_back(std::move(api));
    rt.chains.emplace_back().emplace_back();
  }
  log::info("token.endpoints", "token endpoints proxied on the HTTPS and token listeners",
            {{"target", server}});
  return {};
}

// x-wso2-transports (default both). Reference §2: https is forced when mTLS is mandatory (WSO2's
// toolkit adds it to the transports). Such an API is not served on HTTP, where no handshake
// certificate exists (WSO2 answered every such request 401), unless a TLS-terminating proxy may
// forward the certificate in a header (`[mutualSSLConfig] trustCertificateHeader`).
bool servesOn(const artifact::Api& api, bool token_api, ListenerKind kind,
              bool certificate_header_trusted) {
  if (kind == ListenerKind::Token)
    return token_api;
  const std::string_view scheme = kind == ListenerKind::Https ? "https" : "http";
  if (api.mutual_ssl == artifact::MutualSsl::Mandatory) {
    if (kind == ListenerKind::Https)
      return true;
    if (!certificate_header_trusted)
      return false;
  }
  if (api.transports.empty())
    return true;
  return std::any_of(api.transports.begin(), api.transports.end(),
                     [&](const std::string& t) { return iequals(t, scheme); });
}

// The route view of one listener: the same API indices as the runtime's artifact (chains and
// endpoints are indexed by them), with APIs the listener does not serve replaced by a stub
// whose base path no request can reach (the codec refuses control characters in targets), so
// their base paths do not shadow served APIs. Only what the router reads is copied.
artifact::Artifact listenerView(const Runtime& rt, ListenerKind kind) {
  artifact::Artifact view;
  view.apis.reserve(rt.artifact.apis.size());
  const bool header_trusted = rt.config.getBool("mutualSSLConfig.trustCertificateHeader", false);
  for (size_t i = 0; i < rt.artifact.apis.size(); ++i) {
    const artifact::Api& api = rt.artifact.apis[i];
    artifact::Api& out = view.apis.emplace_back();
    if (!servesOn(api, i >= rt.token_api_begin, kind, header_trusted)) {
      out.base_path = "/\x01unserved/" + std::to_string(i);
      continue;
    }
    out.base_path = api.base_path;
    for (const artifact::Resource& res : api.resources) {
      artifact::Resource& r = out.resources.emplace_back();
      r.path_template = res.path_template;
      r.method = res.method;
    }
  }
  return view;
}

Status buildListenerRoutes(Runtime& rt) {
  if (Status s = addTokenEndpoints(rt); !s)
    return s;
  for (ListenerKind kind : {ListenerKind::Http, ListenerKind::Https, ListenerKind::Token}) {
    const auto k = static_cast<size_t>(kind);
    rt.listener_views[k] = listenerView(rt, kind);
    rt.listener_routes[k] = std::make_unique<router::RouteTable>(rt.listener_views[k]);
  }
  auto client = tls::buildClientTls(rt.config, rt.listener_tls.trust_store);
  if (!client)
    return client.error();
  rt.upstream_tls = std::move(*client);
  return {};
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
  auto throttler =
      std::make_shared<throttling::Throttler>(throttling::PolicySet(artifact.policies), tc);
  // Blocking conditions and the Redis global mode (filters/throttling/throttling_config.h).
  if (Status s = throttling::configureThrottler(*throttler, config); !s)
    return s.error();
  return throttler;
}

// The throttling filter runs on every resource, as WSO2's throttle filter: blocking conditions
// apply everywhere, and an authenticated caller always has a subscription tier (`Default`
// when the token names none; throttling_filter.h reads it from the AuthContext).
bool needsThrottling(const artifact::Api& /*api*/, const artifact::Resource& /*res*/) {
  return true;
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
// `[listenerConfig]` trust store (`trust`, read once by buildRuntime; null when none is
// configured). Null when no issuer is configured (Bearer tokens then fail closed).
Result<std::shared_ptr<const jwt::Verifier>> buildVerifier(const config::GatewayConfig& config,
                                                           const tls::TrustStore* trust) {
  const size_t count = config.arrayCount("jwtTokenConfig");
  if (count == 0)
    return std::shared_ptr<const jwt::Verifier>();
  std::vector<jwt::Verifier::Issuer> issuers;
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
      if (trust == nullptr) {
        return makeError("config.missing_trust_store",
                         ic.name + ": certificateAlias needs [listenerConfig] trustStorePath");
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
      // Keys arrive from the JWKS fetcher (startJwks); until then this issuer fails closed.
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

// `[apikey.tokenConfigs]` (reference §3, §8): API keys are RS256 JWTs of one issuer, verified
// with the trust-store certificate `certificateAlias`. Without a usable certificate API keys fail
// closed (401) and a warning says why; the gateway still starts, as most deployments use none.
std::shared_ptr<const apikey::ApiKeyValidator> buildApiKeys(const config::GatewayConfig& config,
                                                            const artifact::Artifact& artifact,
                                                            const tls::TrustStore* trust) {
  const std::string prefix = "apikey.tokenConfigs.";
  jwt::IssuerConfig ic =
      apikey::issuerConfig(config.getString(prefix + "issuer", "https://localhost:9095/apikey"),
                           config.getString(prefix + "certificateAlias", "ballerina"));
  auto keys = std::make_shared<jwt::KeySet>();
  X509* cert = trust != nullptr ? trust->find(ic.certificate_alias) : nullptr;
  // Only a project with API-key resources needs the certificate: say so loudly only then.
  const bool used = std::any_of(artifact.apis.begin(), artifact.apis.end(), [](const auto& api) {
    return std::any_of(api.resources.begin(), api.resources.end(), [](const auto& res) {
      return std::any_of(res.auth.begin(), res.auth.end(), [](const artifact::AuthScheme& s) {
        return s.type == artifact::AuthScheme::Type::ApiKey;
      });
    });
  });
  if (cert == nullptr || !keys->addCertificate(ic.certificate_alias, cert)) {
    const log::Level level = used ? log::Level::Warn : log::Level::Debug;
    if (log::enabled(level)) {
      log::write(level, "apikey.no_key", "API keys are refused (401): certificateAlias not usable",
                 {{"certificateAlias", ic.certificate_alias},
                  {"reason",
                   trust != nullptr ? "tls.store_alias_not_found" : "config.missing_trust_store"}});
    }
  }
  apikey::ApiKeyConfig ac;
  ac.validate_allowed_apis = config.getBool(prefix + "validateAllowedAPIs", false);
  jwt::VerifierOptions options;
  options.skew_ms = config.getInt("keyManager.timestampSkew",
                                  config.getInt("server.timestampSkew", options.skew_ms));
  std::vector<jwt::Verifier::Issuer> issuers;
  issuers.push_back({std::move(ic), std::move(keys)});
  ac.verifier = std::make_shared<const jwt::Verifier>(std::move(issuers), options);
  return std::make_shared<const apikey::ApiKeyValidator>(std::move(ac));
}

// The trust store as PEM, for libcurl's CAINFO_BLOB (JWKS over https); "" when none is configured
// (curl then uses the system store).
std::string trustStorePem(const tls::TrustStore* trust) {
  if (trust == nullptr)
    return {};
  std::string pem;
  BIO* bio = BIO_new(BIO_s_mem());
  for (const tls::TrustedCertificate& c : trust->certificates())
    PEM_write_bio_X509(bio, c.certificate.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n > 0)
    pem.assign(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

// `[[jwtTokenConfig]]` issuers with a `jwksURL` (and no certificateAlias, which wins): their keys
// come from a background fetcher thread that publishes new Verifiers into a VerifierSource
// (filters/jwt/jwks_fetcher.h; docs/security.md "JWKS"). Null when no issuer uses JWKS.
Result<std::shared_ptr<jwt::VerifierSource>> startJwks(
    const config::GatewayConfig& config, const std::shared_ptr<const jwt::Verifier>& verifier,
    const tls::TrustStore* trust) {
  if (!verifier)
    return std::shared_ptr<jwt::VerifierSource>();
  std::vector<jwt::JwksIssuer> issuers;
  for (size_t i = 0; i < verifier->issuers().size(); ++i) {
    const jwt::IssuerConfig& ic = verifier->issuers()[i].config;
    if (ic.jwks_url.empty() || !ic.certificate_alias.empty())
      continue;
    auto url = upstream::parseUrl(ic.jwks_url.substr(0, ic.jwks_url.find_first_of("?#")));
    if (!url)
      return makeError("config.bad_value", ic.name + ": jwksURL: " + url.error().message);
    const std::string prefix = "jwtTokenConfig." + std::to_string(i) + ".";
    jwt::JwksIssuer j;
    j.index = i;
    j.url = ic.jwks_url;
    j.options.refresh_ms = std::max<int64_t>(
        1000, config.getInt(prefix + "jwksRefreshInterval", j.options.refresh_ms));
    j.options.min_refetch_ms = std::max<int64_t>(
        100, config.getInt(prefix + "jwksMinRefetchInterval", j.options.min_refetch_ms));
    issuers.push_back(std::move(j));
  }
  if (issuers.empty())
    return std::shared_ptr<jwt::VerifierSource>();
  jwt::CurlFetchOptions co;
  co.verify_peer = !config.getBool("httpClients.disableSslVerification", false);
  co.verify_host = config.getBool("httpClients.verifyHostname", true);
  co.ca_pem = trustStorePem(trust);
  auto source = std::make_shared<jwt::VerifierSource>(verifier);
  auto fetcher = std::make_shared<jwt::JwksFetcher>(*source, std::move(issuers),
                                                    jwt::makeCurlFetch(std::move(co)));
  source->setRefreshHook([f = fetcher.get()] { f->requestRefresh(); });
  // Briefly: a key server that is down must not hold the start (its tokens fail closed).
  fetcher->start(2000);
  source->adopt(fetcher);
  return source;
}

// Opaque Bearer tokens: RFC 7662 introspection at `<[keyManager] serverUrl>/<tokenContext>/
// introspect` (docs/security.md "Opaque tokens"). Built whenever the URL is usable, as WSO2
// always introspects against serverUrl: with no reachable key manager every opaque token answers
// 401 900901, exactly as without a validator. Legacy (SOAP) mode is not supported: fail closed.
Result<std::shared_ptr<const filters::OpaqueTokenValidator>> buildIntrospection(
    const config::GatewayConfig& config, const jwt::TokenCacheOptions& cache, bool remove_header) {
  if (config.getBool("keyManager.enableLegacyMode", false)) {
    log::warn("introspection.legacy_unsupported",
              "[keyManager] enableLegacyMode (SOAP key validation) is not supported: opaque "
              "tokens are refused (401)");
    return std::shared_ptr<const filters::OpaqueTokenValidator>();
  }
  std::string server = config.getString("keyManager.serverUrl", "https://localhost:9443");
  while (!server.empty() && server.back() == '/')
    server.pop_back();
  std::string context = config.getString("keyManager.tokenContext", "oauth2");
  while (!context.empty() && context.front() == '/')
    context.erase(0, 1);
  while (!context.empty() && context.back() == '/')
    context.pop_back();
  introspection::IntrospectionConfig ic;
  ic.url = server + (context.empty() ? "" : "/" + context) + "/introspect";
  if (auto url = upstream::parseUrl(ic.url); !url)
    return makeError("config.bad_value", "[keyManager] serverUrl: " + url.error().message);
  if (config.getBool("keyManager.security.basic.enabled", true)) {
    ic.authorization = introspection::basicAuthorization(
        config.getString("keyManager.security.basic.username", "admin"),
        config.getString("keyManager.security.basic.password", "admin"));
  }
  ic.skew_ms =
      config.getInt("keyManager.timestampSkew", config.getInt("server.timestampSkew", ic.skew_ms));
  ic.cache_capacity = cache.capacity;
  ic.cache_expiry_ms = cache.expiry_ms;
  ic.remove_auth_header = remove_header;
  log::info("introspection.enabled", "opaque tokens are introspected", {{"url", ic.url}});
  return std::shared_ptr<const filters::OpaqueTokenValidator>(
      std::make_shared<introspection::IntrospectionValidator>(std::move(ic)));
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
  // One read of the trust store for everything that trusts through it.
  auto trust_store = tls::loadListenerTrustStore(rt->config);
  if (!trust_store)
    return trust_store.error();
  const tls::TrustStore* trust = trust_store->get();
  auto verifier = buildVerifier(rt->config, trust);
  if (!verifier)
    return verifier.error();
  auth.verifier = std::move(*verifier);
  auth.token_cache = tokenCacheOptions(rt->config);
  auto jwks = startJwks(rt->config, auth.verifier, trust);
  if (!jwks)
    return jwks.error();
  auth.verifier_source = std::move(*jwks);
  auto opaque = buildIntrospection(rt->config, auth.token_cache, auth.remove_auth_header);
  if (!opaque)
    return opaque.error();
  auth.opaque = std::move(*opaque);
  auth.api_keys = buildApiKeys(rt->config, rt->artifact, trust);
  // WSO2's /apikey endpoint (issuer.h). Enabled by default as in WSO2, so a gateway without a
  // usable key store just does not serve it, and says why.
  if (auto ic = apikey::ApiKeyIssuerConfig::fromConfig(rt->config); !ic) {
    log::info("apikey.issuer_disabled", "the /apikey endpoint is not served",
              {{"reason", ic.error().message}});
  } else if (*ic) {
    rt->apikey_issuer = std::make_shared<const apikey::ApiKeyIssuer>(std::move(**ic), auth.users);
  }
  auto security = std::make_shared<filters::AuthFilter>(std::move(auth));
  // X-JWT-Assertion: strips client-written ones, forwards `backendJwt` or generates one.
  auto backend_jwt_config = backend_jwt::BackendJwtConfig::fromConfig(rt->config);
  if (!backend_jwt_config)
    return backend_jwt_config.error();
  auto backend_jwt_filter =
      std::make_shared<backend_jwt::BackendJwtFilter>(std::move(*backend_jwt_config));
  auto throttler = buildThrottler(rt->artifact, rt->config);
  if (!throttler)
    return throttler.error();
  rt->throttler = std::move(*throttler);
  auto throttling_filter = std::make_shared<throttling::ThrottlingFilter>(rt->throttler);
  auto listener_tls = tls::buildListenerTls(rt->config, std::move(*trust_store));
  if (!listener_tls)
    return listener_tls.error();
  rt->listener_tls = std::move(*listener_tls);
  // First in every chain: it also strips a client-written certificate header (mtls_filter.h).
  auto mtls_filter = std::make_shared<filters::MtlsFilter>(
      filters::MtlsFilterConfig::fromConfig(rt->config, rt->listener_tls.trust_store));
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
      chain.push_back(mtls_filter);
      chain.push_back(security);
      if (needsThrottling(api, res)) {
        chain.push_back(throttling_filter);
        ++throttled_resources;
        warnMissingTier(rt->throttler->policies(), api, res,
                        api.throttling_tier.empty() ? res.throttling_tier : api.throttling_tier);
      }
      chain.push_back(backend_jwt_filter);
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
  // Per-listener routes, token endpoints and the upstream TLS context (runtime.h).
  if (Status s = buildListenerRoutes(*rt); !s)
    return s.error();
  // The Redis sync thread (global mode only); it never blocks the workers.
  rt->throttler->startGlobal();
  return rt;
}

const router::RouteTable& Runtime::routesFor(ListenerKind kind) const {
  const auto& table = listener_routes[static_cast<size_t>(kind)];
  return table ? *table : *routes;
}

}  // namespace mgw::server
