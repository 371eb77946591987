#include "filters/security/auth_filter.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <optional>
#include <string>
#include <utility>

#include "test/filters/jwt/jwt_test_util.h"
#include "test/support/fake_request_context.h"

namespace mgw::filters {
namespace {

using artifact::AuthScheme;
namespace jt = jwt::testing;

class TestContext : public mgw::testing::FakeRequestContext {
 public:
  TestContext(const artifact::Api& api, const artifact::Resource& res)
      : FakeRequestContext(api, res) {}
};

std::string sha1Hex(std::string_view s) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// "Basic " + base64 of `creds`.
std::string basic(std::string_view creds) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < creds.size(); i += 3) {
    uint32_t n = (uint8_t(creds[i]) << 16) | (uint8_t(creds[i + 1]) << 8) | uint8_t(creds[i + 2]);
    out += {tbl[n >> 18], tbl[(n >> 12) & 63], tbl[(n >> 6) & 63], tbl[n & 63]};
  }
  if (creds.size() - i == 1) {
    uint32_t n = uint8_t(creds[i]) << 16;
    out += {tbl[n >> 18], tbl[(n >> 12) & 63], '=', '='};
  } else if (creds.size() - i == 2) {
    uint32_t n = (uint8_t(creds[i]) << 16) | (uint8_t(creds[i + 1]) << 8);
    out += {tbl[n >> 18], tbl[(n >> 12) & 63], tbl[(n >> 6) & 63], '='};
  }
  return "Basic " + out;
}

const char* kBasicChallenge =
    "Basic Auth realm=\"WSO2 API Microgateway\", error=\"invalid token\" , "
    "error_description=\"The access token expired\"";

struct Fixture {
  artifact::Api api;
  artifact::Resource basic_only, oauth, both, open;
  jt::Pkey key = jt::makeRsa();
  std::unique_ptr<AuthFilter> filter;

  explicit Fixture(bool remove = true) {
    api.name = "Shop";
    api.version = "v1";
    basic_only.auth = {AuthScheme{AuthScheme::Type::Basic, "b", "", ""}};
    basic_only.scopes = {"read", "admin"};
    oauth.scopes = {"read"};
    both.auth = {AuthScheme{AuthScheme::Type::OAuth2, "o", "", ""},
                 AuthScheme{AuthScheme::Type::Basic, "b", "", ""}};
    open.disable_security = true;
    auto users = std::make_shared<basic_auth::UserStore>();
    EXPECT_TRUE(users->addUser("alice", sha1Hex("pw"), {"read"}));
    EXPECT_TRUE(users->addUser("bob", sha1Hex("pw"), {}));
    AuthFilterConfig cfg;
    cfg.remove_auth_header = remove;
    cfg.users = users;
    jwt::IssuerConfig ic = jt::issuerConfig();
    std::vector<jwt::Verifier::Issuer> issuers;
    issuers.push_back({ic, jt::certKeys(key.get())});
    jwt::IssuerConfig sub = jt::issuerConfig("https://sub.example");
    sub.validate_subscription = true;
    issuers.push_back({sub, jt::certKeys(key.get())});
    cfg.verifier = std::make_shared<jwt::Verifier>(std::move(issuers));
    filter = std::make_unique<AuthFilter>(std::move(cfg));
  }

  // Runs the filter on `res` with `Authorization: value` (none when empty).
  TestContext run(const artifact::Resource& res, std::string_view value,
                  filter::FilterStatus* status = nullptr) {
    TestContext ctx(api, res);
    if (!value.empty())
      ctx.head_.headers.add("Authorization", value);
    filter::FilterStatus s = filter->onRequestHeaders(ctx);
    EXPECT_EQ(s == filter::FilterStatus::Stop, ctx.reply_.has_value());
    if (status)
      *status = s;
    return ctx;
  }

  std::string token(nlohmann::json payload = {}) {
    nlohmann::json p = jt::basePayload();
    const int64_t now = jwt::nowMillis() / 1000;
    p["iat"] = now;
    p["exp"] = now + 600;
    p["scope"] = "read";
    for (auto& [k, v] : payload.items())
      p[k] = v;
    return jt::makeToken(key.get(), jt::header("RS256"), p);
  }
};

int codeOf(const TestContext& ctx) {
  return nlohmann::json::parse(ctx.reply_->body)["fault"]["code"].get<int>();
}

