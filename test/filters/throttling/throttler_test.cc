#include "filters/throttling/throttler.h"

#include <gtest/gtest.h>

#include <string>

namespace mgw::throttling {
namespace {

using artifact::ThrottlePolicy;
using artifact::TimeUnit;

constexpr int64_t kMinute = 60000;
constexpr int64_t kT0 = 1'700'000'040'000;  // a minute boundary (epoch UTC)

ThrottlePolicy policy(std::string name, int64_t count, bool stop = true) {
  ThrottlePolicy p;
  p.name = std::move(name);
  p.count = count;
  p.unit_time = 1;
  p.time_unit = TimeUnit::Minute;
  p.stop_on_quota = stop;
  return p;
}

struct Fixture {
  artifact::Api api;
  artifact::Resource secured;
  artifact::Resource open;

  Fixture() {
    api.name = "Petstore";
    api.version = "1.0.0";
    api.base_path = "/petstore/v1";
    secured.path_template = "/pet/{petId}";
    secured.method = "GET";
    open.path_template = "/store/inventory";
    open.method = "POST";
    open.disable_security = true;
  }
  RequestInfo request(const artifact::Resource& r, int64_t now = kT0 + 1,
                      std::string_view ip = "10.0.0.1") const {
    RequestInfo req;
    req.api = &api;
    req.resource = &r;
    req.now_ms = now;
    req.client_ip = ip;
    return req;
  }
  // AuthInfo holds views: the arguments are string literals that outlive the request.
  RequestInfo authed(std::string_view app, std::string_view user, std::string_view sub,
                     std::string_view app_tier, int64_t now = kT0 + 1) const {
    RequestInfo req = request(secured, now);
    AuthInfo auth;
    auth.app_id = app;
    auth.username = user;
    auth.subscription_tier = sub;
    auth.application_tier = app_tier;
    req.auth = std::move(auth);
    return req;
  }
};

Throttler makeThrottler(const artifact::Policies& own, bool headers = true) {
  ThrottleConfig cfg;
  cfg.table_slots = 4096;
  cfg.rate_limit_headers = headers;
  return Throttler(PolicySet(own), cfg);
}

void expectThrottled(const ThrottleDecision& d, int code) {
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.http_status, 429);
  EXPECT_EQ(d.code, code);
  EXPECT_EQ(d.message, "Message throttled out");
  EXPECT_EQ(d.description, "You have exceeded your quota");
  EXPECT_GT(d.retry_after_s, 0);
}

void expectMissing(const ThrottleDecision& d, const std::string& which) {
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.http_status, 500);
  EXPECT_EQ(d.code, 900809);
  EXPECT_EQ(d.message, "Internal server error occured");
  EXPECT_EQ(d.reason, "throttling.policy_missing");
  EXPECT_EQ(d.missing_policy, which);
  EXPECT_FALSE(d.tightest.has_value());
}

TEST(ThrottleKeys, AsWso2BuildsThem) {
  Fixture f;
  EXPECT_EQ(apiKey(f.api), "/petstore/v1:1.0.0");
  EXPECT_EQ(resourceKey(f.api, f.secured), "/petstore/v1/1.0.0/pet/{petId}:GET");
  EXPECT_EQ(subscriptionKey("42", f.api), "42:/petstore/v1:1.0.0");
  EXPECT_EQ(applicationKey("42", "alice"), "42:alice");
  EXPECT_EQ(unauthenticatedKey("10.0.0.1", f.api), "10.0.0.1:/petstore/v1:1.0.0");
  EXPECT_EQ(unauthenticatedKey("::1", f.api), "::1:/petstore/v1:1.0.0");
}

