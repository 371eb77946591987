#include "filters/apikey/api_key.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "filters/apikey/issuer.h"
#include "filters/jwt/base64url.h"
#include "filters/security/auth_filter.h"
#include "test/filters/jwt/jwt_test_util.h"
#include "test/support/fake_request_context.h"

namespace mgw::apikey {
namespace {

using artifact::AuthScheme;
using Json = nlohmann::json;
namespace jt = jwt::testing;

constexpr const char* kIss = "https://localhost:9095/apikey";

http::RequestHead request(std::string target) {
  http::RequestHead h;
  h.method = "GET";
  h.target = std::move(target);
  return h;
}

TEST(ApiKeyLocations, DefaultsAndNamedSchemes) {
  artifact::Resource r;
  r.auth = {AuthScheme{AuthScheme::Type::ApiKey, "", "", ""}};
  auto l = keyLocations(r);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_FALSE(l[0].in_query);
  EXPECT_EQ(l[0].name, "apikey");
  EXPECT_TRUE(l[1].in_query);
  r.auth = {AuthScheme{AuthScheme::Type::OAuth2, "o", "", ""},
            AuthScheme{AuthScheme::Type::ApiKey, "k", "query", "key"},
            AuthScheme{AuthScheme::Type::ApiKey, "h", "header", "X-Key"}};
  l = keyLocations(r);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_TRUE(l[0].in_query);
  EXPECT_EQ(l[0].name, "key");
  EXPECT_FALSE(l[1].in_query);
  EXPECT_EQ(l[1].name, "X-Key");
}

TEST(ApiKeyLocations, FindKeyInHeaderAndQuery) {
  std::vector<KeyLocation> l = {{false, "apikey"}, {true, "apikey"}};
  auto h = request("/a?x=1");
  EXPECT_FALSE(findKey(l, h));
  h.headers.add("apikey", " a.b.c ");
  EXPECT_EQ(findKey(l, h).value(), "a.b.c");
  auto q = request("/a?apikeyx=no&apikey=a%2Eb.c&apikey=second");
  EXPECT_EQ(findKey(l, q).value(), "a.b.c");
  EXPECT_FALSE(findKey(l, request("/a?apikeyx=no")));
  EXPECT_FALSE(findKey(l, request("/a?apikey=%zz")));  // broken escape: no key
  EXPECT_FALSE(findKey(l, request("/a?apikey=%4")));
  EXPECT_EQ(findKey(l, request("/a?apikey")).value(), "");
}

struct Keys {
  artifact::Api api;
  ApiKeyValidator validator;
  Keys(bool validate)
      : validator([validate] {
          ApiKeyConfig c;
          std::vector<jwt::Verifier::Issuer> issuers;
          issuers.push_back(
              {issuerConfig(kIss, "ballerina"), jt::certKeys(jt::rsaKey(), "ballerina")});
          c.verifier = std::make_shared<jwt::Verifier>(std::move(issuers));
          c.validate_allowed_apis = validate;
          return c;
        }()) {
    api.name = "PetStore";
    api.version = "1.0.0";
  }
};

Json keyClaims(Json over = Json::object()) {
  Json p = {{"sub", "admin"},
            {"iss", kIss},
            {"jti", "5c1f"},
            {"iat", jt::kNowS},
            {"keytype", "PRODUCTION"},
            {"allowedAPIs", Json::array({{{"name", "PetStore"}, {"version", "1.0.0"}}})}};
  for (auto& [k, v] : over.items())
    p[k] = v;
  return p;
}

std::string key(Json claims, EVP_PKEY* pkey = jt::rsaKey(), std::string alg = "RS256") {
  Json header = {{"alg", alg}, {"typ", "jwt"}, {"kid", "ballerina"}};
  return jt::makeToken(pkey, header, claims);
}

std::string reason(const Keys& k, const std::string& token) {
  auto r = k.validator.validate(token, k.api, jt::kNowMs, nullptr, nullptr);
  return r ? "ok" : r.error().reason;
}

TEST(ApiKeyValidator, ValidKeyWithoutExpGivesContext) {
  Keys k(true);
  auto r = k.validator.validate(key(keyClaims({{"scope", "admin"}})), k.api, jt::kNowMs, nullptr,
                                nullptr);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->auth_type, "api_key");
  EXPECT_EQ(r->username, "admin");
  EXPECT_EQ(r->issuer, kIss);
  EXPECT_FALSE(r->sandbox);
  EXPECT_TRUE(r->scopes.empty());  // scopes are not enforced for API keys
  EXPECT_NE(r->claims_json.find("allowedAPIs"), std::string::npos);
}

TEST(ApiKeyValidator, RefusedKeys) {
  Keys k(true);
  EXPECT_EQ(reason(k, key(keyClaims({{"iss", "https://evil/apikey"}}))), "jwt.unknown_issuer");
  EXPECT_EQ(reason(k, key(keyClaims({{"exp", jt::kNowS - 600}}))), "jwt.expired");
  EXPECT_EQ(reason(k, key(keyClaims(), jt::rsaKey(1))), "jwt.bad_signature");
  EXPECT_EQ(reason(k, key(keyClaims(), jt::ecKey("P-256"), "ES256")), "jwt.alg_not_allowed");
  EXPECT_EQ(reason(k, "not-a-key"), "jwt.malformed");
  EXPECT_EQ(reason(k, ""), "jwt.malformed");
  Json other = Json::array({{{"name", "PetStore"}, {"version", "2.0.0"}}});
  EXPECT_EQ(reason(k, key(keyClaims({{"allowedAPIs", other}}))), "apikey.not_allowed");
  EXPECT_EQ(reason(k, key(keyClaims({{"allowedAPIs", Json::array()}}))), "apikey.not_allowed");
  Json notList = "PetStore";
  EXPECT_EQ(reason(k, key(keyClaims({{"allowedAPIs", notList}}))), "apikey.not_allowed");
}

TEST(ApiKeyValidator, AllowedApisRules) {
  Keys k(true);
  Json star = Json::array({{{"name", "PetStore"}, {"version", "*"}}});
  EXPECT_EQ(reason(k, key(keyClaims({{"allowedAPIs", star}}))), "ok");
  // subscribedAPIs wins over allowedAPIs when present (WSO2 api_key_utils.bal).
  Json sub =
      Json::array({{{"name", "PetStore"}, {"version", "1.0.0"}, {"subscriptionTier", "Gold"}}});
  Json other = Json::array({{{"name", "Other"}, {"version", "*"}}});
  auto r = k.validator.validate(key(keyClaims({{"subscribedAPIs", sub}, {"allowedAPIs", other}})),
                                k.api, jt::kNowMs, nullptr, nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->subscription_tier, "Gold");
  EXPECT_EQ(reason(k, key(keyClaims({{"subscribedAPIs", other}}))), "apikey.not_allowed");
  // Without validateAllowedAPIs any API is allowed.
  Keys open(false);
  EXPECT_EQ(reason(open, key(keyClaims({{"allowedAPIs", other}}))), "ok");
}

TEST(ApiKeyValidator, SandboxKeyTypeAndApplication) {
  Keys k(false);
  Json app = {{"id", 7}, {"name", "shop"}, {"owner", "bob@acme.com"}, {"tier", "50PerMin"}};
  auto r = k.validator.validate(key(keyClaims({{"keytype", "SANDBOX"}, {"application", app}})),
                                k.api, jt::kNowMs, nullptr, nullptr);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->sandbox);
  EXPECT_EQ(r->app_id, "7");
  EXPECT_EQ(r->app_tier, "50PerMin");
  EXPECT_EQ(r->subscriber_tenant_domain, "acme.com");
}

