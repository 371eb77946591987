#include "config/known_keys.h"

#include <gtest/gtest.h>

namespace mgw::config::detail {
namespace {

TEST(KnownKeys, ExactKeysMatchCaseInsensitively) {
  const KnownKey* k = findKnownKey("listenerconfig.httpport");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->pattern, "listenerConfig.httpPort");
  EXPECT_EQ(k->type, KeyType::Int);
  EXPECT_NE(findKnownKey("LISTENERCONFIG.HTTPPORT"), nullptr);
  EXPECT_EQ(findKnownKey("listenerconfig"), nullptr);
  EXPECT_EQ(findKnownKey("listenerconfig.httpport.x"), nullptr);
  EXPECT_EQ(findKnownKey(""), nullptr);
}

TEST(KnownKeys, WildcardsMatchUserDefinedNames) {
  EXPECT_EQ(findKnownKey("b7a.users.anyone.password")->type, KeyType::String);
  EXPECT_EQ(findKnownKey("b7a.users.anyone.extra")->type, KeyType::Any);
  EXPECT_EQ(findKnownKey("jwttokenconfig.3.issuer")->type, KeyType::String);
  EXPECT_EQ(findKnownKey("jwttokenconfig.3.claims.12.localclaim")->type, KeyType::String);
  EXPECT_EQ(findKnownKey("jwttokenconfig.x.issuer"), nullptr);
  EXPECT_EQ(findKnownKey("jwttokenconfig.issuer")->type, KeyType::String);  // 3.0 spelling
  EXPECT_EQ(findKnownKey("b7a.users"), nullptr);
  EXPECT_EQ(findKnownKey("b7a.users.*"), findKnownKey("b7a.users.x"));
}

TEST(KnownKeys, LocalThrottlingKeysAreTyped) {
  const KnownKey* headers = findKnownKey("throttlingconfig.ratelimitheaders");
  ASSERT_NE(headers, nullptr);
  EXPECT_EQ(headers->type, KeyType::Bool);
  const KnownKey* slots = findKnownKey("THROTTLINGCONFIG.COUNTERTABLESLOTS");
  ASSERT_NE(slots, nullptr);
  EXPECT_EQ(slots->type, KeyType::Int);
}

TEST(KnownKeys, EndpointOverrideShapes) {
  EXPECT_TRUE(isEndpointOverrideKey("myEp_prod_endpoint_0"));
  EXPECT_TRUE(isEndpointOverrideKey("my_ep_sand_endpoint_12"));
  EXPECT_TRUE(isEndpointOverrideKey("myEp_prod_basic_username"));
  EXPECT_TRUE(isEndpointOverrideKey("myEp_SAND_BASIC_PASSWORD"));
  EXPECT_TRUE(isEndpointOverrideKey("api_0123abcd_prod_0_etcdKey"));
  EXPECT_TRUE(isEndpointOverrideKey("x_prod_2_etcdkey"));
  EXPECT_FALSE(isEndpointOverrideKey("_prod_endpoint_0"));
  EXPECT_FALSE(isEndpointOverrideKey("myEp_test_endpoint_0"));
  EXPECT_FALSE(isEndpointOverrideKey("myEp_prod_endpoint_"));
  EXPECT_FALSE(isEndpointOverrideKey("myEp_prod_endpoint_x"));
  EXPECT_FALSE(isEndpointOverrideKey("myEp_prod_etcdKey"));
  EXPECT_FALSE(isEndpointOverrideKey("a.b_prod_endpoint_0"));
  EXPECT_FALSE(isEndpointOverrideKey("myEp_prod_basic_token"));
  EXPECT_FALSE(isEndpointOverrideKey(""));
  EXPECT_FALSE(isEndpointOverrideKey("endpoint_0"));
}

TEST(KnownKeys, TableHasNoDuplicatePatterns) {
  auto keys = knownKeys();
  for (size_t i = 0; i < keys.size(); ++i) {
    for (size_t j = i + 1; j < keys.size(); ++j) {
      EXPECT_NE(keys[i].pattern, keys[j].pattern);
    }
  }
}

}  // namespace
}  // namespace mgw::config::detail
