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
        [](const filter::RequestContext& ctx) -> const AuthInfo* {
          const auto& t = static_cast<const TestContext&>(ctx);
          return t.auth_info_ ? &*t.auth_info_ : nullptr;
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

TEST(ThrottlingFilter, DefaultAuthLookupGivesNoCaller) {
  FilterSetup s;
  TestContext probe(s.api, s.secured, "10.0.0.9");
  probe.auth_info_ = AuthInfo{};
  EXPECT_EQ(noAuthInfo(probe), nullptr);
  // The filter built without a lookup ignores the caller: the Gold (1 per minute) subscription
  // tier of the caller is never counted, the secured resource has no tier of its own.
  ThrottlingFilter plain(s.throttler, [&s] { return s.now; });
  for (int i = 0; i < 3; ++i) {
    TestContext r(s.api, s.secured, "10.0.0.9");
    r.auth_info_ = AuthInfo{"7", "alice", "Gold", "", ""};
    EXPECT_EQ(plain.onRequestHeaders(r), filter::FilterStatus::Continue);
    EXPECT_TRUE(r.added_.empty());
  }
}

TEST(ThrottlingFilter, SystemClockIsEpochMilliseconds) {
  EXPECT_GT(systemClockMs(), kT0);  // after 2023-11-14
}

}  // namespace
}  // namespace mgw::throttling