TEST(ApiKeyValidator, RevokedKeyRefused) {
  struct Revoked final : jwt::RevocationSet {
    bool isRevoked(std::string_view k) const override { return k == "5c1f"; }
  } revoked;
  Keys k(false);
  jwt::TokenCache cache;
  auto r = k.validator.validate(key(keyClaims()), k.api, jt::kNowMs, &cache, &revoked);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "jwt.revoked");
}

// Through the AuthFilter (real clock).
struct FilterFixture {
  artifact::Api api;
  artifact::Resource header_or_query, named, oauth_or_key;
  std::unique_ptr<filters::AuthFilter> filter;
  FilterFixture() {
    api.name = "PetStore";
    api.version = "1.0.0";
    header_or_query.auth = {AuthScheme{AuthScheme::Type::ApiKey, "", "", ""}};
    named.auth = {AuthScheme{AuthScheme::Type::ApiKey, "k", "query", "key"}};
    oauth_or_key.auth = {AuthScheme{AuthScheme::Type::OAuth2, "o", "", ""},
                         AuthScheme{AuthScheme::Type::ApiKey, "", "", ""}};
    filters::AuthFilterConfig cfg;
    ApiKeyConfig c;
    std::vector<jwt::Verifier::Issuer> issuers;
    issuers.push_back({issuerConfig(kIss, "ballerina"), jt::certKeys(jt::rsaKey(), "ballerina")});
    c.verifier = std::make_shared<jwt::Verifier>(std::move(issuers));
    c.validate_allowed_apis = true;
    cfg.api_keys = std::make_shared<ApiKeyValidator>(std::move(c));
    filter = std::make_unique<filters::AuthFilter>(std::move(cfg));
  }
  std::string liveKey(Json over = Json::object()) {
    Json c = keyClaims(over);
    c["iat"] = jwt::nowMillis() / 1000;
    return key(c);
  }
};

