#include "filters/throttling/counter_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mgw::throttling {
namespace {

constexpr int64_t kMinute = 60000;
constexpr int64_t kT0 = 1'700'000'040'000;  // a minute boundary (epoch UTC)

uint64_t key(const std::string& k, uint32_t policy = 0) {
  return counterHash(0, policy, k);
}

TEST(CounterTable, ExactLimitAtTheWindowEdge) {
  CounterTable t(1024, 1);
  for (int i = 1; i <= 5; ++i) {
    auto a = t.acquire(key("k"), 0, 5, kT0 + i, kMinute);
    ASSERT_TRUE(a.allowed) << i;
    EXPECT_EQ(a.count, i);
    EXPECT_EQ(a.window_end_ms, kT0 + kMinute);
    EXPECT_FALSE(a.overflow);
  }
  // The 6th is refused, up to the last millisecond of the window.
  auto r = t.acquire(key("k"), 0, 5, kT0 + 10, kMinute);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.count, 5);
  EXPECT_FALSE(t.acquire(key("k"), 0, 5, kT0 + kMinute - 1, kMinute).allowed);
  // The boundary opens a new window with a fresh quota.
  for (int i = 1; i <= 5; ++i) {
    auto a = t.acquire(key("k"), 0, 5, kT0 + kMinute, kMinute);
    ASSERT_TRUE(a.allowed) << i;
    EXPECT_EQ(a.count, i);
    EXPECT_EQ(a.window_end_ms, kT0 + 2 * kMinute);
  }
  EXPECT_FALSE(t.acquire(key("k"), 0, 5, kT0 + kMinute + 1, kMinute).allowed);
}

TEST(CounterTable, LimitOneAdmitsExactlyOne) {
  // WSO2's node-local counter let a key's first two requests through with limit 1; we do not.
  CounterTable t(64, 1);
  EXPECT_TRUE(t.acquire(key("k"), 0, 1, kT0, kMinute).allowed);
  EXPECT_FALSE(t.acquire(key("k"), 0, 1, kT0, kMinute).allowed);
}

TEST(CounterTable, ZeroLimitRefusesEverything) {
  CounterTable t(64, 1);
  auto a = t.acquire(key("k"), 0, 0, kT0, kMinute);
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.window_end_ms, kT0 + kMinute);
  EXPECT_FALSE(t.acquire(key("k"), 0, -1, kT0, kMinute).allowed);
}

TEST(CounterTable, KeysAndPoliciesCountSeparately) {
  CounterTable t(1024, 2);
  EXPECT_TRUE(t.acquire(key("a"), 0, 1, kT0, kMinute).allowed);
  EXPECT_TRUE(t.acquire(key("b"), 0, 1, kT0, kMinute).allowed);
  EXPECT_TRUE(t.acquire(key("a", 1), 1, 1, kT0, kMinute).allowed);
  EXPECT_FALSE(t.acquire(key("a"), 0, 1, kT0, kMinute).allowed);
  EXPECT_NE(counterHash(0, 0, "a"), counterHash(1, 0, "a"));
  EXPECT_NE(counterHash(0, 0, "a"), counterHash(0, 1, "a"));
}

TEST(CounterTable, ReleaseGivesOneBackInTheSameWindowOnly) {
  CounterTable t(64, 1);
  auto a = t.acquire(key("k"), 0, 2, kT0, kMinute);
  auto b = t.acquire(key("k"), 0, 2, kT0, kMinute);
  ASSERT_TRUE(a.allowed && b.allowed);
  EXPECT_FALSE(t.acquire(key("k"), 0, 2, kT0, kMinute).allowed);
  CounterTable::release(b.ticket);
  auto c = t.acquire(key("k"), 0, 2, kT0, kMinute);
  EXPECT_TRUE(c.allowed);
  EXPECT_EQ(c.count, 2);
  // A ticket of an old window never touches the new one.
  auto n = t.acquire(key("k"), 0, 2, kT0 + kMinute, kMinute);
  ASSERT_TRUE(n.allowed);
  CounterTable::release(a.ticket);
  EXPECT_EQ(t.acquire(key("k"), 0, 2, kT0 + kMinute, kMinute).count, 2);
  EXPECT_FALSE(t.acquire(key("k"), 0, 2, kT0 + kMinute, kMinute).allowed);
  CounterTable::release(CounterTable::Ticket{});  // empty ticket: no-op
}

TEST(CounterTable, OlderTimestampCountsInTheNewerWindow) {
  CounterTable t(64, 1);
  ASSERT_TRUE(t.acquire(key("k"), 0, 1, kT0 + kMinute, kMinute).allowed);
  // A request stamped before the boundary but counted after it: stricter, never a reset.
  auto late = t.acquire(key("k"), 0, 1, kT0 + kMinute - 1, kMinute);
  EXPECT_FALSE(late.allowed);
  EXPECT_EQ(late.window_end_ms, kT0 + 2 * kMinute);
}

TEST(CounterTable, HugeLimitsAndWindowsDoNotOverflow) {
  CounterTable t(64, 1);
  auto a = t.acquire(key("k"), 0, INT64_MAX, kT0, int64_t{1} << 42);
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.count, 1);
  EXPECT_GT(a.window_end_ms, kT0);
}