TEST(ClientIp, ForwardedForOnlyFromTrustedPeers) {
  const std::string xff = " 203.0.113.7 , 10.1.1.1";
  EXPECT_EQ(clientIp("10.0.0.1", false, &xff), "10.0.0.1");
  EXPECT_EQ(clientIp("10.0.0.1", true, &xff), "203.0.113.7");
  EXPECT_EQ(clientIp("10.0.0.1", true, nullptr), "10.0.0.1");
  const std::string empty_first = " ,203.0.113.7";
  EXPECT_EQ(clientIp("10.0.0.1", true, &empty_first), "10.0.0.1");
  const std::string empty;
  EXPECT_EQ(clientIp("10.0.0.1", true, &empty), "10.0.0.1");
  const std::string single = "2001:db8::1";
  EXPECT_EQ(clientIp("::1", true, &single), "2001:db8::1");
}

TEST(Throttler, NoTiersMeansNoLimitAndNoHeaders) {
  Fixture f;
  Throttler t = makeThrottler({});
  for (int i = 0; i < 100; ++i) {
    ThrottleDecision d = t.decide(f.request(f.secured));
    ASSERT_TRUE(d.allowed);
    EXPECT_FALSE(d.tightest.has_value());
  }
  EXPECT_TRUE(responseHeaders(t.decide(f.request(f.secured)), true).empty());
  RequestInfo none;
  EXPECT_TRUE(t.decide(none).allowed);  // no route: nothing to throttle
}

TEST(Throttler, ApiTierExactLimitThen900800ThenNewWindow) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("3PerMin", 3));
  f.api.throttling_tier = "3PerMin";
  Throttler t = makeThrottler(own);
  for (int i = 0; i < 3; ++i) {
    ThrottleDecision d = t.decide(f.request(f.secured, kT0 + 10 * i));
    ASSERT_TRUE(d.allowed) << i;
    ASSERT_TRUE(d.tightest.has_value());
    EXPECT_EQ(d.tightest->tier, Tier::Api);
    EXPECT_EQ(d.tightest->remaining, 2 - i);
  }
  ThrottleDecision d = t.decide(f.request(f.secured, kT0 + kMinute - 1));
  expectThrottled(d, 900800);
  EXPECT_EQ(d.reason, "throttling.api");
  EXPECT_EQ(d.retry_after_s, 1);
  // Another resource of the same API shares the API counter.
  expectThrottled(t.decide(f.request(f.open, kT0 + 5)), 900800);
  EXPECT_TRUE(t.decide(f.request(f.secured, kT0 + kMinute)).allowed);
}

TEST(Throttler, ResourceTier900802AndIgnoredUnderAnApiTier) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("1PerMin", 1));
  own.resource.push_back(policy("5PerMin", 5));
  f.secured.throttling_tier = "1PerMin";
  {
    Throttler t = makeThrottler(own);
    EXPECT_TRUE(t.decide(f.request(f.secured)).allowed);
    ThrottleDecision d = t.decide(f.request(f.secured));
    expectThrottled(d, 900802);
    EXPECT_EQ(d.reason, "throttling.resource");
    EXPECT_EQ(d.tightest->tier, Tier::Resource);
    // Another resource of the API is not limited by this resource's tier.
    EXPECT_TRUE(t.decide(f.request(f.open)).allowed);
  }
  {
    // With an API tier, WSO2's resource check reuses the API key and tier: one counter.
    f.api.throttling_tier = "5PerMin";
    Throttler t = makeThrottler(own);
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(t.decide(f.request(f.secured)).allowed) << i;
    expectThrottled(t.decide(f.request(f.secured)), 900800);
  }
  {
    // An `Unlimited` API tier leaves the resource tier in force.
    f.api.throttling_tier = "Unlimited";
    Throttler t = makeThrottler(own);
    EXPECT_TRUE(t.decide(f.request(f.secured)).allowed);
    expectThrottled(t.decide(f.request(f.secured)), 900802);
  }
}

TEST(Throttler, MissingApiOrResourcePolicyIs900809) {
  Fixture f;
  f.api.throttling_tier = "Platinum";
  Throttler t = makeThrottler({});
  expectMissing(t.decide(f.request(f.secured)), "res_Platinum");
  f.api.throttling_tier.clear();
  f.secured.throttling_tier = "Gold";  // a subscription policy is not a resource policy
  expectMissing(t.decide(f.request(f.secured)), "res_Gold");
}

