#include "filters/apikey/issuer.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

#include "filters/jwt/base64url.h"
#include "filters/jwt/signer.h"
#include "mgw/base/strings.h"
#include "tls/stores.h"

namespace mgw::apikey {
namespace {

using Json = nlohmann::json;

}  // namespace

Result<std::shared_ptr<ApiKeyIssuerConfig>> ApiKeyIssuerConfig::fromConfig(
    const config::GatewayConfig& c) {
  const std::string p = "apikey.issuer.tokenConfig.";
  if (!c.getBool(p + "enabled", true))
    return std::shared_ptr<ApiKeyIssuerConfig>();
  auto out = std::make_shared<ApiKeyIssuerConfig>();
  out->kid = c.getString(p + "certificateAlias", out->kid);
  out->issuer = c.getString(p + "issuer", out->issuer);
  out->validity_s = c.getInt(p + "validityTime", out->validity_s);
  out->auth_header = c.getString("authConfig.authorizationHeader", out->auth_header);
  const size_t apis = c.arrayCount("apikey.issuer.api");
  for (size_t i = 0; i < apis; ++i) {
    const std::string ap = "apikey.issuer.api." + std::to_string(i) + ".";
    const std::string name = c.getString(ap + "name");
    if (name.empty())
      continue;
    std::vector<std::string> versions;
    for (const std::string& v : c.getList(ap + "versions")) {
      for (std::string_view part : splitList(v, ',')) {
        std::string_view t = trimOws(part);
        if (!t.empty())
          versions.emplace_back(t);
      }
    }
    if (versions.empty() || std::find(versions.begin(), versions.end(), "*") != versions.end()) {
      out->allowed_apis.push_back({{"name", name}, {"version", "*"}});
      continue;
    }
    for (const std::string& v : versions)
      out->allowed_apis.push_back({{"name", name}, {"version", v}});
  }
  std::string path = c.getString(p + "keyStorePath");
  std::string password = c.getString(p + "keyStorePassword");
  if (path.empty()) {
    path = c.getString("listenerConfig.keyStorePath");
    password = c.getString("listenerConfig.keyStorePassword");
  }
  if (path.empty()) {
    return makeError("config.apikey_issuer_key",
                     "[apikey.issuer.tokenConfig] needs keyStorePath (or [listenerConfig] "
                     "keyStorePath), or enabled = false");
  }
  auto ks = tls::loadKeyStore(path, password, out->kid);
  if (!ks)
    return makeError("config.apikey_issuer_key",
                     "[apikey.issuer.tokenConfig] " + ks.error().message);
  if (EVP_PKEY_get_base_id(ks->private_key.get()) != EVP_PKEY_RSA)
    return makeError("config.apikey_issuer_key",
                     "[apikey.issuer.tokenConfig]: RS256 needs an RSA key");
  out->key = std::shared_ptr<EVP_PKEY>(ks->private_key.release(), EVP_PKEY_free);
  return out;
}

ApiKeyIssuer::ApiKeyIssuer(ApiKeyIssuerConfig config,
                           std::shared_ptr<const basic_auth::UserStore> users)
    : config_(std::move(config)), users_(std::move(users)) {}

bool ApiKeyIssuer::matches(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "POST")
    return false;
  constexpr std::string_view kBase = "/apikey";
  return path == kBase || (path.size() > kBase.size() && path.substr(0, kBase.size()) == kBase &&
                           path[kBase.size()] == '/');
}

int64_t ApiKeyIssuer::validityFor(std::string_view body) const {
  int64_t validity = config_.validity_s;
  Json payload = Json::parse(body, nullptr, false);
  if (!payload.is_object())
    return validity;
  const auto it = payload.find("validityTime");
  if (it == payload.end())
    return validity;
  // Ballerina read it with ints:fromString(value.toString()): a JSON integer or a digit string.
  std::optional<int64_t> asked;
  if (it->is_number_integer()) {
    asked = it->get<int64_t>();
  } else if (it->is_string()) {
    if (auto n = parseDecimal(it->get_ref<const std::string&>());
        n && *n <= static_cast<uint64_t>(INT64_MAX))
      asked = static_cast<int64_t>(*n);
  }
  if (asked && *asked > 0 && (validity < 0 || validity > *asked))
    validity = *asked;
  return validity;
}

std::string ApiKeyIssuer::issue(std::string_view user, std::string_view body,
                                int64_t now_ms) const {
  const Json header = {{"alg", "RS256"}, {"typ", "jwt"}, {"kid", config_.kid}};
  const int64_t now_s = now_ms / 1000;
  Json claims = {{"sub", std::string(user)}, {"iss", config_.issuer},
                 {"jti", jwt::randomUuid()}, {"iat", now_s},
                 {"keytype", "PRODUCTION"},  {"allowedAPIs", config_.allowed_apis}};
  const int64_t validity = validityFor(body);
  if (validity > 0)
    claims["exp"] = now_s + validity;
  const std::string input =
      jwt::base64UrlEncode(header.dump()) + "." + jwt::base64UrlEncode(claims.dump());
  return input + "." + jwt::base64UrlEncode(jwt::signRs256(config_.key.get(), input));
}

filter::LocalReply ApiKeyIssuer::handle(const http::RequestHead& request,
                                        std::string_view body) const {
  const std::string* value = request.headers.get(config_.auth_header);
  filter::LocalReply reply;
  if (value == nullptr || !users_ || !basic_auth::UserStore::isBasic(*value)) {
    reply = filter::faultReply(401, 900902, "Missing Credentials",
                               "Make sure your API request provides required credentials",
                               "apikey.issue_missing_credentials");
    reply.headers.add("WWW-Authenticate", "Basic realm=\"WSO2 API Microgateway\"");
    return reply;
  }
  auto user = users_->authenticate(*value);
  if (!user) {
    basic_auth::Fault fault = basic_auth::faultFor(user.error());
    reply = filter::faultReply(fault.http_status, fault.code, fault.message, fault.description,
                               user.error().reason);
    reply.headers.add("WWW-Authenticate", "Basic realm=\"WSO2 API Microgateway\"");
    return reply;
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  reply.status = 200;
  reply.body = issue(user->name, body, now_ms);
  reply.content_type = "text/plain";
  reply.details = "apikey.issued";
  return reply;
}

}  // namespace mgw::apikey
