#include "filters/jwt/token_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "jwt_test_util.h"

namespace mgw::jwt {
namespace {

using namespace mgw::jwt::testing;
using Json = nlohmann::json;

std::shared_ptr<const VerifiedToken> value(std::string sub) {
  auto t = std::make_shared<VerifiedToken>();
  t->subject = std::move(sub);
  return t;
}

TEST(TokenCache, HitReturnsTheSameEntry) {
  TokenCache cache;
  auto v = value("a");
  cache.insert("tok-a", v, 1, kNowMs + 10'000, kNowMs);
  EXPECT_EQ(cache.find("tok-a", 1, kNowMs), v);
  EXPECT_EQ(cache.find("tok-b", 1, kNowMs), nullptr);
  EXPECT_EQ(cache.find("tok-", 1, kNowMs), nullptr);
  EXPECT_EQ(cache.find("tok-a ", 1, kNowMs), nullptr);
}

TEST(TokenCache, CapacityEvictsLeastRecentlyUsed) {
  TokenCache cache(TokenCacheOptions{3, 900000});
  for (const char* t : {"t1", "t2", "t3"})
    cache.insert(t, value(t), 1, kNowMs + 60'000, kNowMs);
  ASSERT_NE(cache.find("t1", 1, kNowMs), nullptr);  // t1 becomes most recent
  cache.insert("t4", value("t4"), 1, kNowMs + 60'000, kNowMs);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find("t2", 1, kNowMs), nullptr);  // least recently used went
  EXPECT_NE(cache.find("t1", 1, kNowMs), nullptr);
  EXPECT_NE(cache.find("t3", 1, kNowMs), nullptr);
  EXPECT_NE(cache.find("t4", 1, kNowMs), nullptr);
  for (int i = 0; i < 100; ++i)
    cache.insert("x" + std::to_string(i), value("x"), 1, kNowMs + 60'000, kNowMs);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(TokenCache, ExpiresAfterExpiryTimeAndAtTokenExp) {
  TokenCache cache(TokenCacheOptions{10, 1000});
  cache.insert("short", value("s"), 1, kNowMs + 60'000, kNowMs);  // cache expiry wins: +1 s
  cache.insert("exp", value("e"), 1, kNowMs + 500, kNowMs);       // token exp wins: +0.5 s
  EXPECT_NE(cache.find("exp", 1, kNowMs + 499), nullptr);
  EXPECT_EQ(cache.find("exp", 1, kNowMs + 500), nullptr);
  EXPECT_NE(cache.find("short", 1, kNowMs + 999), nullptr);
  EXPECT_EQ(cache.find("short", 1, kNowMs + 1000), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  cache.insert("past", value("p"), 1, kNowMs - 1, kNowMs);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCache, GenerationMismatchIsAMiss) {
  TokenCache cache;
  cache.insert("tok", value("a"), 1, kNowMs + 10'000, kNowMs);
  EXPECT_EQ(cache.find("tok", 2, kNowMs), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCache, ZeroCapacityDisablesCaching) {
  TokenCache cache(TokenCacheOptions{0, 900000});
  cache.insert("tok", value("a"), 1, kNowMs + 10'000, kNowMs);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(VerifyCached, CachesVerifiedTokensOnly) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  TokenCache cache;
  const std::string token = makeToken(rsaKey(), header("RS256"), basePayload());
  auto first = verifyCached(v, token, kNowMs, &cache, nullptr);
  ASSERT_TRUE(first.ok());
  auto second = verifyCached(v, token, kNowMs, &cache, nullptr);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get());  // served from the cache
  EXPECT_FALSE(verifyCached(v, token + "x", kNowMs, &cache, nullptr).ok());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(VerifyCached, CachedTokenExpiresWithItsExp) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  TokenCache cache;
  Json p = basePayload();
  p["exp"] = kNowS + 10;
  const std::string token = makeToken(rsaKey(), header("RS256"), p);
  ASSERT_TRUE(verifyCached(v, token, kNowMs, &cache, nullptr).ok());
  ASSERT_TRUE(verifyCached(v, token, kNowMs + 14'999, &cache, nullptr).ok());  // exp + skew
  auto late = verifyCached(v, token, kNowMs + 15'000, &cache, nullptr);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().reason, "jwt.expired");
}

TEST(VerifyCached, KeyRotationInvalidatesCachedEntries) {
  const Verifier v = makeVerifier(certKeys(rsaKey(0)));
  TokenCache cache;
  const std::string token = makeToken(rsaKey(0), header("RS256"), basePayload());
  ASSERT_TRUE(verifyCached(v, token, kNowMs, &cache, nullptr).ok());
  auto rotated = v.withKeys(0, certKeys(rsaKey(1)));
  auto after = verifyCached(*rotated, token, kNowMs, &cache, nullptr);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().reason, "jwt.bad_signature");
}

// Not a pass/fail test: prints the cost of the two paths for the report (timings never asserted).
TEST(VerifyCached, Benchmark) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  const std::string token = makeToken(rsaKey(), header("RS256"), basePayload());
  const std::string es = makeToken(ecKey("P-256"), header("ES256"), basePayload());
  const Verifier ves = makeVerifier(certKeys(ecKey("P-256")));
  constexpr int kRounds = 2000;
  auto time = [&](auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i)
      fn();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
               .count() /
           kRounds;
  };
  const double uncached = time([&] { ASSERT_TRUE(v.verify(token, kNowMs).ok()); });
  const double uncached_es = time([&] { ASSERT_TRUE(ves.verify(es, kNowMs).ok()); });
  TokenCache cache;
  ASSERT_TRUE(verifyCached(v, token, kNowMs, &cache, nullptr).ok());
  const double hit =
      time([&] { ASSERT_TRUE(verifyCached(v, token, kNowMs, &cache, nullptr).ok()); });
  const double bad = time([&] { ASSERT_FALSE(v.verify("e30.e30.", kNowMs).ok()); });
  std::printf(
      "jwt bench: RS256 uncached %.1f us, ES256 uncached %.1f us, cache hit %.2f us, "
      "structurally bad %.2f us\n",
      uncached, uncached_es, hit, bad);
}

}  // namespace
}  // namespace mgw::jwt