TEST(AuthFilter, BasicSuccessRemovesHeader) {
  Fixture s;
  auto ctx = s.run(s.basic_only, basic("alice:pw"));
  EXPECT_FALSE(ctx.reply_);
  EXPECT_EQ(ctx.head_.headers.get("Authorization"), nullptr);
}

TEST(AuthFilter, BasicSuccessKeepsHeaderWhenConfigured) {
  Fixture s(false);
  auto ctx = s.run(s.basic_only, basic("alice:pw"));
  EXPECT_FALSE(ctx.reply_);
  ASSERT_NE(ctx.head_.headers.get("Authorization"), nullptr);
}

TEST(AuthFilter, BasicFailuresCarryWso2Challenge) {
  Fixture s;
  for (const auto& [value, code] :
       std::vector<std::pair<std::string, int>>{{basic("alice:nope"), 900911},
                                                {basic("carol:pw"), 900911},
                                                {basic("alice:"), 900911},
                                                {basic("alicepw"), 900912},
                                                {"Basic %%%", 900912}}) {
    auto ctx = s.run(s.basic_only, value);
    ASSERT_TRUE(ctx.reply_) << value;
    EXPECT_EQ(ctx.reply_->status, 401);
    EXPECT_EQ(codeOf(ctx), code) << value;
    ASSERT_NE(ctx.reply_->headers.get("WWW-Authenticate"), nullptr);
    EXPECT_EQ(*ctx.reply_->headers.get("WWW-Authenticate"), kBasicChallenge);
  }
}

TEST(AuthFilter, ScopesAnyOf) {
  Fixture s;
  auto ctx = s.run(s.basic_only, basic("bob:pw"));
  ASSERT_TRUE(ctx.reply_);
  EXPECT_EQ(ctx.reply_->status, 403);
  EXPECT_EQ(ctx.reply_->body,
            "{\"fault\":{\"code\":900910, \"message\":\"The access token does not allow you to "
            "access the requested resource\", \"description\":\"The access token does not allow "
            "you to access the requested resource\"}}");
  EXPECT_FALSE(s.run(s.oauth, "Bearer " + s.token({{"scope", "write read"}})).reply_);
  auto denied = s.run(s.oauth, "Bearer " + s.token({{"scope", "write"}}));
  ASSERT_TRUE(denied.reply_);
  EXPECT_EQ(codeOf(denied), 900910);
}

TEST(AuthFilter, MissingCredentialsHasNoChallenge) {
  Fixture s;
  for (const artifact::Resource* r : {&s.basic_only, &s.oauth, &s.both}) {
    auto ctx = s.run(*r, "");
    ASSERT_TRUE(ctx.reply_);
    EXPECT_EQ(codeOf(ctx), 900902);
    EXPECT_EQ(ctx.reply_->headers.get("WWW-Authenticate"), nullptr);
  }
}

TEST(AuthFilter, BearerOnBasicOnlyResourceRefused) {
  Fixture s;
  auto ctx = s.run(s.basic_only, "Bearer " + s.token());
  ASSERT_TRUE(ctx.reply_);
  EXPECT_EQ(ctx.reply_->status, 401);
  EXPECT_EQ(codeOf(ctx), 900901);
}

TEST(AuthFilter, JwtValidAndInvalid) {
  Fixture s;
  std::string good = s.token();
  auto ok = s.run(s.oauth, "Bearer " + good);
  EXPECT_FALSE(ok.reply_);
  EXPECT_EQ(ok.head_.headers.get("Authorization"), nullptr);
  EXPECT_FALSE(s.run(s.oauth, "bearer  " + good).reply_);  // cache hit, lowercase scheme
  const int64_t now = jwt::nowMillis() / 1000;
  std::string tampered = good;
  tampered[good.find('.') + 3] ^= 1;
  for (const std::string& bad :
       {s.token({{"exp", now - 600}, {"iat", now - 1200}}), tampered,
        s.token({{"iss", "https://evil.example"}}), std::string("x.y.z"), std::string()}) {
    auto ctx = s.run(s.oauth, "Bearer " + bad);
    ASSERT_TRUE(ctx.reply_) << bad;
    EXPECT_EQ(ctx.reply_->status, 401);
    EXPECT_EQ(codeOf(ctx), 900901);
    ASSERT_NE(ctx.reply_->headers.get("WWW-Authenticate"), nullptr);
    EXPECT_EQ(ctx.reply_->headers.get("WWW-Authenticate")->rfind("OAuth2 realm=", 0), 0u);
  }
}

