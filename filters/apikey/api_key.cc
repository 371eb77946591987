#include "filters/apikey/api_key.h"

#include "filters/security/auth_context.h"
#include "mgw/base/strings.h"

namespace mgw::apikey {
namespace {

// application/x-www-form-urlencoded value decoding; nullopt for a broken %-escape.
std::optional<std::string> percentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size())
        return std::nullopt;
      const int hi = hexValue(in[i + 1]);
      const int lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::optional<std::string> queryValue(std::string_view target, std::string_view name) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos)
    return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string() : percentDecode(pair.substr(eq + 1));
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// WSO2 reads `subscribedAPIs` when the key has it, else `allowedAPIs` ({name, version}).
std::vector<jwt::SubscribedApi> allowedApis(const jwt::VerifiedToken& token) {
  if (token.claims.contains("subscribedAPIs"))
    return token.subscribed_apis;
  std::vector<jwt::SubscribedApi> out;
  const auto it = token.claims.find("allowedAPIs");
  if (it == token.claims.end() || !it->is_array())
    return out;
  for (const auto& e : *it) {
    if (!e.is_object())
      continue;
    jwt::SubscribedApi s;
    if (auto n = e.find("name"); n != e.end() && n->is_string())
      s.name = n->get<std::string>();
    if (auto v = e.find("version"); v != e.end() && v->is_string())
      s.version = v->get<std::string>();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::vector<KeyLocation> keyLocations(const artifact::Resource& resource) {
  std::vector<KeyLocation> out;
  for (const artifact::AuthScheme& s : resource.auth) {
    if (s.type != artifact::AuthScheme::Type::ApiKey)
      continue;
    if (s.key_name.empty()) {
      out.push_back({false, std::string(kDefaultKeyName)});
      out.push_back({true, std::string(kDefaultKeyName)});
    } else {
      out.push_back({s.in == "query", s.key_name});
    }
  }
  return out;
}

std::optional<std::string> findKey(const std::vector<KeyLocation>& locations,
                                   const http::RequestHead& request) {
  for (const KeyLocation& l : locations) {
    if (l.in_query) {
      if (auto v = queryValue(request.target, l.name))
        return v;
    } else if (const std::string* v = request.headers.get(l.name)) {
      return std::string(trimOws(*v));
    }
  }
  return std::nullopt;
}

jwt::IssuerConfig issuerConfig(std::string issuer, std::string certificate_alias) {
  jwt::IssuerConfig ic;
  ic.name = "apikey.tokenConfigs";
  ic.issuer = std::move(issuer);
  ic.certificate_alias = std::move(certificate_alias);
  ic.consumer_key_claim.clear();  // API keys carry no client id; `consumerKey` when present
  ic.allowed_algs = {jwt::Alg::RS256};
  ic.require_exp = false;
  return ic;
}

Result<filter::AuthContext> ApiKeyValidator::validate(std::string_view key,
                                                      const artifact::Api& api, int64_t now_ms,
                                                      jwt::TokenCache* cache,
                                                      const jwt::RevocationSet* revoked) const {
  if (!config_.verifier)
    return makeError("apikey.not_configured", "no [apikey.tokenConfigs]");
  auto verified = jwt::verifyCached(*config_.verifier, key, now_ms, cache, revoked);
  if (!verified)
    return verified.error();
  const jwt::VerifiedToken& vt = **verified;
  const std::vector<jwt::SubscribedApi> allowed = allowedApis(vt);
  const jwt::SubscribedApi* match = filters::matchSubscription(allowed, api);
  if (config_.validate_allowed_apis && match == nullptr)
    return makeError("apikey.not_allowed", "the API key does not allow this API");
  filter::AuthContext ctx = filters::tokenContext(vt, match, "api_key");
  ctx.scopes.clear();  // scopes are not enforced for API keys (reference §8)
  return ctx;
}

}  // namespace mgw::apikey