TEST(Throttler, ApiTierFromKeyValidationWhenTheApiHasNone) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("1PerMin", 1));
  Throttler t = makeThrottler(own);
  RequestInfo req = f.authed("app", "alice", "Unlimited", "Unlimited");
  req.auth->api_tier = "1PerMin";
  EXPECT_TRUE(t.decide(req).allowed);
  expectThrottled(t.decide(req), 900800);
  req.auth->api_tier = "Nope";
  expectMissing(t.decide(req), "res_Nope");
}

TEST(Throttler, UnsecuredResourceUsesUnauthenticatedPerClientIp) {
  Fixture f;
  artifact::Policies own;
  own.subscription.push_back(policy("Unauthenticated", 2));
  Throttler t = makeThrottler(own);
  EXPECT_TRUE(t.decide(f.request(f.open, kT0, "10.0.0.1")).allowed);
  ThrottleDecision d2 = t.decide(f.request(f.open, kT0, "10.0.0.1"));
  ASSERT_TRUE(d2.allowed);
  EXPECT_EQ(d2.tightest->tier, Tier::Unauthenticated);
  EXPECT_EQ(d2.tightest->policy, "Unauthenticated");
  ThrottleDecision d3 = t.decide(f.request(f.open, kT0, "10.0.0.1"));
  expectThrottled(d3, 900804);
  EXPECT_EQ(d3.reason, "throttling.subscription");
  EXPECT_TRUE(t.decide(f.request(f.open, kT0, "10.0.0.2")).allowed);
  // The shipped Unauthenticated policy (500/min) applies when policies.yaml has none.
  Throttler shipped = makeThrottler({});
  ThrottleDecision d = shipped.decide(f.request(f.open));
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.tightest->limit, 500);
  EXPECT_EQ(d.tightest->remaining, 499);
  // Secured resources without caller information are not keyed by IP.
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(t.decide(f.request(f.secured, kT0, "10.0.0.1")).allowed);
}

TEST(Throttler, UnauthenticatedStopOnQuotaFalsePassesMarked) {
  Fixture f;
  artifact::Policies own;
  own.subscription.push_back(policy("Unauthenticated", 1, false));
  Throttler t = makeThrottler(own);
  EXPECT_TRUE(t.decide(f.request(f.open)).allowed);
  ThrottleDecision d = t.decide(f.request(f.open));
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.over_quota_allowed);
  EXPECT_EQ(d.tightest->remaining, 0);
  EXPECT_EQ(d.retry_after_s, 0);
}

TEST(Throttler, SubscriptionTier900804AndStopOnQuotaFalse) {
  Fixture f;
  artifact::Policies own;
  own.subscription.push_back(policy("Gold", 2));
  own.subscription.push_back(policy("Silver", 1, false));
  Throttler t = makeThrottler(own);
  EXPECT_TRUE(t.decide(f.authed("app1", "alice", "Gold", "")).allowed);
  EXPECT_TRUE(t.decide(f.authed("app1", "bob", "Gold", "")).allowed);  // per app, not per user
  ThrottleDecision d = t.decide(f.authed("app1", "carol", "Gold", ""));
  expectThrottled(d, 900804);
  EXPECT_EQ(d.tightest->tier, Tier::Subscription);
  EXPECT_TRUE(t.decide(f.authed("app2", "alice", "Gold", "")).allowed);

  EXPECT_TRUE(t.decide(f.authed("app3", "alice", "Silver", "")).allowed);
  ThrottleDecision over = t.decide(f.authed("app3", "alice", "Silver", ""));
  EXPECT_TRUE(over.allowed);
  EXPECT_TRUE(over.over_quota_allowed);
  EXPECT_FALSE(t.decide(f.authed("app4", "alice", "Silver", "")).over_quota_allowed);
}