TEST(AuthFilter, Subscription) {
  Fixture s;
  nlohmann::json other = nlohmann::json::array({{{"name", "Shop"}, {"version", "v2"}}});
  auto ctx = s.run(
      s.oauth, "Bearer " + s.token({{"iss", "https://sub.example"}, {"subscribedAPIs", other}}));
  ASSERT_TRUE(ctx.reply_);
  EXPECT_EQ(ctx.reply_->status, 403);
  EXPECT_EQ(ctx.reply_->body,
            "{\"fault\":{\"code\":900908, \"message\":\"Resource forbidden \", "
            "\"description\":\"Resource forbidden . Unclassified Authentication Failure\"}}");
  other.push_back({{"name", "Shop"}, {"version", "v1"}});
  EXPECT_FALSE(s.run(s.oauth, "Bearer " + s.token({{"iss", "https://sub.example"},
                                                   {"subscribedAPIs", other}}))
                   .reply_);
}

TEST(AuthFilter, EitherSchemeAndDisabledSecurity) {
  Fixture s;
  EXPECT_FALSE(s.run(s.both, basic("alice:pw")).reply_);
  EXPECT_FALSE(s.run(s.both, "Bearer " + s.token()).reply_);
  auto ctx = s.run(s.both, basic("alice:no"));
  ASSERT_TRUE(ctx.reply_);
  EXPECT_EQ(*ctx.reply_->headers.get("WWW-Authenticate"),
            std::string("OAuth2 realm=\"WSO2 API Microgateway\", ") + kBasicChallenge);
  EXPECT_FALSE(s.run(s.open, "garbage").reply_);
}

TEST(AuthFilter, OtherSchemesFailClosed) {
  Fixture s;
  for (const char* v : {"Digest x", "garbage", "Basic", "Bearer"}) {
    auto ctx = s.run(s.oauth, v);
    ASSERT_TRUE(ctx.reply_) << v;
    EXPECT_EQ(ctx.reply_->status, 401);
  }
  auto ctx = s.run(s.oauth, basic("alice:pw"));  // Basic is not a scheme of this resource
  ASSERT_TRUE(ctx.reply_);
  EXPECT_EQ(codeOf(ctx), 900901);
}

// Records the tokens it sees and answers a fixed status.
class FakeOpaque final : public OpaqueTokenValidator {
 public:
  explicit FakeOpaque(filter::FilterStatus answer) : answer_(answer) {}
  filter::FilterStatus authenticate(filter::RequestContext&, std::string_view token,
                                    std::string_view header_name) const override {
    seen_.push_back(std::string(token) + "|" + std::string(header_name));
    return answer_;
  }
  filter::FilterStatus answer_;
  mutable std::vector<std::string> seen_;
};

TEST(AuthFilter, OpaqueTokensGoToTheValidator) {
  Fixture s;
  AuthFilterConfig cfg;
  cfg.verifier = std::make_shared<jwt::Verifier>(
      std::vector<jwt::Verifier::Issuer>{{jt::issuerConfig(), jt::certKeys(s.key.get())}});
  auto opaque = std::make_shared<FakeOpaque>(filter::FilterStatus::Pause);
  cfg.opaque = opaque;
  s.filter = std::make_unique<AuthFilter>(std::move(cfg));
  filter::FilterStatus st;
  auto ctx = s.run(s.oauth, "Bearer 2f1c-opaque-token", &st);
  EXPECT_EQ(st, filter::FilterStatus::Pause);
  EXPECT_FALSE(ctx.reply_);
  ASSERT_EQ(opaque->seen_.size(), 1u);
  EXPECT_EQ(opaque->seen_[0], "2f1c-opaque-token|Authorization");
  // A three-part token still goes to the JWT verifier.
  EXPECT_FALSE(s.run(s.oauth, "Bearer " + s.token()).reply_);
  EXPECT_EQ(opaque->seen_.size(), 1u);
  // Basic-only resources never consult it.
  auto b = s.run(s.basic_only, "Bearer opaque");
  ASSERT_TRUE(b.reply_);
  EXPECT_EQ(opaque->seen_.size(), 1u);
}

TEST(AuthFilter, OpaqueWithoutValidatorFailsClosed) {
  Fixture s;
  auto ctx = s.run(s.oauth, "Bearer 2f1c-opaque-token");
  ASSERT_TRUE(ctx.reply_);
  EXPECT_EQ(codeOf(ctx), 900901);
}

