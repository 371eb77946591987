#include "filters/introspection/introspection_validator.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "test/support/fake_request_context.h"

namespace mgw::introspection {
namespace {

using filter::FilterStatus;

constexpr int64_t kNow = 1'700'000'000'000;  // ms

struct Fixture {
  artifact::Api api;
  artifact::Resource res;
  int64_t now = kNow;
  IntrospectionValidator validator;

  explicit Fixture(IntrospectionConfig c = {}) : validator(withClock(std::move(c), &now)) {
    api.name = "Petstore";
    api.version = "1.0.0";
    res.method = "GET";
    res.path_template = "/pets";
    api.auth_header = "";
  }

  static IntrospectionConfig withClock(IntrospectionConfig c, int64_t* now) {
    if (c.url.empty())
      c.url = "http://127.0.0.1:9443/oauth2/introspect";
    c.authorization = basicAuthorization("admin", "admin");
    c.now_ms = [now] { return *now; };
    return c;
  }
};

filter::HttpCallResponse json(int status, std::string body) {
  filter::HttpCallResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

class IntrospectionTest : public ::testing::Test {
 protected:
  void SetUp() override { fx_ = std::make_unique<Fixture>(); }

  std::unique_ptr<mgw::testing::FakeRequestContext> context() {
    auto ctx = std::make_unique<mgw::testing::FakeRequestContext>(fx_->api, fx_->res);
    ctx->head_.headers.add("Authorization", "Bearer tok");
    return ctx;
  }

  std::unique_ptr<Fixture> fx_;
};

TEST_F(IntrospectionTest, ActiveTokenPassesAndSetsTheCaller) {
  auto ctx = context();
  EXPECT_EQ(fx_->validator.authenticate(*ctx, "abc def+/=", "Authorization"), FilterStatus::Pause);
  ASSERT_EQ(ctx->calls_.size(), 1u);
  const filter::HttpCallRequest& req = ctx->calls_[0].first;
  EXPECT_EQ(req.url, "http://127.0.0.1:9443/oauth2/introspect");
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.body, "token=abc+def%2B%2F%3D&token_type_hint=access_token");
  ASSERT_NE(req.headers.get("Authorization"), nullptr);
  EXPECT_EQ(*req.headers.get("Authorization"), "Basic YWRtaW46YWRtaW4=");
  EXPECT_EQ(*req.headers.get("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(ctx->resumed_, 0);
  ctx->calls_[0].second(json(200, R"({"active":true,"scope":"read write","client_id":"ck",
      "username":"alice","iss":"km","exp":1700000600})"));
  EXPECT_EQ(ctx->resumed_, 1);
  EXPECT_FALSE(ctx->reply_);
  ASSERT_TRUE(ctx->auth_);
  EXPECT_EQ(ctx->auth_->auth_type, "oauth2");
  EXPECT_EQ(ctx->auth_->username, "alice");
  EXPECT_EQ(ctx->auth_->consumer_key, "ck");
  EXPECT_EQ(ctx->auth_->issuer, "km");
  EXPECT_EQ(ctx->auth_->scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(ctx->head_.headers.get("Authorization"), nullptr);
}

TEST_F(IntrospectionTest, CacheHitAnswersWithoutACall) {
  auto ctx = context();
  ASSERT_EQ(fx_->validator.authenticate(*ctx, "tok", "Authorization"), FilterStatus::Pause);
  ctx->calls_[0].second(json(200, R"({"active":true,"sub":"bob","exp":1700000600})"));
  auto again = context();
  EXPECT_EQ(fx_->validator.authenticate(*again, "tok", "Authorization"), FilterStatus::Continue);
  EXPECT_TRUE(again->calls_.empty());
  ASSERT_TRUE(again->auth_);
  EXPECT_EQ(again->auth_->username, "bob");
  // Keyed on the whole token: a token sharing a prefix is introspected on its own.
  auto other = context();
  EXPECT_EQ(fx_->validator.authenticate(*other, "tok2", "Authorization"), FilterStatus::Pause);
  // After `exp` (+ skew) the cached entry is gone and the token refused on a fresh call.
  fx_->now = 1700000600 * 1000LL + 5000;
  auto late = context();
  EXPECT_EQ(fx_->validator.authenticate(*late, "tok", "Authorization"), FilterStatus::Pause);
  EXPECT_EQ(late->calls_.size(), 1u);
}

TEST_F(IntrospectionTest, InactiveTokenIs401AndCachedBriefly) {
  auto ctx = context();
  ASSERT_EQ(fx_->validator.authenticate(*ctx, "bad", "Authorization"), FilterStatus::Pause);
  ctx->calls_[0].second(json(200, R"({"active":false})"));
  ASSERT_TRUE(ctx->reply_);
  EXPECT_EQ(ctx->reply_->status, 401);
  EXPECT_NE(ctx->reply_->body.find("900901"), std::string::npos);
  EXPECT_EQ(ctx->reply_->details, "introspection.inactive");
  EXPECT_NE(ctx->reply_->headers.get("WWW-Authenticate"), nullptr);
  EXPECT_EQ(ctx->resumed_, 0);
  auto again = context();
  EXPECT_EQ(fx_->validator.authenticate(*again, "bad", "Authorization"), FilterStatus::Stop);
  EXPECT_TRUE(again->calls_.empty());
  fx_->now += 10001;
  auto later = context();
  EXPECT_EQ(fx_->validator.authenticate(*later, "bad", "Authorization"), FilterStatus::Pause);
}

TEST_F(IntrospectionTest, ExpiredAndNotYetValidTokensAre401) {
  auto ctx = context();
  ASSERT_EQ(fx_->validator.authenticate(*ctx, "old", "Authorization"), FilterStatus::Pause);
  ctx->calls_[0].second(json(200, R"({"active":true,"exp":1699999990})"));  // 10 s ago, skew 5
  ASSERT_TRUE(ctx->reply_);
  EXPECT_EQ(ctx->reply_->status, 401);
  EXPECT_EQ(ctx->reply_->details, "introspection.expired");
  // Within the skew it still passes.
  auto skew = context();
  ASSERT_EQ(fx_->validator.authenticate(*skew, "edge", "Authorization"), FilterStatus::Pause);
  skew->calls_[0].second(json(200, R"({"active":true,"exp":1699999997})"));
  EXPECT_FALSE(skew->reply_);
  EXPECT_EQ(skew->resumed_, 1);
  auto nbf = context();
  ASSERT_EQ(fx_->validator.authenticate(*nbf, "future", "Authorization"), FilterStatus::Pause);
  nbf->calls_[0].second(json(200, R"({"active":true,"nbf":1700000060})"));
  ASSERT_TRUE(nbf->reply_);
  EXPECT_EQ(nbf->reply_->details, "introspection.not_yet_valid");
}

TEST_F(IntrospectionTest, MissingScopeIs403) {
  fx_->res.scopes = {"admin", "write"};
  auto ctx = context();
  ASSERT_EQ(fx_->validator.authenticate(*ctx, "s", "Authorization"), FilterStatus::Pause);
  ctx->calls_[0].second(json(200, R"({"active":true,"scope":"read"})"));
  ASSERT_TRUE(ctx->reply_);
  EXPECT_EQ(ctx->reply_->status, 403);
  EXPECT_NE(ctx->reply_->body.find("900910"), std::string::npos);
  auto ok = context();
  ASSERT_EQ(fx_->validator.authenticate(*ok, "s2", "Authorization"), FilterStatus::Pause);
  ok->calls_[0].second(json(200, R"({"active":true,"scope":"read write"})"));
  EXPECT_FALSE(ok->reply_);
  EXPECT_EQ(ok->resumed_, 1);
}

TEST_F(IntrospectionTest, BadResponsesAre401AndNotCached) {
  const char* bodies[] = {
      "not json",
      "[]",
      R"({"active":"true"})",
      R"({"scope":"a"})",
      R"({"active":true,"exp":"1700000600"})",
      R"({"active":true,"exp":1.5})",
      R"({"active":true,"exp":-1})",
      R"({"active":true,"scope":["a"]})",
      R"({"active":true,"active":false})",
      "{\"active\":true,\"username\":\"\xff\"}",
  };
  int i = 0;
  for (const char* body : bodies) {
    std::string token = "m" + std::to_string(i++);
    auto ctx = context();
    ASSERT_EQ(fx_->validator.authenticate(*ctx, token, "Authorization"), FilterStatus::Pause);
    ctx->calls_[0].second(json(200, body));
    ASSERT_TRUE(ctx->reply_) << body;
    EXPECT_EQ(ctx->reply_->status, 401) << body;
    EXPECT_EQ(ctx->reply_->details, "introspection.malformed") << body;
    auto again = context();
    EXPECT_EQ(fx_->validator.authenticate(*again, token, "Authorization"), FilterStatus::Pause);
  }
  std::string deep(100, '[');
  auto ctx = context();
  ASSERT_EQ(fx_->validator.authenticate(*ctx, "deep", "Authorization"), FilterStatus::Pause);
  ctx->calls_[0].second(json(200, "{\"active\":true,\"x\":" + deep + "}"));
  ASSERT_TRUE(ctx->reply_);
  EXPECT_EQ(ctx->reply_->status, 401);
}

TEST_F(IntrospectionTest, CallFailuresAre401) {
  struct Case {
    Result<filter::HttpCallResponse> response;
    std::string reason;
  };
  Case cases[] = {
      {makeError("upstream.connect_failed", "x"), "upstream.connect_failed"},
      {makeError("http_call.timeout", "x"), "http_call.timeout"},
      {makeError("http_call.too_large", "x"), "http_call.too_large"},
      {json(401, R"({"error":"invalid_client"})"), "introspection.status"},
      {json(500, ""), "introspection.status"},
  };
  for (Case& c : cases) {
    auto ctx = context();
    ASSERT_EQ(fx_->validator.authenticate(*ctx, "f", "Authorization"), FilterStatus::Pause);
    ctx->calls_[0].second(std::move(c.response));
    ASSERT_TRUE(ctx->reply_);
    EXPECT_EQ(ctx->reply_->status, 401);
    EXPECT_NE(ctx->reply_->body.find("900901"), std::string::npos);
    EXPECT_EQ(ctx->reply_->details, c.reason);
    EXPECT_EQ(ctx->resumed_, 0);
  }
}

TEST_F(IntrospectionTest, EmptyAndOversizeTokensAreRefusedWithoutACall) {
  auto ctx = context();
  EXPECT_EQ(fx_->validator.authenticate(*ctx, "", "Authorization"), FilterStatus::Stop);
  EXPECT_TRUE(ctx->calls_.empty());
  ASSERT_TRUE(ctx->reply_);
  EXPECT_EQ(ctx->reply_->status, 401);
  auto big = context();
  EXPECT_EQ(fx_->validator.authenticate(*big, std::string(20000, 'a'), "Authorization"),
            FilterStatus::Stop);
  EXPECT_TRUE(big->calls_.empty());
}

TEST_F(IntrospectionTest, CacheIsBoundedLru) {
  IntrospectionCache cache(2);
  auto r = std::make_shared<const IntrospectionResult>();
  cache.insert("a", r, kNow + 1000);
  cache.insert("b", r, kNow + 1000);
  EXPECT_NE(cache.find("a", kNow), nullptr);  // a is now the most recent
  cache.insert("c", r, kNow + 1000);          // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find("b", kNow), nullptr);
  EXPECT_NE(cache.find("a", kNow), nullptr);
  EXPECT_EQ(cache.find("a", kNow + 1000), nullptr);  // expired
  IntrospectionCache off(0);
  off.insert("a", r, kNow + 1000);
  EXPECT_EQ(off.find("a", kNow), nullptr);
}

TEST(FormEncode, EncodesReservedBytes) {
  EXPECT_EQ(formEncode("aZ09-._*"), "aZ09-._*");
  EXPECT_EQ(formEncode("a b&c=d%"), "a+b%26c%3Dd%25");
  EXPECT_EQ(formEncode(std::string("\x00\xff", 2)), "%00%FF");
}

}  // namespace
}  // namespace mgw::introspection