TEST(Throttler, SubscriptionDefaultsToDefaultAndUnknownApp) {
  Fixture f;
  artifact::Policies own;
  own.subscription.push_back(policy("Default", 1));
  Throttler t = makeThrottler(own);
  ThrottleDecision d = t.decide(f.authed("", "alice", "", ""));
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.tightest->policy, "Default");
  // Tokens without an application claim share the `__unknown__` counters, as in WSO2.
  expectThrottled(t.decide(f.authed("", "bob", "", "")), 900804);
  expectThrottled(t.decide(f.authed("__unknown__", "bob", "", "")), 900804);
}

TEST(Throttler, ApplicationTier900803) {
  Fixture f;
  artifact::Policies own;
  own.application.push_back(policy("2PerMin", 2));
  Throttler t = makeThrottler(own);
  EXPECT_TRUE(t.decide(f.authed("app", "alice", "Unlimited", "2PerMin")).allowed);
  EXPECT_TRUE(t.decide(f.authed("app", "alice", "Unlimited", "2PerMin")).allowed);
  ThrottleDecision d = t.decide(f.authed("app", "alice", "Unlimited", "2PerMin"));
  expectThrottled(d, 900803);
  EXPECT_EQ(d.reason, "throttling.application");
  EXPECT_TRUE(t.decide(f.authed("app", "bob", "Unlimited", "2PerMin")).allowed);  // per user
  // Default application tier is Unlimited.
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(t.decide(f.authed("app", "alice", "Unlimited", "")).allowed);
}

TEST(Throttler, MissingSubscriptionOrApplicationPolicyIs900809) {
  Fixture f;
  Throttler t = makeThrottler({});
  expectMissing(t.decide(f.authed("app", "alice", "Platinum", "")), "sub_Platinum");
  expectMissing(t.decide(f.authed("app", "alice", "Gold", "Huge")), "app_Huge");
  expectMissing(t.decide(f.authed("app", "alice", "10kPerMin", "")), "sub_10kPerMin");
}

TEST(Throttler, RefusedRequestsAreNotCountedInEarlierTiers) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("2PerMin", 2));
  own.application.push_back(policy("1PerMin", 1));
  own.subscription.push_back(policy("Gold", 100));
  f.api.throttling_tier = "2PerMin";
  Throttler t = makeThrottler(own);
  EXPECT_TRUE(t.decide(f.authed("app", "alice", "Gold", "1PerMin")).allowed);
  // Refused by the application tier: the API and subscription counts it took are given back.
  expectThrottled(t.decide(f.authed("app", "alice", "Gold", "1PerMin")), 900803);
  expectThrottled(t.decide(f.authed("app", "alice", "Gold", "1PerMin")), 900803);
  EXPECT_TRUE(t.decide(f.authed("app", "bob", "Gold", "1PerMin")).allowed);
  expectThrottled(t.decide(f.authed("app", "carol", "Gold", "1PerMin")), 900800);
  // A missing policy also gives the earlier counts back.
  Throttler t2 = makeThrottler(own);
  expectMissing(t2.decide(f.authed("app", "alice", "Gold", "Huge")), "app_Huge");
  EXPECT_TRUE(t2.decide(f.authed("app", "bob", "Gold", "")).allowed);
  EXPECT_TRUE(t2.decide(f.authed("app", "carol", "Gold", "")).allowed);
  expectThrottled(t2.decide(f.authed("app", "dave", "Gold", "")), 900800);
}

TEST(Throttler, TightestTierIsTheOneWithLeastRemaining) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("10PerMin", 10));
  own.subscription.push_back(policy("Gold", 2));
  f.api.throttling_tier = "10PerMin";
  Throttler t = makeThrottler(own);
  ThrottleDecision d = t.decide(f.authed("app", "alice", "Gold", ""));
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.tightest->tier, Tier::Subscription);
  EXPECT_EQ(d.tightest->remaining, 1);
  ThrottleDecision other = t.decide(f.authed("app2", "alice", "Unlimited", ""));
  EXPECT_EQ(other.tightest->tier, Tier::Api);
  EXPECT_EQ(other.tightest->remaining, 8);
}

