#include "filters/security/auth_filter.h"

#include <algorithm>
#include <atomic>
#include <optional>

#include "filters/security/auth_context.h"
#include "mgw/base/log.h"
#include "mgw/base/strings.h"

namespace mgw::filters {
namespace {

using artifact::AuthScheme;

bool hasScheme(const artifact::Resource& resource, AuthScheme::Type type) {
  // No schemes on a secured resource means OAuth2 (model.h).
  if (resource.auth.empty())
    return type == AuthScheme::Type::OAuth2;
  return std::any_of(resource.auth.begin(), resource.auth.end(),
                     [type](const AuthScheme& s) { return s.type == type; });
}

bool onlyBasic(const artifact::Resource& resource) {
  return !resource.auth.empty() &&
         std::all_of(resource.auth.begin(), resource.auth.end(),
                     [](const AuthScheme& s) { return s.type == AuthScheme::Type::Basic; });
}

constexpr std::string_view kScopeMessage =
    "The access token does not allow you to access the requested resource";

}  // namespace

bool scopesAllow(const std::vector<std::string>& required, const std::vector<std::string>& held) {
  if (required.empty())
    return true;
  return std::any_of(required.begin(), required.end(), [&](const std::string& r) {
    return std::find(held.begin(), held.end(), r) != held.end();
  });
}

filter::LocalReply missingScopeReply() {
  return filter::faultReply(403, 900910, kScopeMessage, kScopeMessage, "security.missing_scope");
}

namespace {

filter::LocalReply withChallenge(filter::LocalReply reply, const artifact::Resource& resource) {
  reply.headers.add("WWW-Authenticate", wso2Challenge(resource));
  return reply;
}

}  // namespace

std::string wso2Challenge(const artifact::Resource& resource) {
  std::string value;
  if (hasScheme(resource, AuthScheme::Type::OAuth2))
    value = "OAuth2 realm=\"WSO2 API Microgateway\"";
  if (hasScheme(resource, AuthScheme::Type::Basic)) {
    if (!value.empty())
      value += ", ";
    value += "Basic Auth realm=\"WSO2 API Microgateway\"";
  }
  if (value.empty())
    value = "OAuth2 realm=\"WSO2 API Microgateway\"";
  // WSO2's fixed parameters, including the space before the second comma (reference §5).
  value += ", error=\"invalid token\" , error_description=\"The access token expired\"";
  return value;
}

namespace {

std::atomic<uint64_t> next_filter_id{1};

// The token of an RFC 6750 §2.1 `Bearer <token>` value (scheme case-insensitive, as WSO2's
// tests send `bearer`), or nullopt for another scheme.
std::optional<std::string_view> bearerToken(std::string_view value) {
  constexpr std::string_view kScheme = "bearer";
  if (value.size() < kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  std::string_view rest = value.substr(kScheme.size());
  if (!rest.empty() && rest.front() != ' ')
    return std::nullopt;
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ')
    rest.remove_suffix(1);
  return rest;
}

// A compact JWS has exactly three dot-separated segments (RFC 7515 §7.1); anything else in a
// Bearer credential is an opaque token for the introspection validator.
bool looksLikeJwt(std::string_view token) {
  return std::count(token.begin(), token.end(), '.') == 2;
}

struct ThreadTokenCache {
  uint64_t owner = 0;
  std::unique_ptr<jwt::TokenCache> cache;
  std::unique_ptr<jwt::TokenCache> api_keys;  // API keys: another Verifier, another cache
};

}  // namespace

AuthFilter::AuthFilter(AuthFilterConfig config)
    : config_(std::move(config)),
      id_(next_filter_id.fetch_add(1, std::memory_order_relaxed)),
      fail_closed_(config_.default_auth_header) {}

jwt::TokenCache& AuthFilter::threadCache(bool api_keys) const {
  // One cache per worker thread (token_cache.h: not thread-safe by design, no locks). A newer
  // filter (config reload) replaces the cache of an older one with its own options.
  thread_local ThreadTokenCache tc;
  if (tc.owner != id_ || !tc.cache) {
    tc.cache = std::make_unique<jwt::TokenCache>(config_.token_cache);
    tc.api_keys = std::make_unique<jwt::TokenCache>(config_.token_cache);
    tc.owner = id_;
  }
  return api_keys ? *tc.api_keys : *tc.cache;
}

filter::FilterStatus AuthFilter::invalid(filter::RequestContext& ctx,
                                         std::string_view reason) const {
  // Every failure answers the same: the client never learns which check failed (README).
  ctx.sendLocalReply(
      withChallenge(filter::faultReply(401, 900901, "Invalid Credentials",
                                       "Make sure you have given the correct access token", reason),
                    ctx.resource()));
  return filter::FilterStatus::Stop;
}

filter::FilterStatus AuthFilter::onRequestHeaders(filter::RequestContext& ctx) const {
  const artifact::Resource& resource = ctx.resource();
  if (resource.disable_security)
    return filter::FilterStatus::Continue;
  if (resource.app_security_optional) {
    // mTLS OR application security (reference §2, §8): the mTLS filter already accepted a listed
    // client certificate, so no credentials are needed.
    const filter::AuthContext* auth = ctx.authContext();
    if (auth != nullptr && auth->auth_type == "mutual_ssl")
      return filter::FilterStatus::Continue;
  }
  const artifact::Api& api = ctx.api();
  std::string_view header_name =
      api.auth_header.empty() ? std::string_view(config_.default_auth_header) : api.auth_header;
  // Two credential fields are ambiguous (which one would the backend see?): refused the same
  // way every time (attack catalogue §6 row 16).
  if (ctx.request().headers.count(header_name) > 1)
    return invalid(ctx, "security.duplicate_credentials");
  const std::string* value = ctx.request().headers.get(header_name);

  if (value != nullptr) {
    if (config_.users && hasScheme(resource, AuthScheme::Type::Basic) &&
        basic_auth::UserStore::isBasic(*value)) {
      return basic(ctx, header_name, *value);
    }
    if (hasScheme(resource, AuthScheme::Type::OAuth2)) {
      if (auto token = bearerToken(*value)) {
        if (config_.opaque && !looksLikeJwt(*token))
          return config_.opaque->authenticate(ctx, *token, header_name);
        // Without a validator an opaque token reaches the Verifier, which refuses it as
        // malformed.
        if (config_.verifier || config_.verifier_source)
          return bearer(ctx, header_name, *token);
      }
    }
  }
  // The API-key handler comes last in WSO2's order (reference §8).
  if (config_.api_keys && hasScheme(resource, AuthScheme::Type::ApiKey)) {
    if (auto key = apikey::findKey(apikey::keyLocations(resource), ctx.request()))
      return apiKey(ctx, *key);
  }
  if (value != nullptr && onlyBasic(resource)) {
    // Another scheme (e.g. a Bearer token) on a Basic-only resource: no handler of this resource
    // can process it, so it never passes (reference §9: JWT on Basic-only resource → 401).
    return invalid(ctx, "security.scheme_not_enabled");
  }
  return fail_closed_.onRequestHeaders(ctx);
}

filter::FilterStatus AuthFilter::apiKey(filter::RequestContext& ctx, std::string_view key) const {
  auto auth = config_.api_keys->validate(key, ctx.api(), jwt::nowMillis(), &threadCache(true),
                                         config_.revoked.get());
  if (!auth)
    return invalid(ctx, auth.error().reason);
  // The API key header or query parameter is forwarded as received (reference §3 authConfig).
  ctx.setAuthContext(std::move(*auth));
  return filter::FilterStatus::Continue;
}

filter::FilterStatus AuthFilter::basic(filter::RequestContext& ctx, std::string_view header_name,
                                       std::string_view value) const {
  const artifact::Resource& resource = ctx.resource();
  auto user = config_.users->authenticate(value);
  if (!user) {
    basic_auth::Fault fault = basic_auth::faultFor(user.error());
    ctx.sendLocalReply(
        withChallenge(filter::faultReply(fault.http_status, fault.code, fault.message,
                                         fault.description, user.error().reason),
                      resource));
    return filter::FilterStatus::Stop;
  }
  if (!scopesAllow(resource.scopes, user->scopes)) {
    ctx.sendLocalReply(
        filter::faultReply(403, 900910, kScopeMessage, kScopeMessage, "security.missing_scope"));
    return filter::FilterStatus::Stop;
  }
  ctx.setAuthContext(basicContext(user->name, user->scopes));
  if (config_.remove_auth_header)
    ctx.mutableRequest().headers.remove(header_name);
  return filter::FilterStatus::Continue;
}

filter::FilterStatus AuthFilter::bearer(filter::RequestContext& ctx, std::string_view header_name,
                                        std::string_view token) const {
  const artifact::Resource& resource = ctx.resource();
  // With JWKS issuers the Verifier is the one the fetcher published last (verifier_source.h).
  const jwt::Verifier& verifier =
      config_.verifier_source ? config_.verifier_source->current() : *config_.verifier;
  auto verified =
      jwt::verifyCached(verifier, token, jwt::nowMillis(), &threadCache(), config_.revoked.get());
  if (!verified) {
    // A rotated signing key, or keys not fetched yet: ask for a (rate-limited) JWKS refetch.
    if (config_.verifier_source && (verified.error().reason == "jwt.unknown_kid" ||
                                    verified.error().reason == "jwt.no_keys")) {
      config_.verifier_source->requestRefresh();
    }
    return invalid(ctx, verified.error().reason);
  }
  const jwt::VerifiedToken& vt = **verified;
  if (!scopesAllow(resource.scopes, vt.scopes)) {
    ctx.sendLocalReply(
        filter::faultReply(403, 900910, kScopeMessage, kScopeMessage, "security.missing_scope"));
    return filter::FilterStatus::Stop;
  }
  const jwt::SubscribedApi* match = matchSubscription(vt.subscribed_apis, ctx.api());
  if (vt.validate_subscription && match == nullptr) {
    // WSO2's strings, trailing space of the message included (reference §5).
    ctx.sendLocalReply(filter::faultReply(403, 900908, "Resource forbidden ",
                                          "Resource forbidden . Unclassified Authentication "
                                          "Failure",
                                          "security.not_subscribed"));
    return filter::FilterStatus::Stop;
  }
  ctx.setAuthContext(tokenContext(vt, match, "oauth2"));
  if (config_.remove_auth_header)
    ctx.mutableRequest().headers.remove(header_name);
  return filter::FilterStatus::Continue;
}

}  // namespace mgw::filters