int codeOf(const mgw::testing::FakeRequestContext& ctx) {
  return Json::parse(ctx.reply_->body)["fault"]["code"].get<int>();
}

TEST(ApiKeyFilter, HeaderAndQueryAcceptedAndNotRemoved) {
  FilterFixture f;
  const std::string k = f.liveKey();
  mgw::testing::FakeRequestContext h(f.api, f.header_or_query);
  h.head_.target = "/pets";
  h.head_.headers.add("apikey", k);
  EXPECT_EQ(f.filter->onRequestHeaders(h), filter::FilterStatus::Continue);
  EXPECT_FALSE(h.reply_);
  ASSERT_TRUE(h.auth_);
  EXPECT_EQ(h.auth_->auth_type, "api_key");
  EXPECT_NE(h.head_.headers.get("apikey"), nullptr);

  mgw::testing::FakeRequestContext q(f.api, f.header_or_query);
  q.head_.target = "/pets?apikey=" + k;
  EXPECT_EQ(f.filter->onRequestHeaders(q), filter::FilterStatus::Continue);

  mgw::testing::FakeRequestContext n(f.api, f.named);
  n.head_.target = "/pets?apikey=" + k;  // not this resource's parameter
  EXPECT_EQ(f.filter->onRequestHeaders(n), filter::FilterStatus::Stop);
  EXPECT_EQ(codeOf(n), 900902);
  mgw::testing::FakeRequestContext n2(f.api, f.named);
  n2.head_.target = "/pets?key=" + k;
  EXPECT_EQ(f.filter->onRequestHeaders(n2), filter::FilterStatus::Continue);
}

TEST(ApiKeyFilter, InvalidKeys401And900901) {
  FilterFixture f;
  Json other = Json::array({{{"name", "Other"}, {"version", "*"}}});
  for (const std::string& bad :
       {f.liveKey({{"allowedAPIs", other}}), f.liveKey({{"iss", "x"}}), std::string("a.b.c"),
        std::string("garbage"), f.liveKey({{"exp", 1000}})}) {
    mgw::testing::FakeRequestContext ctx(f.api, f.header_or_query);
    ctx.head_.headers.add("apikey", bad);
    EXPECT_EQ(f.filter->onRequestHeaders(ctx), filter::FilterStatus::Stop) << bad;
    ASSERT_TRUE(ctx.reply_);
    EXPECT_EQ(ctx.reply_->status, 401);
    EXPECT_EQ(codeOf(ctx), 900901);
    EXPECT_FALSE(ctx.auth_);
  }
}

TEST(ApiKeyFilter, KeyUsedWhenNoAuthorizationOnOAuthOrKeyResource) {
  FilterFixture f;
  mgw::testing::FakeRequestContext ctx(f.api, f.oauth_or_key);
  ctx.head_.headers.add("apikey", f.liveKey());
  EXPECT_EQ(f.filter->onRequestHeaders(ctx), filter::FilterStatus::Continue);
  mgw::testing::FakeRequestContext none(f.api, f.oauth_or_key);
  EXPECT_EQ(f.filter->onRequestHeaders(none), filter::FilterStatus::Stop);
  EXPECT_EQ(codeOf(none), 900902);
}