TEST(ThrottleResponse, HeaderValues) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("2PerMin", 2));
  f.api.throttling_tier = "2PerMin";
  Throttler t = makeThrottler(own);
  const int64_t now = kT0 + 45'500;  // 14.5 s before the window ends
  ThrottleDecision first = t.decide(f.request(f.secured, now));
  auto h1 = responseHeaders(first, true);
  ASSERT_EQ(h1.size(), 2u);
  EXPECT_EQ(h1[0].name, "RateLimit-Policy");
  EXPECT_EQ(h1[0].value, "\"2PerMin\";q=2;w=60");
  EXPECT_EQ(h1[1].name, "RateLimit");
  EXPECT_EQ(h1[1].value, "\"2PerMin\";r=1;t=15");
  t.decide(f.request(f.secured, now));
  ThrottleDecision refused = t.decide(f.request(f.secured, now));
  auto h3 = responseHeaders(refused, true);
  ASSERT_EQ(h3.size(), 3u);
  EXPECT_EQ(h3[0].name, "Retry-After");
  EXPECT_EQ(h3[0].value, "15");
  EXPECT_EQ(h3[2].value, "\"2PerMin\";r=0;t=15");
  // RateLimit fields can be turned off; Retry-After stays on 429.
  auto off = responseHeaders(refused, false);
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(off[0].name, "Retry-After");
  EXPECT_TRUE(responseHeaders(first, false).empty());
}

TEST(ThrottleResponse, PolicyNamesAreSafeStructuredFieldStrings) {
  ThrottleDecision d;
  TierUsage u;
  u.policy = "we\"ird\\name\x01\xff";
  u.limit = 1;
  u.window_s = 1;
  u.reset_s = 1;
  d.tightest = u;
  auto h = responseHeaders(d, true);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].value, "\"we\\\"ird\\\\name??\";q=1;w=1");
}

TEST(ThrottleResponse, FaultBodiesAreWso2Bytes) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("0PerMin", 0));
  f.secured.throttling_tier = "0PerMin";
  Throttler t = makeThrottler(own);
  EXPECT_EQ(faultBody(t.decide(f.request(f.secured))),
            "{\"fault\":{\"code\":900802, \"message\":\"Message throttled out\", "
            "\"description\":\"You have exceeded your quota\"}}");
  f.secured.throttling_tier = "Missing";
  EXPECT_EQ(faultBody(t.decide(f.request(f.secured))),
            "{\"fault\":{\"code\":900809, \"message\":\"Internal server error occured\", "
            "\"description\":\"POLICY ENFORCEMENT ERROR\"}}");
}

TEST(Throttler, BlockingConditionsAre403BeforeAnyTierAndCountNothing) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("1PerMin", 1));
  f.api.throttling_tier = "1PerMin";
  Throttler t = makeThrottler(own);
  t.blocking().setConfigured({*parseBlockCondition("USER", "mallory"),
                              *parseBlockCondition("APPLICATION", "admin:BadApp"),
                              *parseBlockCondition("IPRANGE", "192.0.2.0/24")});
  RequestInfo bad = f.authed("app", "mallory", "Unlimited", "");
  for (int i = 0; i < 3; ++i) {
    ThrottleDecision d = t.decide(bad);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.http_status, 403);
    EXPECT_EQ(d.code, 900805);
    EXPECT_EQ(d.reason, "throttling.blocked");
    ASSERT_NE(d.blocked_by, nullptr);
    EXPECT_EQ(*d.blocked_by, BlockType::User);
    EXPECT_EQ(faultBody(d),
              "{\"fault\":{\"code\":900805, \"message\":\"Message blocked\", "
              "\"description\":\"You have been blocked from accesing the resource\"}}");
    EXPECT_TRUE(responseHeaders(d, true).empty());
  }
  RequestInfo app = f.authed("app", "bob", "Unlimited", "");
  app.auth->app_owner = "admin";
  app.auth->app_name = "BadApp";
  EXPECT_EQ(*t.decide(app).blocked_by, BlockType::Application);
  EXPECT_EQ(*t.decide(f.request(f.open, kT0 + 1, "192.0.2.9")).blocked_by, BlockType::IpRange);
  // Nothing was counted: the API's single request per minute is still there.
  EXPECT_TRUE(t.decide(f.authed("app", "bob", "Unlimited", "")).allowed);
  expectThrottled(t.decide(f.authed("app", "bob", "Unlimited", "")), 900800);
  // The API itself.
  t.blocking().setRemote({*parseBlockCondition("API", "/petstore/v1")});
  EXPECT_EQ(*t.decide(f.request(f.open)).blocked_by, BlockType::Api);
}

