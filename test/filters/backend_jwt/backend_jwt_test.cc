#include "filters/backend_jwt/backend_jwt.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "filters/jwt/base64url.h"
#include "filters/jwt/key_set.h"
#include "filters/jwt/signature.h"
#include "test/filters/jwt/jwt_test_util.h"
#include "test/support/fake_request_context.h"

namespace mgw::backend_jwt {
namespace {

using Json = nlohmann::json;
namespace jt = jwt::testing;

std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t dot = token.find('.', start);
    out.push_back(token.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos)
      return out;
    start = dot + 1;
  }
}

Json part(const std::string& segment) {
  std::string text;
  EXPECT_TRUE(jwt::base64UrlDecode(segment, text));
  return Json::parse(text);
}

BackendJwtConfig signingConfig() {
  BackendJwtConfig c;
  c.enabled = true;
  EVP_PKEY* key = jt::rsaKey();
  EVP_PKEY_up_ref(key);
  c.key = std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
  c.x5t = "thumb==";
  c.restricted_claims = {"secret"};
  return c;
}

filter::AuthContext jwtCaller() {
  filter::AuthContext a;
  a.auth_type = "oauth2";
  a.username = "alice";
  a.app_id = "12";
  a.app_uuid = "u-12";
  a.app_name = "shop";
  a.app_owner = "bob";
  a.subscriber = "bob";
  a.app_tier = "Unlimited";
  a.subscription_tier = "Gold";
  a.subscriber_tenant_domain = "carbon.super";
  a.scopes = {"read", "write"};
  a.claims_json = Json{
      {"iss", "idp"},
      {"sub", "alice"},
      {"aud", "x"},
      {"exp", 1},
      {"jti", "in-jti"},
      {"custom", "kept"},
      {"secret", "restricted"},
      {"keytype",
       "PRODUCTION"}}.dump();
  return a;
}

artifact::Api shopApi() {
  artifact::Api api;
  api.name = "Shop";
  api.version = "v1";
  api.base_path = "/shop/v1";
  return api;
}

TEST(BackendJwt, GeneratedTokenAsWso2Builds) {
  BackendJwtConfig c = signingConfig();
  const std::string token = generate(c, jwtCaller(), shopApi(), jt::kNowMs);
  auto parts = split(token);
  ASSERT_EQ(parts.size(), 3u);
  Json h = part(parts[0]);
  EXPECT_EQ(h, (Json{{"typ", "JWT"}, {"alg", "RS256"}, {"x5t", "thumb=="}}));
  Json p = part(parts[1]);
  const std::string d = "http://wso2.org/claims";
  EXPECT_EQ(p["iss"], "wso2.org/products/am");
  EXPECT_EQ(p["sub"], "alice");
  EXPECT_EQ(p[d + "/enduser"], "alice");
  EXPECT_EQ(p["iat"], jt::kNowS);
  EXPECT_EQ(p["exp"], jt::kNowS + 900);  // cache expiry when caching
  EXPECT_NE(p["jti"], "in-jti");
  EXPECT_EQ(p["jti"].get<std::string>().size(), 36u);
  EXPECT_EQ(p["scopes"], "read write");
  EXPECT_EQ(p[d + "/applicationid"], "12");
  EXPECT_EQ(p[d + "/applicationUUId"], "u-12");
  EXPECT_EQ(p[d + "/subscriber"], "bob");
  EXPECT_EQ(p[d + "/applicationname"], "shop");
  EXPECT_EQ(p[d + "/applicationtier"], "Unlimited");
  EXPECT_EQ(p[d + "/apiname"], "Shop");
  EXPECT_EQ(p[d + "/apicontext"], "/shop/v1");
  EXPECT_EQ(p[d + "/version"], "v1");
  EXPECT_EQ(p[d + "/tier"], "Gold");
  EXPECT_EQ(p[d + "/enduserTenantDomain"], "carbon.super");
  EXPECT_EQ(p[d + "/keytype"], "PRODUCTION");
  EXPECT_EQ(p[d + "/usertype"], "Application_User");
  EXPECT_EQ(p["custom"], "kept");
  EXPECT_FALSE(p.contains("secret"));
  EXPECT_FALSE(p.contains("aud"));
  EXPECT_FALSE(p.contains("keytype"));
  // The signature verifies with the public key (RS256 over the first two segments).
  auto keys = jt::certKeys(jt::rsaKey(), "gw");
  std::string sig;
  ASSERT_TRUE(jwt::base64UrlDecode(parts[2], sig));
  ASSERT_FALSE(keys->entries().empty());
  EXPECT_TRUE(jwt::verifySignature(keys->entries().front(), jwt::Alg::RS256,
                                   parts[0] + "." + parts[1], sig));
}

