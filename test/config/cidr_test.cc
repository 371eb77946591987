#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "mgw/config/gateway_config.h"

namespace mgw::config {
namespace {

struct Addr {
  bool v6 = false;
  uint8_t bytes[16] = {};
};

Addr addr(const char* text) {
  Addr a;
  if (inet_pton(AF_INET, text, a.bytes) == 1)
    return a;
  a.v6 = true;
  EXPECT_EQ(inet_pton(AF_INET6, text, a.bytes), 1) << text;
  return a;
}

bool contains(const char* cidr, const char* ip) {
  auto c = parseCidr(cidr);
  EXPECT_TRUE(c.ok()) << cidr;
  Addr a = addr(ip);
  return c.ok() && c->contains(a.v6, a.bytes);
}

TEST(Cidr, ParsesIpv4) {
  auto c = parseCidr("10.0.0.0/8");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->v6);
  EXPECT_EQ(c->prefix, 8);
  EXPECT_EQ(c->addr[0], 10);
}

TEST(Cidr, PlainAddressesAreHostRoutes) {
  auto v4 = parseCidr("192.168.1.7");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->prefix, 32);
  auto v6 = parseCidr("::1");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->prefix, 128);
}

TEST(Cidr, TrimsSpacesAndMasksHostBits) {
  auto c = parseCidr("  10.1.2.3/8 ");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->addr[1], 0);
  EXPECT_EQ(c->addr[3], 0);
  auto v6 = parseCidr("2001:db8::ffff/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->addr[15], 0);
}

TEST(Cidr, RejectsBadInput) {
  const char* bad[] = {"",          "   ",         "1.2.3",        "1.2.3.4/33",
                       "::1/129",   "1.2.3.4/",    "1.2.3.4/-1",   "1.2.3.4/+8",
                       "abc",       "1.2.3.4/8/9", "fe80::1%eth0", "1.2.3.4 /8",
                       "256.1.1.1", "/8",          "1.2.3.4/0008", "::1/99999999999999999999",
                       "1.2.3.4\n", "[::1]/128",   "1.2.3.4/a"};
  for (const char* b : bad) {
    auto c = parseCidr(b);
    EXPECT_FALSE(c.ok()) << "'" << b << "'";
    if (!c.ok()) {
      EXPECT_EQ(c.error().reason, "config.bad_cidr");
    }
  }
  std::string huge(100000, '1');
  EXPECT_FALSE(parseCidr(huge).ok());
}

TEST(Cidr, ContainsIpv4) {
  EXPECT_TRUE(contains("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(contains("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(contains("192.168.1.0/25", "192.168.1.127"));
  EXPECT_FALSE(contains("192.168.1.0/25", "192.168.1.128"));
  EXPECT_TRUE(contains("1.2.3.4", "1.2.3.4"));
  EXPECT_FALSE(contains("1.2.3.4", "1.2.3.5"));
  EXPECT_TRUE(contains("0.0.0.0/0", "203.0.113.9"));
}

TEST(Cidr, ContainsIpv6) {
  EXPECT_TRUE(contains("2001:db8::/32", "2001:db8:1::5"));
  EXPECT_FALSE(contains("2001:db8::/32", "2001:db9::5"));
  EXPECT_TRUE(contains("::1", "::1"));
  EXPECT_FALSE(contains("::1", "::2"));
  EXPECT_TRUE(contains("::/0", "fe80::1"));
}

TEST(Cidr, FamiliesDoNotMixExceptMappedAddresses) {
  EXPECT_FALSE(contains("::/0", "10.0.0.1"));
  EXPECT_FALSE(contains("0.0.0.0/0", "2001:db8::1"));
  // A v4 network matches an IPv4-mapped IPv6 peer, and a mapped network a v4 peer.
  EXPECT_TRUE(contains("10.0.0.0/8", "::ffff:10.1.2.3"));
  EXPECT_FALSE(contains("10.0.0.0/8", "::ffff:11.1.2.3"));
  EXPECT_TRUE(contains("::ffff:10.0.0.0/104", "10.9.9.9"));
  EXPECT_FALSE(contains("::ffff:10.0.0.0/104", "11.9.9.9"));
}

TEST(Cidr, NullAddressNeverMatches) {
  auto c = parseCidr("0.0.0.0/0");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->contains(false, nullptr));
}

}  // namespace
}  // namespace mgw::config
