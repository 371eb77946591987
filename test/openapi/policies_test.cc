// policies.yaml: shipped defaults, merging, and every error case.
#include "openapi/policies.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace mgw::openapi::testing {
namespace {

using artifact::TimeUnit;

CompileOutput withPolicies(const std::string& text) {
  return compileFiles({{"api_definitions/api.yaml", oas3("")}, {"policies.yaml", text}});
}

TEST(Policies, ShippedDefaultsWithoutFile) {
  CompileOutput out = compileOne(oas3(""));
  EXPECT_CLEAN(out);
  const auto& p = out.artifact.policies;
  ASSERT_EQ(p.resource.size(), 3u);
  EXPECT_EQ(p.resource[0].name, "50kPerMin");
  EXPECT_EQ(p.resource[0].count, 50000);
  EXPECT_EQ(p.application.size(), 3u);
  ASSERT_EQ(p.subscription.size(), 5u);
  EXPECT_EQ(p.subscription[4].name, "Default");
  EXPECT_EQ(p.subscription[4].time_unit, TimeUnit::Minute);
  EXPECT_TRUE(p.subscription[4].stop_on_quota);
}

TEST(Policies, ShippedYamlMatchesShippedModel) {
  CompileOutput out = withPolicies(std::string(shippedPoliciesYaml()));
  EXPECT_CLEAN(out);
  CompileOutput none = compileOne(oas3(""));
  const auto& a = out.artifact.policies;
  const auto& b = none.artifact.policies;
  ASSERT_EQ(a.subscription.size(), b.subscription.size());
  for (std::size_t i = 0; i < a.subscription.size(); ++i) {
    EXPECT_EQ(a.subscription[i].name, b.subscription[i].name);
    EXPECT_EQ(a.subscription[i].count, b.subscription[i].count);
  }
}

TEST(Policies, CustomAndRedefinedPolicies) {
  CompileOutput out = withPolicies(R"(resourcePolicies:
  - 10kPerMin: {count: 5, unitTime: 2, timeUnit: HOUR}
  - 3PerSec: {count: 3, unitTime: 1, timeUnit: sec}
applicationPolicies:
  - Week: {count: 7, timeUnit: week}
subscriptionPolicies:
  - allowOnLimitExceed: {count: 10, unitTime: 1, timeUnit: Month, stopOnQuota: false}
  - Yearly: {count: 1, unitTime: 1, timeUnit: year}
  - Daily: {count: 1, unitTime: 1, timeUnit: day}
)");
  EXPECT_CLEAN(out);
  const auto& p = out.artifact.policies;
  ASSERT_EQ(p.resource.size(), 4u);
  EXPECT_EQ(p.resource[2].name, "10kPerMin");  // replaced in place
  EXPECT_EQ(p.resource[2].count, 5);
  EXPECT_EQ(p.resource[2].unit_time, 2);
  EXPECT_EQ(p.resource[2].time_unit, TimeUnit::Hour);
  EXPECT_EQ(p.resource[3].name, "3PerSec");
  EXPECT_EQ(p.resource[3].time_unit, TimeUnit::Second);
  EXPECT_EQ(p.application.back().unit_time, 1);  // default
  EXPECT_EQ(p.application.back().time_unit, TimeUnit::Week);
  EXPECT_EQ(p.subscription[5].name, "allowOnLimitExceed");
  EXPECT_FALSE(p.subscription[5].stop_on_quota);
  EXPECT_EQ(p.subscription[5].time_unit, TimeUnit::Month);
  EXPECT_EQ(p.subscription[6].time_unit, TimeUnit::Year);
  EXPECT_EQ(p.subscription[7].time_unit, TimeUnit::Day);
}

TEST(Policies, Errors) {
  CompileOutput out = withPolicies(R"(resourcePolicies:
  - A: {count: 1, unitTime: 1, timeUnit: min}
  - A: {count: 2, unitTime: 1, timeUnit: min}
  - B: {count: -1, unitTime: 0, timeUnit: min, stopOnQuota: maybe}
  - C: {count: 1, timeUnit: minutes, extra: 1}
  - D: {unitTime: 1}
  - E: 5
  - F: {count: 1, timeUnit: ms}
  - {G: {count: 1, timeUnit: min}, H: {count: 1, timeUnit: min}}
applicationPolicies: {x: 1}
unknownPolicies: []
)");
  const std::string d = dump(out);
  EXPECT_TRUE(hasLine(out, "policies.yaml:3:5: /resourcePolicies/1: duplicate policy 'A'")) << d;
  EXPECT_TRUE(hasLine(out,
                      "policies.yaml:4:16: /resourcePolicies/2/B/count: must be between 0 and "
                      "9223372036854775807, got -1"))
      << d;
  EXPECT_TRUE(hasLine(out,
                      "policies.yaml:4:30: /resourcePolicies/2/B/unitTime: must be between 1 "
                      "and 2147483647, got 0"))
      << d;
  EXPECT_TRUE(hasLine(out,
                      "policies.yaml:4:61: /resourcePolicies/2/B/stopOnQuota: expected a "
                      "boolean (true or false), got 'maybe'"))
      << d;
  EXPECT_TRUE(hasLine(out,
                      "policies.yaml:5:45: /resourcePolicies/3/C/extra: unknown policy key "
                      "'extra': expected count, unitTime, timeUnit or stopOnQuota"))
      << d;
  EXPECT_TRUE(hasLine(out, "policies.yaml:6:8: /resourcePolicies/4/D: policy 'D' has no count"))
      << d;
  EXPECT_TRUE(hasLine(out, "policies.yaml:6:8: /resourcePolicies/4/D: policy 'D' has no timeUnit"))
      << d;
  EXPECT_TRUE(hasLine(out,
                      "policies.yaml:7:8: /resourcePolicies/5/E: policy 'E' must be a map "
                      "{count, unitTime, timeUnit, stopOnQuota}"))
      << d;
  EXPECT_TRUE(mentions(out, "/resourcePolicies/6/F/timeUnit: unknown timeUnit 'ms'")) << d;
  EXPECT_TRUE(mentions(
      out, "/resourcePolicies/7: expected one `<name>: {count, unitTime, timeUnit}` entry"))
      << d;
  EXPECT_TRUE(mentions(out, "/applicationPolicies: expected a list of")) << d;
  EXPECT_TRUE(mentions(out, "/unknownPolicies: unknown section 'unknownPolicies'")) << d;
  EXPECT_EQ(out.errorCount(), 12u) << d;
}

TEST(Policies, NotAMapAndParseErrors) {
  CompileOutput list = withPolicies("- a\n");
  EXPECT_TRUE(mentions(list, "policies.yaml:1:1: policies.yaml must be a map")) << dump(list);
  CompileOutput broken = withPolicies("resourcePolicies: [\n");
  EXPECT_TRUE(mentions(broken, "policies.yaml:")) << dump(broken);
  EXPECT_EQ(broken.errorCount(), 1u);
  CompileOutput empty = withPolicies("");
  EXPECT_CLEAN(empty);
}

TEST(Policies, BuiltinTierNames) {
  for (const char* n :
       {"Unlimited", "Default", "Unauthenticated", "50kPerMin", "20kPerMin", "10kPerMin", "Gold",
        "Silver", "Bronze", "50PerMin", "20PerMin", "10PerMin"}) {
    EXPECT_TRUE(isBuiltinTier(n)) << n;
  }
  EXPECT_FALSE(isBuiltinTier("gold"));
  EXPECT_FALSE(isBuiltinTier(""));
}

}  // namespace
}  // namespace mgw::openapi::testing