TEST(BackendJwt, NoneAlgorithmAndTokenExpiryWithoutCaching) {
  BackendJwtConfig c;
  c.enabled = true;
  c.sign = false;
  c.cache_enabled = false;
  c.token_expiry_ms = 60000;
  c.dialect = "urn:d";
  filter::AuthContext a = jwtCaller();
  a.sandbox = true;
  const std::string token = generate(c, a, shopApi(), jt::kNowMs);
  auto parts = split(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(parts[2].empty());
  EXPECT_EQ(part(parts[0]), (Json{{"typ", "JWT"}, {"alg", "none"}}));
  Json p = part(parts[1]);
  EXPECT_EQ(p["exp"], jt::kNowS + 60);
  EXPECT_EQ(p["urn:d/keytype"], "SANDBOX");
}

TEST(BackendJwt, Wso2Thumbprint) {
  const std::string pem = jt::selfSignedCertPem(jt::rsaKey());
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  const std::string x5t = wso2Thumbprint(cert);
  X509_free(cert);
  EXPECT_EQ(x5t.size(), 56u);  // base64 of 40 hex characters, padded
  EXPECT_EQ(x5t.substr(54), "==");
  std::string hex;
  ASSERT_TRUE(jwt::base64UrlDecode(x5t, hex));
  EXPECT_EQ(hex.size(), 40u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
}

struct FilterRun {
  artifact::Api api = shopApi();
  artifact::Resource res;
  mgw::testing::FakeRequestContext ctx{api, res};
};

TEST(BackendJwtFilter, SpoofedAssertionAlwaysRemoved) {
  BackendJwtFilter f(BackendJwtConfig{});  // generator disabled
  FilterRun r;
  r.ctx.head_.headers.add("X-JWT-Assertion", "forged");
  r.ctx.head_.headers.add("x-jwt-assertion", "forged2");
  EXPECT_EQ(f.onRequestHeaders(r.ctx), filter::FilterStatus::Continue);
  EXPECT_EQ(r.ctx.head_.headers.get("X-JWT-Assertion"), nullptr);
  r.ctx.auth_ = jwtCaller();
  r.ctx.head_.headers.add("X-JWT-Assertion", "forged");
  f.onRequestHeaders(r.ctx);
  EXPECT_EQ(r.ctx.head_.headers.get("X-JWT-Assertion"), nullptr);
}

TEST(BackendJwtFilter, BackendJwtClaimForwardedVerbatim) {
  BackendJwtConfig c = signingConfig();
  c.header = "X-Caller";
  BackendJwtFilter f(c);
  FilterRun r;
  filter::AuthContext a = jwtCaller();
  a.claims_json = Json{{"sub", "alice"}, {"backendJwt", "aaa.bbb.ccc"}}.dump();
  r.ctx.auth_ = a;
  r.ctx.head_.headers.add("X-Caller", "forged");
  f.onRequestHeaders(r.ctx);
  ASSERT_NE(r.ctx.head_.headers.get("X-Caller"), nullptr);
  EXPECT_EQ(*r.ctx.head_.headers.get("X-Caller"), "aaa.bbb.ccc");
  EXPECT_EQ(r.ctx.head_.headers.count("X-Caller"), 1u);
}

// claims_json is the token's payload text as signed: the member name may be spelled with escapes.
TEST(BackendJwtFilter, BackendJwtClaimSpelledWithEscapesIsFound) {
  BackendJwtConfig c = signingConfig();
  c.header = "X-Caller";
  BackendJwtFilter f(c);
  FilterRun r;
  filter::AuthContext a = jwtCaller();
  a.claims_json = R"({"sub":"alice","backend\u004awt":"aaa.bbb.ccc"})";
  r.ctx.auth_ = a;
  f.onRequestHeaders(r.ctx);
  ASSERT_NE(r.ctx.head_.headers.get("X-Caller"), nullptr);
  EXPECT_EQ(*r.ctx.head_.headers.get("X-Caller"), "aaa.bbb.ccc");
}

TEST(BackendJwtFilter, GeneratedAndCachedPerCallerAndApi) {
  BackendJwtFilter f(signingConfig());
  auto run = [&](const filter::AuthContext& a, const artifact::Api& api) {
    artifact::Resource res;
    mgw::testing::FakeRequestContext ctx(api, res);
    ctx.auth_ = a;
    f.onRequestHeaders(ctx);
    const std::string* v = ctx.head_.headers.get("X-JWT-Assertion");
    return v ? *v : std::string();
  };
  artifact::Api shop = shopApi();
  artifact::Api other = shopApi();
  other.version = "v2";
  const std::string first = run(jwtCaller(), shop);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(run(jwtCaller(), shop), first);  // cache hit: same jti
  EXPECT_NE(run(jwtCaller(), other), first);
  filter::AuthContext bob = jwtCaller();
  bob.username = "bob";
  EXPECT_NE(run(bob, shop), first);
  // mTLS-only callers and unauthenticated requests get none.
  filter::AuthContext m;
  m.auth_type = "mutual_ssl";
  EXPECT_TRUE(run(m, shop).empty());
}

TEST(BackendJwtFilter, CacheBounded) {
  BackendJwtConfig c = signingConfig();
  c.cache_capacity = 2;
  BackendJwtFilter f(c);
  artifact::Api api = shopApi();
  for (int i = 0; i < 20; ++i) {
    artifact::Resource res;
    mgw::testing::FakeRequestContext ctx(api, res);
    filter::AuthContext a = jwtCaller();
    a.username = "user" + std::to_string(i);
    ctx.auth_ = a;
    f.onRequestHeaders(ctx);
    ASSERT_NE(ctx.head_.headers.get("X-JWT-Assertion"), nullptr);
  }
}

}  // namespace
}  // namespace mgw::backend_jwt
