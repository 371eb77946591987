#include "filters/throttling/throttling_filter.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "test/support/fake_request_context.h"

namespace mgw::throttling {
namespace {

using artifact::ThrottlePolicy;
using artifact::TimeUnit;

constexpr int64_t kT0 = 1'700'000'040'000;  // a minute boundary (epoch UTC)

// A filter::RequestContext as the server provides it: peer address, the client address the
// server derived (X-Forwarded-For from a trusted proxy, else the peer) and the response fields
// added by filters.
class TestContext : public mgw::testing::FakeRequestContext {
 public:
  TestContext(const artifact::Api& api, const artifact::Resource& res, std::string peer,
              std::string client = {})
      : FakeRequestContext(api, res, std::move(peer), std::move(client)) {}
  std::optional<AuthInfo> auth_info_;  // what the AuthInfoLookup of the test answers
};

struct FilterSetup {
  artifact::Api api;
  artifact::Resource open;
  artifact::Resource secured;
  int64_t now = kT0 + 30'000;
  std::shared_ptr<Throttler> throttler;
  std::unique_ptr<ThrottlingFilter> filter;

  explicit FilterSetup(bool headers = true) {
    api.base_path = "/shop";
    api.version = "v2";
    open.path_template = "/items";
    open.method = "GET";
    open.disable_security = true;
    secured.path_template = "/orders";
    secured.method = "POST";
    artifact::Policies own;
    ThrottlePolicy p;
    p.name = "Unauthenticated";
    p.count = 1;
    p.time_unit = TimeUnit::Minute;
    own.subscription.push_back(p);
    p.name = "Gold";
    own.subscription.push_back(p);
    ThrottleConfig cfg;
    cfg.table_slots = 1024;
    cfg.rate_limit_headers = headers;
    throttler = std::make_shared<Throttler>(PolicySet(own), cfg);
    filter = std::make_unique<ThrottlingFilter>(
        throttler, [this] { return now; },
        [](const filter::RequestContext& ctx) -> std::optional<AuthInfo> {
          return static_cast<const TestContext&>(ctx).auth_info_;
        });
  }
};

TEST(ThrottlingFilter, RefusalIsAWso2FaultWithHeaders) {
  FilterSetup s;
  EXPECT_EQ(s.filter->name(), "throttling");
  TestContext first(s.api, s.open, "192.0.2.1");
  EXPECT_EQ(s.filter->onRequestHeaders(first), filter::FilterStatus::Continue);
  EXPECT_FALSE(first.reply_.has_value());
  TestContext second(s.api, s.open, "192.0.2.1");
  EXPECT_EQ(s.filter->onRequestHeaders(second), filter::FilterStatus::Stop);
  ASSERT_TRUE(second.reply_.has_value());
  const filter::LocalReply& r = *second.reply_;
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            "{\"fault\":{\"code\":900804, \"message\":\"Message throttled out\", "
            "\"description\":\"You have exceeded your quota\"}}");
  EXPECT_EQ(r.details, "throttling.subscription");
  ASSERT_NE(r.headers.get("Retry-After"), nullptr);
  EXPECT_EQ(*r.headers.get("Retry-After"), "30");
  ASSERT_NE(r.headers.get("RateLimit"), nullptr);
  EXPECT_EQ(*r.headers.get("RateLimit"), "\"Unauthenticated\";r=0;t=30");
  EXPECT_EQ(*r.headers.get("RateLimit-Policy"), "\"Unauthenticated\";q=1;w=60");
  // The client address is the key: another client passes.
  TestContext other(s.api, s.open, "192.0.2.2");
  EXPECT_EQ(s.filter->onRequestHeaders(other), filter::FilterStatus::Continue);
}

TEST(ThrottlingFilter, ClientIpKeysUnauthenticatedAndFieldsAreAdded) {
  FilterSetup s;
  TestContext a(s.api, s.open, "10.0.0.9", "203.0.113.5");
  EXPECT_EQ(s.filter->onRequestHeaders(a), filter::FilterStatus::Continue);
  ASSERT_EQ(a.added_.size(), 2u);
  EXPECT_EQ(a.added_[0].name, "RateLimit-Policy");
  EXPECT_EQ(a.added_[1].value, "\"Unauthenticated\";r=0;t=30");
  // Same proxy, another forwarded client: its own counter.
  TestContext b(s.api, s.open, "10.0.0.9", "203.0.113.6");
  EXPECT_EQ(s.filter->onRequestHeaders(b), filter::FilterStatus::Continue);
  // Same client through another proxy: the same counter.
  TestContext c(s.api, s.open, "10.0.0.8", "203.0.113.5");
  EXPECT_EQ(s.filter->onRequestHeaders(c), filter::FilterStatus::Stop);
  ASSERT_TRUE(c.reply_.has_value());
  EXPECT_EQ(c.reply_->status, 429);
  EXPECT_TRUE(c.added_.empty());  // a local reply carries its own fields
}

TEST(ThrottlingFilter, RateLimitFieldsCanBeDisabled) {
  FilterSetup s(false);
  TestContext a(s.api, s.open, "10.0.0.9", "203.0.113.5");
  EXPECT_EQ(s.filter->onRequestHeaders(a), filter::FilterStatus::Continue);
  EXPECT_TRUE(a.added_.empty());
  TestContext b(s.api, s.open, "10.0.0.9", "203.0.113.5");
  EXPECT_EQ(s.filter->onRequestHeaders(b), filter::FilterStatus::Stop);
  EXPECT_NE(b.reply_->headers.get("Retry-After"), nullptr);
  EXPECT_EQ(b.reply_->headers.get("RateLimit"), nullptr);
}

TEST(ThrottlingFilter, AuthInfoExtensionPointAppliesSubscriptionTier) {
  FilterSetup s;
  // Secured resource, no caller information: no subscription tier yet.
  for (int i = 0; i < 3; ++i) {
    TestContext r(s.api, s.secured, "10.0.0.9", "10.0.0.9");
    EXPECT_EQ(s.filter->onRequestHeaders(r), filter::FilterStatus::Continue);
  }
  AuthInfo auth;
  auth.app_id = "7";
  auth.username = "alice";
  auth.subscription_tier = "Gold";
  TestContext first(s.api, s.secured, "10.0.0.9", "10.0.0.9");
  first.auth_info_ = auth;
  EXPECT_EQ(s.filter->onRequestHeaders(first), filter::FilterStatus::Continue);
  TestContext second(s.api, s.secured, "10.0.0.9", "10.0.0.9");
  second.auth_info_ = auth;
  EXPECT_EQ(s.filter->onRequestHeaders(second), filter::FilterStatus::Stop);
  EXPECT_EQ(second.reply_->details, "throttling.subscription");
  auth.subscription_tier = "Platinum";
  TestContext missing(s.api, s.secured, "10.0.0.9", "10.0.0.9");
  missing.auth_info_ = auth;
  EXPECT_EQ(s.filter->onRequestHeaders(missing), filter::FilterStatus::Stop);
  EXPECT_EQ(missing.reply_->status, 500);
  EXPECT_EQ(missing.reply_->body,
            "{\"fault\":{\"code\":900809, \"message\":\"Internal server error occured\", "
            "\"description\":\"POLICY ENFORCEMENT ERROR\"}}");
  EXPECT_EQ(missing.reply_->headers.size(), 0u);
}

TEST(ThrottlingFilter, DefaultLookupReadsTheAuthContext) {
  FilterSetup s;
  ThrottlingFilter filter(s.throttler, [&s] { return s.now; });
  // Secured resource without a caller: no subscription tier, nothing counted.
  for (int i = 0; i < 3; ++i) {
    TestContext r(s.api, s.secured, "10.0.0.9");
    EXPECT_EQ(filter.onRequestHeaders(r), filter::FilterStatus::Continue);
    EXPECT_TRUE(r.added_.empty());
  }
  filter::AuthContext auth;
  auth.username = "alice";
  auth.app_id = "7";
  auth.app_name = "Shop";
  auth.app_owner = "admin";
  auth.subscription_tier = "Gold";  // 1 per minute in this setup
  TestContext first(s.api, s.secured, "10.0.0.9");
  first.setAuthContext(auth);
  EXPECT_EQ(filter.onRequestHeaders(first), filter::FilterStatus::Continue);
  TestContext second(s.api, s.secured, "10.0.0.9");
  second.setAuthContext(auth);
  EXPECT_EQ(filter.onRequestHeaders(second), filter::FilterStatus::Stop);
  EXPECT_EQ(second.reply_->status, 429);
  EXPECT_EQ(second.reply_->details, "throttling.subscription");
  // Another application has its own subscription counter.
  auth.app_id = "8";
  TestContext other(s.api, s.secured, "10.0.0.9");
  other.setAuthContext(auth);
  EXPECT_EQ(filter.onRequestHeaders(other), filter::FilterStatus::Continue);
  // A tier the policies do not define: 900809.
  auth.subscription_tier = "Platinum";
  TestContext missing(s.api, s.secured, "10.0.0.9");
  missing.setAuthContext(auth);
  EXPECT_EQ(filter.onRequestHeaders(missing), filter::FilterStatus::Stop);
  EXPECT_EQ(missing.reply_->status, 500);
}

TEST(ThrottlingFilter, AuthFromContextMapsFields) {
  FilterSetup s;
  TestContext none(s.api, s.secured, "10.0.0.9");
  EXPECT_FALSE(authFromContext(none).has_value());
  filter::AuthContext auth;
  auth.username = "u";
  auth.app_id = "1";
  auth.app_name = "n";
  auth.subscriber = "sub";
  auth.app_tier = "10PerMin";
  auth.subscription_tier = "Gold";
  auth.api_tier = "5PerMin";
  TestContext ctx(s.api, s.secured, "10.0.0.9");
  ctx.setAuthContext(auth);
  auto info = authFromContext(ctx);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->username, "u");
  EXPECT_EQ(info->app_id, "1");
  EXPECT_EQ(info->application_tier, "10PerMin");
  EXPECT_EQ(info->subscription_tier, "Gold");
  EXPECT_EQ(info->api_tier, "5PerMin");
  EXPECT_EQ(info->app_owner, "sub");  // no owner: the subscriber, as WSO2's key
  EXPECT_EQ(info->app_name, "n");
}

TEST(ThrottlingFilter, BlockedApplicationIs403WithoutRateLimitFields) {
  FilterSetup s;
  s.throttler->blocking().setConfigured({*parseBlockCondition("APPLICATION", "admin:Shop")});
  ThrottlingFilter filter(s.throttler, [&s] { return s.now; });
  filter::AuthContext auth;
  auth.app_name = "Shop";
  auth.app_owner = "admin";
  TestContext r(s.api, s.secured, "10.0.0.9");
  r.setAuthContext(auth);
  EXPECT_EQ(filter.onRequestHeaders(r), filter::FilterStatus::Stop);
  EXPECT_EQ(r.reply_->status, 403);
  EXPECT_EQ(r.reply_->details, "throttling.blocked");
  EXPECT_EQ(r.reply_->body,
            "{\"fault\":{\"code\":900805, \"message\":\"Message blocked\", "
            "\"description\":\"You have been blocked from accesing the resource\"}}");
  EXPECT_EQ(r.reply_->headers.size(), 0u);
}

TEST(ThrottlingFilter, SystemClockIsEpochMilliseconds) {
  EXPECT_GT(systemClockMs(), kT0);  // after 2023-11-14
}

}  // namespace
}  // namespace mgw::throttling
