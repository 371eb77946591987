#include "filters/throttling/global_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace mgw::throttling {
namespace {

constexpr int64_t kMinute = 60000;
constexpr int64_t kT0 = 1'700'000'040'000;  // a minute boundary
constexpr uint32_t kEnd0 = static_cast<uint32_t>((kT0 + kMinute) / 1000);

// The slot index the sync thread would see for `key` (the only live key in the table).
size_t slotOf(const GlobalTable& t, uint64_t key) {
  for (size_t i = 0; i < t.capacity(); ++i)
    if (t.read(i).key == key)
      return i;
  return SIZE_MAX;
}

TEST(GlobalKeyHash, DependsOnTierPolicyAndKey) {
  const uint64_t a = globalKeyHash(0, "Gold", "app:/x:v1");
  EXPECT_EQ(a, globalKeyHash(0, "Gold", "app:/x:v1"));
  EXPECT_NE(a, globalKeyHash(1, "Gold", "app:/x:v1"));
  EXPECT_NE(a, globalKeyHash(0, "Silver", "app:/x:v1"));
  EXPECT_NE(a, globalKeyHash(0, "Gold", "app:/x:v2"));
  EXPECT_NE(globalKeyHash(0, "ab", "c"), globalKeyHash(0, "a", "bc"));
  EXPECT_NE(globalKeyHash(0, "", ""), 0u);
}

TEST(GlobalTable, ExactLocallyWithoutOthers) {
  GlobalTable t(1024);
  for (int i = 0; i < 3; ++i) {
    auto a = t.acquire(42, 3, kT0 + i, kMinute);
    ASSERT_TRUE(a.found);
    EXPECT_TRUE(a.allowed);
    EXPECT_EQ(a.count, i + 1);
    EXPECT_EQ(a.window_end_ms, kT0 + kMinute);
  }
  auto refused = t.acquire(42, 3, kT0 + 10, kMinute);
  EXPECT_TRUE(refused.found);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.count, 3);
  // The next window starts empty.
  EXPECT_TRUE(t.acquire(42, 3, kT0 + kMinute, kMinute).allowed);
  EXPECT_FALSE(t.acquire(43, 0, kT0, kMinute).allowed);  // a zero quota
}

TEST(GlobalTable, OthersLowerTheLocalAllowanceForTheirWindowOnly) {
  GlobalTable t(1024);
  ASSERT_TRUE(t.acquire(7, 10, kT0, kMinute).allowed);
  const size_t i = slotOf(t, 7);
  ASSERT_NE(i, SIZE_MAX);
  GlobalTable::SlotView v = t.read(i);
  EXPECT_EQ(v.end_sec, kEnd0);
  EXPECT_EQ(v.local, 1u);
  t.setOthers(i, 7, kEnd0, 7);
  EXPECT_EQ(t.others(i, kEnd0), 7);
  auto a = t.acquire(7, 10, kT0 + 1, kMinute);
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.count, 9);  // 7 elsewhere + 2 here
  EXPECT_TRUE(t.acquire(7, 10, kT0 + 2, kMinute).allowed);
  EXPECT_FALSE(t.acquire(7, 10, kT0 + 3, kMinute).allowed);
  // Others reported for an old window are ignored in the new one.
  EXPECT_TRUE(t.acquire(7, 10, kT0 + kMinute + 1, kMinute).allowed);
  EXPECT_EQ(t.others(i, kEnd0 + 60), 0);
  // A stale report never moves the others word back to an older window.
  t.setOthers(i, 7, kEnd0 + 60, 2);
  t.setOthers(i, 7, kEnd0, 5);
  EXPECT_EQ(t.others(i, kEnd0 + 60), 2);
  // Nor is it written for a key that no longer owns the slot.
  t.setOthers(i, 8, kEnd0 + 60, 9);
  EXPECT_EQ(t.others(i, kEnd0 + 60), 2);
  // Negative totals (a release raced a push) are read as 0.
  t.setOthers(i, 7, kEnd0 + 60, -3);
  EXPECT_EQ(t.others(i, kEnd0 + 60), 0);
}

TEST(GlobalTable, ReleaseGivesBackOneCount) {
  GlobalTable t(1024);
  auto a = t.acquire(5, 1, kT0, kMinute);
  ASSERT_TRUE(a.allowed);
  EXPECT_FALSE(t.acquire(5, 1, kT0, kMinute).allowed);
  CounterTable::release(a.ticket);
  EXPECT_TRUE(t.acquire(5, 1, kT0, kMinute).allowed);
}

TEST(GlobalTable, FullNeighbourhoodIsReportedAndExpiredSlotsReclaimed) {
  GlobalTable t(64);  // kProbe = 16 slots per neighbourhood
  // Keys that all hash to slot 0 (low bits), distinct upper bits.
  auto key = [](uint64_t n) { return (n << 32) | 64; };
  for (uint64_t n = 1; n <= GlobalTable::kProbe; ++n)
    ASSERT_TRUE(t.acquire(key(n), 5, kT0, kMinute).found) << n;
  auto full = t.acquire(key(99), 5, kT0, kMinute);
  EXPECT_FALSE(full.found);
  EXPECT_EQ(t.full(), 1u);
  // A minute later, those windows are over: the slots are reused.
  EXPECT_TRUE(t.acquire(key(99), 5, kT0 + kMinute, kMinute).found);
}

TEST(GlobalTable, ExactAcrossThreads) {
  GlobalTable t(1024);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 2000; ++k)
        if (t.acquire(11, 1000, kT0 + 5, kMinute).allowed)
          allowed.fetch_add(1);
    });
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(allowed.load(), 1000);
  EXPECT_EQ(t.read(slotOf(t, 11)).local, 1000u);
}

TEST(GlobalTable, ReadSkipsEmptySlots) {
  GlobalTable t(64);
  for (size_t i = 0; i < t.capacity(); ++i)
    EXPECT_EQ(t.read(i).key, 0u);
  EXPECT_EQ(t.capacity(), 64u);
  GlobalTable small(1);
  EXPECT_EQ(small.capacity(), CounterTable::kMinSlots);
}

}  // namespace
}  // namespace mgw::throttling