TEST(CounterTable, SizeIsBoundedAndRounded) {
  CounterTable small(1, 3);
  EXPECT_EQ(small.capacity(), CounterTable::kMinSlots);
  CounterTable odd(1000, 3);
  EXPECT_EQ(odd.capacity(), 1024u);
  EXPECT_EQ(odd.memoryBytes(), 1024 * 16 + 3 * CounterTable::kOverflowPerPolicy * 8);
  CounterTable huge(SIZE_MAX, 1);
  EXPECT_EQ(huge.capacity(), CounterTable::kMaxSlots);
}

TEST(CounterTable, FullTableFallsBackToSharedOverflowNeverAboveTheLimit) {
  CounterTable t(64, 1);  // 64 slots: the 65th live key cannot have its own
  const int kKeys = 300;
  int allowed_first = 0;
  for (int i = 0; i < kKeys; ++i)
    allowed_first += t.acquire(key("ip" + std::to_string(i)), 0, 1, kT0, kMinute).allowed;
  EXPECT_GT(t.overflowed(), 0u);
  EXPECT_EQ(t.capacity(), 64u);
  EXPECT_LE(allowed_first, kKeys);
  // Nobody gets a second request in the window, whether in a slot or an overflow counter.
  for (int i = 0; i < kKeys; ++i)
    EXPECT_FALSE(t.acquire(key("ip" + std::to_string(i)), 0, 1, kT0 + 1, kMinute).allowed) << i;
  // Next window: expired slots are reclaimed; the first 64 keys get slots again.
  const uint64_t before = t.overflowed();
  int fresh = 0;
  for (int i = 0; i < 40; ++i)
    fresh += t.acquire(key("next" + std::to_string(i)), 0, 1, kT0 + kMinute, kMinute).allowed;
  EXPECT_GT(fresh, 0);
  EXPECT_GE(t.overflowed(), before);
}

TEST(CounterTable, ExpiredSlotsAreReclaimed) {
  CounterTable t(64, 1);
  for (int w = 0; w < 5; ++w) {
    // 32 keys per window in a 64-slot table: each window reuses the previous window's slots.
    for (int i = 0; i < 32; ++i)
      t.acquire(key("w" + std::to_string(w) + "k" + std::to_string(i)), 0, 5, kT0 + w * kMinute,
                kMinute);
  }
  // Without reclamation the third window would find the table full and 96 keys would overflow.
  EXPECT_EQ(t.capacity(), 64u);
  EXPECT_LT(t.overflowed(), 32u);
}

TEST(CounterTable, FourThreadsOneKeyAdmitExactlyTheLimit) {
  constexpr int64_t kLimit = 10000;
  constexpr int kPerThread = 6000;  // 24000 attempts in all
  CounterTable t(1024, 1);
  std::atomic<int64_t> allowed{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n) {
    threads.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < 4) {
      }
      int64_t mine = 0;
      for (int i = 0; i < kPerThread; ++i)
        mine += t.acquire(key("hot"), 0, kLimit, kT0 + 5, kMinute).allowed;
      allowed.fetch_add(mine);
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(allowed.load(), kLimit);
}

TEST(CounterTable, ConcurrentAcquireAndReleaseNeverExceedTheLimit) {
  // Threads take a count and give half back; the count never goes above the limit and ends at
  // exactly the number of acquisitions kept.
  constexpr int64_t kLimit = 500;
  CounterTable t(1024, 1);
  std::atomic<int64_t> kept{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n) {
    threads.emplace_back([&, n] {
      int64_t mine = 0;
      for (int i = 0; i < 2000; ++i) {
        auto a = t.acquire(key("k"), 0, kLimit, kT0, kMinute);
        if (!a.allowed)
          continue;
        EXPECT_LE(a.count, kLimit);
        if ((i + n) % 2 == 0)
          CounterTable::release(a.ticket);
        else
          ++mine;
      }
      kept.fetch_add(mine);
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(kept.load(), kLimit);
  EXPECT_FALSE(t.acquire(key("k"), 0, kLimit, kT0, kMinute).allowed);
}

// Many threads claiming slots for the same keys at once: every key ends with exactly its limit
// when the table has room, and never more than its limit when it has not.
void hammerManyKeys(size_t slots, int keys, bool expect_exact) {
  constexpr int64_t kLimit = 2;
  CounterTable t(slots, 1);
  std::vector<std::atomic<int>> allowed(keys);
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n) {
    threads.emplace_back([&, n] {
      for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < keys; ++i) {
          const int k = (n % 2 == 0) ? i : keys - 1 - i;  // opposite orders collide more
          if (t.acquire(key("key" + std::to_string(k)), 0, kLimit, kT0, kMinute).allowed)
            allowed[k].fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  for (int k = 0; k < keys; ++k) {
    if (expect_exact)
      EXPECT_EQ(allowed[k].load(), kLimit) << k;
    else
      EXPECT_LE(allowed[k].load(), kLimit) << k;
  }
}

TEST(CounterTable, ConcurrentClaimsGiveEachKeyOneCounter) {
  hammerManyKeys(4096, 200, true);
}

TEST(CounterTable, ConcurrentClaimsInAFullTableStayWithinTheLimit) {
  hammerManyKeys(64, 400, false);
}

}  // namespace
}  // namespace mgw::throttling