TEST(Throttler, GlobalModeSubtractsOtherGateways) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("5PerMin", 5));
  f.api.throttling_tier = "5PerMin";
  Throttler t = makeThrottler(own);
  GlobalConfig g;
  g.table_slots = 1024;
  t.enableGlobal(g);
  t.setGlobalUp(true);
  ASSERT_TRUE(t.globalEnabled());
  ThrottleDecision first = t.decide(f.request(f.secured));
  ASSERT_TRUE(first.allowed);
  EXPECT_EQ(first.tightest->remaining, 4);
  // The sync thread learnt that other gateways took 3 of this window.
  GlobalTable& gt = *t.globalTable();
  size_t slot = SIZE_MAX;
  for (size_t i = 0; i < gt.capacity(); ++i)
    if (gt.read(i).key != 0)
      slot = i;
  ASSERT_NE(slot, SIZE_MAX);
  gt.setOthers(slot, gt.read(slot).key, gt.read(slot).end_sec, 3);
  ThrottleDecision second = t.decide(f.request(f.secured, kT0 + 2));
  ASSERT_TRUE(second.allowed);
  EXPECT_EQ(second.tightest->remaining, 0);
  expectThrottled(t.decide(f.request(f.secured, kT0 + 3)), 900800);
  // The next window starts with the whole quota.
  EXPECT_TRUE(t.decide(f.request(f.secured, kT0 + kMinute + 1)).allowed);
}

TEST(Throttler, GlobalModeRedisDownFailClosedIs503FailOpenCountsLocally) {
  Fixture f;
  artifact::Policies own;
  own.resource.push_back(policy("2PerMin", 2));
  f.api.throttling_tier = "2PerMin";
  for (bool fail_open : {false, true}) {
    Throttler t = makeThrottler(own);
    GlobalConfig g;
    g.fail_open = fail_open;
    t.enableGlobal(g);
    t.setGlobalUp(false);
    ThrottleDecision d = t.decide(f.request(f.secured));
    if (!fail_open) {
      EXPECT_FALSE(d.allowed);
      EXPECT_EQ(d.http_status, 503);
      EXPECT_EQ(d.code, 900808);
      EXPECT_EQ(d.reason, "throttling.global_unavailable");
      EXPECT_EQ(t.unavailableRefusals(), 1u);
      auto h = responseHeaders(d, true);
      ASSERT_EQ(h.size(), 1u);
      EXPECT_EQ(h[0].name, "Retry-After");
      // A request no tier counts (secured, no caller, no API tier) is not refused.
      Fixture plain;
      EXPECT_TRUE(t.decide(plain.request(plain.secured)).allowed);
      t.setGlobalUp(true);
      EXPECT_TRUE(t.decide(f.request(f.secured)).allowed);
    } else {
      EXPECT_TRUE(d.allowed);
      EXPECT_TRUE(t.decide(f.request(f.secured)).allowed);
      expectThrottled(t.decide(f.request(f.secured)), 900800);
      EXPECT_EQ(t.unavailableRefusals(), 0u);
    }
  }
}

}  // namespace
}  // namespace mgw::throttling