TEST(AuthFilter, JwtSetsAuthContext) {
  Fixture s;
  nlohmann::json app = {{"id", 42},
                        {"uuid", "u-42"},
                        {"name", "shop"},
                        {"owner", "bob@acme.com"},
                        {"tier", "10PerMin"}};
  nlohmann::json subs = nlohmann::json::array({{{"name", "Shop"},
                                                {"version", "*"},
                                                {"subscriptionTier", "Gold"},
                                                {"subscriberTenantDomain", "acme.com"}}});
  auto ctx = s.run(s.oauth, "Bearer " + s.token({{"application", app},
                                                 {"subscribedAPIs", subs},
                                                 {"consumerKey", "ck-1"},
                                                 {"keytype", "SANDBOX"},
                                                 {"scope", "read write"}}));
  ASSERT_FALSE(ctx.reply_);
  ASSERT_TRUE(ctx.auth_);
  const filter::AuthContext& a = *ctx.auth_;
  EXPECT_EQ(a.auth_type, "oauth2");
  EXPECT_EQ(a.username, "admin");
  EXPECT_EQ(a.consumer_key, "ck-1");
  EXPECT_EQ(a.issuer, jt::kIssuer);
  EXPECT_EQ(a.app_id, "42");
  EXPECT_EQ(a.app_uuid, "u-42");
  EXPECT_EQ(a.app_name, "shop");
  EXPECT_EQ(a.app_owner, "bob@acme.com");
  EXPECT_EQ(a.app_tier, "10PerMin");
  EXPECT_EQ(a.subscription_tier, "Gold");
  EXPECT_EQ(a.subscriber, "bob@acme.com");
  EXPECT_EQ(a.subscriber_tenant_domain, "acme.com");
  EXPECT_TRUE(a.sandbox);
  EXPECT_EQ(a.scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(nlohmann::json::parse(a.claims_json)["consumerKey"], "ck-1");
}

TEST(AuthFilter, JwtWithoutApimClaimsHasDefaults) {
  Fixture s;
  auto ctx = s.run(s.oauth, "Bearer " + s.token({{"aud", "client-7"}}));
  ASSERT_TRUE(ctx.auth_);
  EXPECT_EQ(ctx.auth_->consumer_key, "client-7");     // consumerKeyClaim "aud"
  EXPECT_TRUE(ctx.auth_->app_id.empty());             // throttling uses __unknown__
  EXPECT_TRUE(ctx.auth_->subscription_tier.empty());  // throttling uses Default
  EXPECT_FALSE(ctx.auth_->sandbox);
}

TEST(AuthFilter, SubscriptionVersionWildcard) {
  Fixture s;
  nlohmann::json subs = nlohmann::json::array({{{"name", "Shop"}, {"version", "*"}}});
  EXPECT_FALSE(s.run(s.oauth, "Bearer " + s.token({{"iss", "https://sub.example"},
                                                   {"subscribedAPIs", subs}}))
                   .reply_);
}

TEST(AuthFilter, BasicSetsAnonymousApplication) {
  Fixture s;
  auto ctx = s.run(s.basic_only, basic("alice:pw"));
  ASSERT_TRUE(ctx.auth_);
  EXPECT_EQ(ctx.auth_->auth_type, "basic");
  EXPECT_EQ(ctx.auth_->username, "alice");
  EXPECT_EQ(ctx.auth_->app_name, "anonymous");
  EXPECT_EQ(ctx.auth_->subscription_tier, "Default");
  EXPECT_FALSE(ctx.auth_->sandbox);
  EXPECT_TRUE(ctx.auth_->claims_json.empty());
}

TEST(AuthFilter, FailuresSetNoAuthContext) {
  Fixture s;
  EXPECT_FALSE(s.run(s.basic_only, basic("alice:nope")).auth_);
  EXPECT_FALSE(s.run(s.oauth, "Bearer x.y.z").auth_);
}

TEST(AuthFilter, MutualSslOrApplicationSecurity) {
  Fixture s;
  artifact::Resource optional = s.oauth;
  optional.app_security_optional = true;
  filter::AuthContext mtls;
  mtls.auth_type = "mutual_ssl";
  {
    TestContext ctx(s.api, optional);
    ctx.auth_ = mtls;
    EXPECT_EQ(s.filter->onRequestHeaders(ctx), filter::FilterStatus::Continue);
    EXPECT_FALSE(ctx.reply_);
  }
  {
    // Mandatory (AND): the certificate alone is not enough.
    TestContext ctx(s.api, s.oauth);
    ctx.auth_ = mtls;
    EXPECT_EQ(s.filter->onRequestHeaders(ctx), filter::FilterStatus::Stop);
    EXPECT_EQ(codeOf(ctx), 900902);
  }
  {
    // Optional without a certificate: application security still applies.
    TestContext ctx(s.api, optional);
    EXPECT_EQ(s.filter->onRequestHeaders(ctx), filter::FilterStatus::Stop);
    TestContext ok(s.api, optional);
    ok.head_.headers.add("Authorization", "Bearer " + s.token());
    EXPECT_EQ(s.filter->onRequestHeaders(ok), filter::FilterStatus::Continue);
    EXPECT_EQ(ok.auth_->auth_type, "oauth2");
  }
}

// Attack catalogue §6 row 16: lower-case scheme accepted (JwtValidAndInvalid); two Authorization
// fields refused deterministically; a token in the query string is ignored.
TEST(AuthFilter, AttackRow16DuplicateHeadersAndQueryToken) {
  Fixture s;
  const std::string good = "Bearer " + s.token();
  for (int i = 0; i < 3; ++i) {
    TestContext ctx(s.api, s.oauth);
    ctx.head_.headers.add("Authorization", good);
    ctx.head_.headers.add("Authorization", good);
    EXPECT_EQ(s.filter->onRequestHeaders(ctx), filter::FilterStatus::Stop);
    EXPECT_EQ(ctx.reply_->status, 401);
    EXPECT_EQ(codeOf(ctx), 900901);
  }
  TestContext q(s.api, s.oauth);
  q.head_.target = "/x?access_token=" + s.token() + "&apikey=" + s.token();
  EXPECT_EQ(s.filter->onRequestHeaders(q), filter::FilterStatus::Stop);
  EXPECT_EQ(codeOf(q), 900902);
}

// Row 17: a token without the resource scope → 403 900910, WSO2 body, no challenge (issue 4:
// WSO2's wording wins over RFC 6750's insufficient_scope).
TEST(AuthFilter, AttackRow17MissingScope) {
  Fixture s;
  auto ctx = s.run(s.oauth, "Bearer " + s.token({{"scope", "write"}}));
  ASSERT_TRUE(ctx.reply_);
  EXPECT_EQ(ctx.reply_->status, 403);
  EXPECT_EQ(codeOf(ctx), 900910);
  EXPECT_EQ(ctx.reply_->headers.get("WWW-Authenticate"), nullptr);
  EXPECT_FALSE(ctx.auth_);
}

// Row 19: an issuer whose keys are unavailable fails closed (401), never open.
TEST(AuthFilter, AttackRow19NoKeysFailsClosed) {
  Fixture s;
  AuthFilterConfig cfg;
  std::vector<jwt::Verifier::Issuer> issuers;
  issuers.push_back({jt::issuerConfig(), std::make_shared<jwt::KeySet>()});
  cfg.verifier = std::make_shared<jwt::Verifier>(std::move(issuers));
  s.filter = std::make_unique<AuthFilter>(std::move(cfg));
  auto ctx = s.run(s.oauth, "Bearer " + s.token());
  ASSERT_TRUE(ctx.reply_);
  EXPECT_EQ(ctx.reply_->status, 401);
  EXPECT_EQ(codeOf(ctx), 900901);
}

TEST(AuthFilter, RevokedTokensRefusedOnHitAndMiss) {
  struct Revoked final : jwt::RevocationSet {
    bool isRevoked(std::string_view k) const override { return k == jti; }
    std::string jti = "none";
  };
  Fixture s;
  auto revoked = std::make_shared<Revoked>();
  AuthFilterConfig cfg;
  cfg.verifier = std::make_shared<jwt::Verifier>(
      std::vector<jwt::Verifier::Issuer>{{jt::issuerConfig(), jt::certKeys(s.key.get())}});
  cfg.revoked = revoked;
  s.filter = std::make_unique<AuthFilter>(std::move(cfg));
  const std::string token = s.token({{"jti", "j-77"}});
  EXPECT_FALSE(s.run(s.oauth, "Bearer " + token).reply_);  // cached now
  revoked->jti = "j-77";
  auto ctx = s.run(s.oauth, "Bearer " + token);
  ASSERT_TRUE(ctx.reply_);
  EXPECT_EQ(codeOf(ctx), 900901);
}

}  // namespace
}  // namespace mgw::filters
