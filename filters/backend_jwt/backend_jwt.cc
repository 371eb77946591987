#include "filters/backend_jwt/backend_jwt.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "filters/jwt/base64url.h"
#include "filters/jwt/signer.h"
#include "mgw/base/log.h"
#include "mgw/base/strings.h"
#include "tls/stores.h"

namespace mgw::backend_jwt {
namespace {

using Json = nlohmann::json;

// MGWJWTGeneratorImpl's default restricted claims, always added to the configured ones.
constexpr const char* kDefaultRestricted[] = {
    "iss",    "sub", "aud", "exp", "nbf", "iat", "jti", "application", "tierInfo", "subscribedAPIs",
    "keytype"};

std::atomic<uint64_t> next_filter_id{1};

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void putIfNotEmpty(Json& claims, const std::string& name, const std::string& value) {
  if (!value.empty())
    claims[name] = value;
}

struct CacheEntry {
  std::string token;
  int64_t exp_ms = 0;
};

struct ThreadCache {
  uint64_t owner = 0;
  std::unordered_map<std::string, CacheEntry> entries;
};

}  // namespace

std::string wso2Thumbprint(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  if (len <= 0)
    return {};
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(der, static_cast<size_t>(len), digest);
  OPENSSL_free(der);
  const std::string hex =
      hexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  std::string out = jwt::base64UrlEncode(hex);
  while (out.size() % 4 != 0)
    out += '=';  // java.util.Base64.getUrlEncoder() pads
  return out;
}

Result<BackendJwtConfig> BackendJwtConfig::fromConfig(const config::GatewayConfig& config) {
  BackendJwtConfig c;
  c.header = config.getString("jwtConfig.header", c.header);
  if (c.header.empty())
    c.header = "X-JWT-Assertion";
  const std::string p = "jwtGeneratorConfig.";
  c.enabled = config.getBool(p + "jwtGeneratorEnabled", false);
  c.dialect = config.getString(p + "claimDialect", c.dialect);
  c.issuer = config.getString(p + "issuer", c.issuer);
  c.token_expiry_ms = config.getInt(p + "tokenExpiry", c.token_expiry_ms);
  c.restricted_claims = config.getList(p + "restrictedClaims");
  const std::string cp = p + "jwtGeneratorCaching.";
  c.cache_enabled = config.getBool(cp + "tokenCacheEnable", true);
  c.cache_expiry_ms = config.getInt(cp + "tokenCacheExpiryTime", c.cache_expiry_ms);
  const int64_t cap = config.getInt(cp + "tokenCacheCapacity", 10000);
  c.cache_capacity = cap <= 0 ? 0 : static_cast<size_t>(cap);
  c.skew_ms =
      config.getInt("keyManager.timestampSkew", config.getInt("server.timestampSkew", c.skew_ms));
  const std::string alg = config.getString(p + "signingAlgorithm", "SHA256withRSA");
  if (alg == "NONE") {
    c.sign = false;
  } else if (alg != "SHA256withRSA") {
    return makeError("config.bad_value",
                     "[jwtGeneratorConfig] signingAlgorithm: only SHA256withRSA and NONE exist");
  }
  if (!c.enabled || !c.sign)
    return c;
  const std::string path = config.getString("listenerConfig.keyStorePath");
  if (path.empty()) {
    return makeError("config.backend_jwt_key",
                     "[jwtGeneratorConfig] signing needs [listenerConfig] keyStorePath");
  }
  auto ks = tls::loadKeyStore(path, config.getString("listenerConfig.keyStorePassword"),
                              config.getString(p + "privateKeyAlias", "ballerina"));
  if (!ks) {
    return makeError("config.backend_jwt_key",
                     "[jwtGeneratorConfig] privateKeyAlias: " + ks.error().message);
  }
  if (EVP_PKEY_get_base_id(ks->private_key.get()) != EVP_PKEY_RSA) {
    return makeError("config.backend_jwt_key",
                     "[jwtGeneratorConfig] SHA256withRSA needs an RSA key");
  }
  c.x5t = wso2Thumbprint(ks->certificate.get());
  c.key = std::shared_ptr<EVP_PKEY>(ks->private_key.release(), EVP_PKEY_free);
  return c;
}

std::string generate(const BackendJwtConfig& config, const filter::AuthContext& auth,
                     const artifact::Api& api, int64_t now_ms) {
  Json header = Json::object();
  header["typ"] = "JWT";
  if (config.sign) {
    header["alg"] = "RS256";
    header["x5t"] = config.x5t;
  } else {
    header["alg"] = "none";
  }

  // Custom claims: the verified incoming claims minus the restricted ones.
  Json claims = Json::object();
  if (!auth.claims_json.empty()) {
    Json incoming = Json::parse(auth.claims_json, nullptr, false);
    if (incoming.is_object()) {
      for (auto& [k, v] : incoming.items()) {
        const bool restricted =
            std::find(std::begin(kDefaultRestricted), std::end(kDefaultRestricted), k) !=
                std::end(kDefaultRestricted) ||
            std::find(config.restricted_claims.begin(), config.restricted_claims.end(), k) !=
                config.restricted_claims.end();
        if (!restricted)
          claims[k] = v;
      }
    }
  }
  // Standard claims win over custom ones (AbstractMGWJWTGenerator.buildBody).
  const std::string& d = config.dialect;
  const int64_t ttl = config.cache_enabled ? config.cache_expiry_ms : config.token_expiry_ms;
  claims["iss"] = config.issuer;
  claims["jti"] = jwt::randomUuid();
  claims["iat"] = now_ms / 1000;
  claims["exp"] = (now_ms + ttl) / 1000;
  if (!auth.username.empty()) {
    claims["sub"] = auth.username;
    claims[d + "/enduser"] = auth.username;
  }
  if (!auth.scopes.empty()) {
    std::string scopes;
    for (const std::string& s : auth.scopes)
      scopes += (scopes.empty() ? "" : " ") + s;
    claims["scopes"] = scopes;
  }
  putIfNotEmpty(claims, d + "/applicationid", auth.app_id);
  putIfNotEmpty(claims, d + "/applicationUUId", auth.app_uuid);
  putIfNotEmpty(claims, d + "/subscriber", auth.subscriber);
  putIfNotEmpty(claims, d + "/applicationname", auth.app_name);
  putIfNotEmpty(claims, d + "/applicationtier", auth.app_tier);
  putIfNotEmpty(claims, d + "/apiname", api.name);
  putIfNotEmpty(claims, d + "/enduserTenantDomain", auth.subscriber_tenant_domain);
  putIfNotEmpty(claims, d + "/apicontext", api.base_path);
  putIfNotEmpty(claims, d + "/version", api.version);
  putIfNotEmpty(claims, d + "/tier", auth.subscription_tier);
  claims[d + "/keytype"] = auth.sandbox ? "SANDBOX" : "PRODUCTION";
  claims[d + "/usertype"] = "Application_User";

  const std::string signing_input =
      jwt::base64UrlEncode(header.dump()) + "." + jwt::base64UrlEncode(claims.dump());
  if (!config.sign)
    return signing_input + ".";
  return signing_input + "." +
         jwt::base64UrlEncode(jwt::signRs256(config.key.get(), signing_input));
}

BackendJwtFilter::BackendJwtFilter(BackendJwtConfig config)
    : config_(std::move(config)), id_(next_filter_id.fetch_add(1, std::memory_order_relaxed)) {}

std::string BackendJwtFilter::cachedOrGenerate(const filter::AuthContext& auth,
                                               const artifact::Api& api) const {
  const int64_t now = nowMs();
  if (!config_.cache_enabled || config_.cache_capacity == 0)
    return generate(config_, auth, api, now);
  // Per token and API (WSO2: credential + API name + version). The verified claim set stands for
  // the token; Basic callers have none, their name and scopes do.
  std::string key = auth.auth_type;
  key += '\n';
  key += auth.username;
  key += '\n';
  for (const std::string& s : auth.scopes)
    key += s + ' ';
  key += '\n';
  key += auth.claims_json;
  key += '\n';
  key += api.name;
  key += '\n';
  key += api.version;
  thread_local ThreadCache tc;
  if (tc.owner != id_) {
    tc.entries.clear();
    tc.owner = id_;
  }
  if (auto it = tc.entries.find(key); it != tc.entries.end()) {
    if (it->second.exp_ms - now >= config_.skew_ms)
      return it->second.token;
    tc.entries.erase(it);
  }
  if (tc.entries.size() >= config_.cache_capacity)
    tc.entries.erase(tc.entries.begin());  // bounded: drop an arbitrary entry
  std::string token = generate(config_, auth, api, now);
  const int64_t ttl = config_.cache_expiry_ms;
  tc.entries.emplace(std::move(key), CacheEntry{token, (now + ttl) / 1000 * 1000});
  return token;
}

filter::FilterStatus BackendJwtFilter::onRequestHeaders(filter::RequestContext& ctx) const {
  http::HeaderMap& headers = ctx.mutableRequest().headers;
  // Never forward a client-written assertion: only the gateway speaks for the caller.
  headers.remove(config_.header);
  const filter::AuthContext* auth = ctx.authContext();
  if (auth == nullptr || auth->auth_type == "mutual_ssl")
    return filter::FilterStatus::Continue;
  // A cheap look for the member name before parsing; claims_json is the token's own payload text
  // (jwt::Verifier), so a name spelled with \u escapes must be parsed to be seen.
  const std::string& claims_text = auth->claims_json;
  if (!claims_text.empty() && (claims_text.find("\"backendJwt\"") != std::string::npos ||
                               claims_text.find("\\u") != std::string::npos)) {
    Json claims = Json::parse(claims_text, nullptr, false);
    if (auto it = claims.find("backendJwt"); claims.is_object() && it != claims.end() &&
                                             it->is_string() &&
                                             !it->get_ref<const std::string&>().empty()) {
      headers.set(config_.header, it->get<std::string>());
      return filter::FilterStatus::Continue;
    }
  }
  if (config_.enabled)
    headers.set(config_.header, cachedOrGenerate(*auth, ctx.api()));
  return filter::FilterStatus::Continue;
}

}  // namespace mgw::backend_jwt
