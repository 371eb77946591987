#include "filters/throttling/policy_set.h"

#include <gtest/gtest.h>

namespace mgw::throttling {
namespace {

using artifact::ThrottlePolicy;
using artifact::TimeUnit;

ThrottlePolicy policy(std::string name, int64_t count, int64_t unit_time, TimeUnit unit,
                      bool stop = true) {
  ThrottlePolicy p;
  p.name = std::move(name);
  p.count = count;
  p.unit_time = unit_time;
  p.time_unit = unit;
  p.stop_on_quota = stop;
  return p;
}

TEST(PolicySet, ShipsWso2BuiltIns) {
  PolicySet set;
  struct Expect {
    PolicySection section;
    const char* name;
    int64_t count;
  } expected[] = {
      {PolicySection::Resource, "50kPerMin", 50000},
      {PolicySection::Resource, "20kPerMin", 20000},
      {PolicySection::Resource, "10kPerMin", 10000},
      {PolicySection::Application, "50PerMin", 50},
      {PolicySection::Application, "20PerMin", 20},
      {PolicySection::Application, "10PerMin", 10},
      {PolicySection::Subscription, "Gold", 5000},
      {PolicySection::Subscription, "Silver", 2000},
      {PolicySection::Subscription, "Bronze", 10},
      {PolicySection::Subscription, "Unauthenticated", 500},
      {PolicySection::Subscription, "Default", 500},
  };
  for (const Expect& e : expected) {
    const Policy* p = set.find(e.section, e.name);
    ASSERT_NE(p, nullptr) << e.name;
    EXPECT_EQ(p->count, e.count) << e.name;
    EXPECT_EQ(p->window_ms, 60000) << e.name;
    EXPECT_TRUE(p->stop_on_quota);
    EXPECT_TRUE(p->built_in);
  }
  EXPECT_EQ(set.size(), 11u);
}

TEST(PolicySet, SectionsAreSeparate) {
  PolicySet set;
  EXPECT_EQ(set.find(PolicySection::Resource, "Gold"), nullptr);
  EXPECT_EQ(set.find(PolicySection::Subscription, "10kPerMin"), nullptr);
  EXPECT_EQ(set.find(PolicySection::Application, "Default"), nullptr);
  EXPECT_EQ(set.find(PolicySection::Subscription, "gold"), nullptr);  // names are case-sensitive
}

TEST(PolicySet, LooksUpByWso2RuntimeKey) {
  PolicySet set;
  ASSERT_NE(set.findByKey("sub_Gold"), nullptr);
  EXPECT_EQ(set.findByKey("sub_Gold")->count, 5000);
  ASSERT_NE(set.findByKey("res_10kPerMin"), nullptr);
  ASSERT_NE(set.findByKey("app_10PerMin"), nullptr);
  EXPECT_EQ(set.findByKey("app_Gold"), nullptr);
  EXPECT_EQ(set.findByKey("Gold"), nullptr);
  EXPECT_EQ(set.findByKey(""), nullptr);
  EXPECT_EQ(sectionPrefix(PolicySection::Resource), "res_");
  EXPECT_EQ(sectionPrefix(PolicySection::Application), "app_");
  EXPECT_EQ(sectionPrefix(PolicySection::Subscription), "sub_");
}

TEST(PolicySet, UnlimitedIsNeverAPolicy) {
  artifact::Policies own;
  own.subscription.push_back(policy("Unlimited", 1, 1, TimeUnit::Minute));
  PolicySet set(own);
  EXPECT_TRUE(PolicySet::isUnlimited("Unlimited"));
  EXPECT_FALSE(PolicySet::isUnlimited("unlimited"));
  EXPECT_EQ(set.find(PolicySection::Subscription, "Unlimited"), nullptr);
  EXPECT_EQ(set.find(PolicySection::Resource, "Unlimited"), nullptr);
}

TEST(PolicySet, ProjectPoliciesRedefineBuiltInsAndAddTheirOwn) {
  artifact::Policies own;
  own.subscription.push_back(policy("Gold", 7, 2, TimeUnit::Hour, false));
  own.resource.push_back(policy("3PerSec", 3, 1, TimeUnit::Second));
  own.application.push_back(policy("Bulk", 100, 1, TimeUnit::Day, false));
  PolicySet set(own);
  const Policy* gold = set.find(PolicySection::Subscription, "Gold");
  ASSERT_NE(gold, nullptr);
  EXPECT_EQ(gold->count, 7);
  EXPECT_EQ(gold->window_ms, 2 * 3600 * 1000);
  EXPECT_FALSE(gold->stop_on_quota);
  EXPECT_FALSE(gold->built_in);
  EXPECT_EQ(set.size(), 13u);
  ASSERT_NE(set.find(PolicySection::Resource, "3PerSec"), nullptr);
  EXPECT_EQ(set.find(PolicySection::Resource, "3PerSec")->window_ms, 1000);
  // stopOnQuota is honoured for subscription policies only.
  EXPECT_TRUE(set.find(PolicySection::Application, "Bulk")->stop_on_quota);
  // Ids are dense and index all().
  for (size_t i = 0; i < set.all().size(); ++i)
    EXPECT_EQ(set.all()[i].id, i);
}

TEST(PolicySet, LastDuplicateWinsAndNegativeCountsReadAsZero) {
  artifact::Policies own;
  own.resource.push_back(policy("X", 5, 1, TimeUnit::Minute));
  own.resource.push_back(policy("X", -4, 1, TimeUnit::Minute));
  PolicySet set(own);
  ASSERT_NE(set.find(PolicySection::Resource, "X"), nullptr);
  EXPECT_EQ(set.find(PolicySection::Resource, "X")->count, 0);
  EXPECT_EQ(set.size(), 12u);
}

TEST(Windows, UnitLengths) {
  EXPECT_EQ(unitMillis(TimeUnit::Second), 1000);
  EXPECT_EQ(unitMillis(TimeUnit::Minute), 60000);
  EXPECT_EQ(unitMillis(TimeUnit::Hour), 3600000);
  EXPECT_EQ(unitMillis(TimeUnit::Day), 86400000);
  EXPECT_EQ(unitMillis(TimeUnit::Week), 7 * 86400000LL);
  EXPECT_EQ(unitMillis(TimeUnit::Month), 30 * 86400000LL);
  EXPECT_EQ(unitMillis(TimeUnit::Year), 365 * 86400000LL);
}

TEST(Windows, LengthIsUnitTimeTimesUnitAndClamped) {
  EXPECT_EQ(windowLengthMs(5, TimeUnit::Minute), 300000);
  EXPECT_EQ(windowLengthMs(0, TimeUnit::Minute), 60000);
  EXPECT_EQ(windowLengthMs(-3, TimeUnit::Second), 1000);
  EXPECT_EQ(windowLengthMs(INT64_MAX, TimeUnit::Year), kMaxWindowMs);
  EXPECT_EQ(windowLengthMs(int64_t{1} << 40, TimeUnit::Second), kMaxWindowMs);
}

TEST(Windows, AlignedToEpochMultiplesForEveryUnit) {
  const int64_t now = 1'700'000'123'456;  // 2023-11-14T22:15:23.456Z
  for (TimeUnit unit : {TimeUnit::Second, TimeUnit::Minute, TimeUnit::Hour, TimeUnit::Day,
                        TimeUnit::Week, TimeUnit::Month, TimeUnit::Year}) {
    for (int64_t unit_time : {1, 3}) {
      const int64_t len = windowLengthMs(unit_time, unit);
      const Window w = windowAt(now, len);
      EXPECT_EQ(w.start_ms % len, 0);
      EXPECT_LE(w.start_ms, now);
      EXPECT_GT(w.end_ms, now);
      EXPECT_EQ(w.end_ms - w.start_ms, len);
    }
  }
  // Concrete boundaries.
  EXPECT_EQ(windowAt(now, 1000).start_ms, 1'700'000'123'000);
  EXPECT_EQ(windowAt(now, 60000).start_ms, 1'700'000'100'000);
  EXPECT_EQ(windowAt(now, 3600000).start_ms, 1'699'999'200'000);
  EXPECT_EQ(windowAt(now, 86400000).start_ms, 1'699'920'000'000);  // 2023-11-14T00:00Z
  // A boundary belongs to the window it starts.
  EXPECT_EQ(windowAt(1'700'000'100'000, 60000).start_ms, 1'700'000'100'000);
  EXPECT_EQ(windowAt(1'700'000'099'999, 60000).start_ms, 1'700'000'040'000);
}

TEST(Windows, HostileClockAndLength) {
  EXPECT_EQ(windowAt(-5, 1000).start_ms, 0);
  EXPECT_EQ(windowAt(-5, 1000).end_ms, 1000);
  EXPECT_EQ(windowAt(10, 0).end_ms - windowAt(10, 0).start_ms, 1);
}

}  // namespace
}  // namespace mgw::throttling