ApiKeyIssuer makeIssuer(int64_t validity) {
  ApiKeyIssuerConfig c;
  EVP_PKEY* k = jt::rsaKey();
  EVP_PKEY_up_ref(k);
  c.key = std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
  c.issuer = kIss;
  c.validity_s = validity;
  c.allowed_apis = Json::array({{{"name", "PetStore"}, {"version", "*"}}});
  auto users = std::make_shared<basic_auth::UserStore>();
  // SHA-1 of "pw".
  EXPECT_TRUE(users->addUser("alice", "1a91d62f7ca67399625a4368a6ab5d4a3baa6073", {}));
  return ApiKeyIssuer(std::move(c), users);
}

TEST(ApiKeyIssuer, PathsAndMethods) {
  EXPECT_TRUE(ApiKeyIssuer::matches("GET", "/apikey"));
  EXPECT_TRUE(ApiKeyIssuer::matches("POST", "/apikey/x"));
  EXPECT_FALSE(ApiKeyIssuer::matches("PUT", "/apikey"));
  EXPECT_FALSE(ApiKeyIssuer::matches("GET", "/apikeys"));
  EXPECT_FALSE(ApiKeyIssuer::matches("GET", "/x/apikey"));
}

TEST(ApiKeyIssuer, ValidityRules) {
  ApiKeyIssuer limited = makeIssuer(3600);
  EXPECT_EQ(limited.validityFor(""), 3600);
  EXPECT_EQ(limited.validityFor(R"({"validityTime": 60})"), 60);
  EXPECT_EQ(limited.validityFor(R"({"validityTime": "60"})"), 60);
  EXPECT_EQ(limited.validityFor(R"({"validityTime": 7200})"), 3600);
  EXPECT_EQ(limited.validityFor(R"({"validityTime": 0})"), 3600);
  EXPECT_EQ(limited.validityFor(R"({"validityTime": -1})"), 3600);
  EXPECT_EQ(limited.validityFor(R"({"validityTime": "x"})"), 3600);
  EXPECT_EQ(limited.validityFor(R"({"validityTime": 1.5})"), 3600);
  EXPECT_EQ(limited.validityFor(R"([1,2])"), 3600);
  EXPECT_EQ(limited.validityFor(std::string(100000, '[')), 3600);
  ApiKeyIssuer unlimited = makeIssuer(-1);
  EXPECT_EQ(unlimited.validityFor(""), -1);
  EXPECT_EQ(unlimited.validityFor(R"({"validityTime": 99999})"), 99999);
}

TEST(ApiKeyIssuer, IssuedKeyVerifiesAsAnApiKey) {
  ApiKeyIssuer issuer = makeIssuer(-1);
  const std::string key = issuer.issue("alice", "", jt::kNowMs);
  Keys k(true);
  auto r = k.validator.validate(key, k.api, jt::kNowMs + 86400000LL * 365, nullptr, nullptr);
  ASSERT_TRUE(r) << r.error().reason;  // no exp: valid until revoked
  EXPECT_EQ(r->username, "alice");
  std::string header;
  ASSERT_TRUE(jwt::base64UrlDecode(key.substr(0, key.find('.')), header));
  EXPECT_EQ(Json::parse(header), (Json{{"alg", "RS256"}, {"typ", "jwt"}, {"kid", "ballerina"}}));
  const std::string shorter = issuer.issue("alice", R"({"validityTime": 10})", jt::kNowMs);
  EXPECT_EQ(reason(k, shorter), "ok");
  auto expired = k.validator.validate(shorter, k.api, jt::kNowMs + 60000, nullptr, nullptr);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().reason, "jwt.expired");
}

TEST(ApiKeyIssuer, BasicAuthRequired) {
  ApiKeyIssuer issuer = makeIssuer(60);
  http::RequestHead h = request("/apikey");
  EXPECT_EQ(issuer.handle(h, "").status, 401);
  h.headers.add("Authorization", "Basic YWxpY2U6bm9wZQ==");  // alice:nope
  filter::LocalReply bad = issuer.handle(h, "");
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.body.find("900911"), std::string::npos);
  h.headers.set("Authorization", "Basic YWxpY2U6cHc=");  // alice:pw
  filter::LocalReply ok = issuer.handle(h, "");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.content_type, "text/plain");
  EXPECT_EQ(std::count(ok.body.begin(), ok.body.end(), '.'), 2);
}

}  // namespace
}  // namespace mgw::apikey
