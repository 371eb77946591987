#include "filters/throttling/blocking.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mgw::throttling {
namespace {

BlockCondition cond(std::string_view type, std::string_view value) {
  auto c = parseBlockCondition(type, value);
  EXPECT_TRUE(c.ok()) << type << " " << value;
  return c.ok() ? *c : BlockCondition{};
}

TEST(BlockCondition, ParsesEveryTypeCaseInsensitively) {
  EXPECT_EQ(cond("API", "/petstore/v1").type, BlockType::Api);
  EXPECT_EQ(cond("application", "admin:DefaultApplication").type, BlockType::Application);
  EXPECT_EQ(cond("User", "alice").type, BlockType::User);
  EXPECT_EQ(cond("ip", "10.0.0.1").type, BlockType::Ip);
  EXPECT_EQ(cond("IP", "2001:db8::1").type, BlockType::Ip);
  EXPECT_EQ(cond("IPRange", "10.0.0.0/8").type, BlockType::IpRange);
  EXPECT_EQ(cond(" API ", "  /x  ").value, "/x");
  EXPECT_EQ(blockTypeName(BlockType::IpRange), "IPRANGE");
}

TEST(BlockCondition, RefusesBadInput) {
  for (auto [type, value] : std::vector<std::pair<std::string, std::string>>{
           {"", "/x"},
           {"HOST", "/x"},
           {"API", ""},
           {"API", "   "},
           {"IP", "10.0.0.0/8"},  // a network is an IPRANGE
           {"IP", "not-an-ip"},
           {"IP", "10.0.0.256"},
           {"IPRANGE", "10.0.0.1"},  // no prefix
           {"IPRANGE", "10.0.0.0/33"},
           {"IPRANGE", "::/129"},
           {"IPRANGE", "x/8"},
       }) {
    auto c = parseBlockCondition(type, value);
    ASSERT_FALSE(c.ok()) << type << " " << value;
    EXPECT_EQ(c.error().reason, "throttling.bad_blocking_condition");
  }
}

TEST(BlockCondition, RedisMemberForm) {
  auto c = parseBlockMember("APPLICATION:admin:App1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->type, BlockType::Application);
  EXPECT_EQ(c->value, "admin:App1");
  auto ip6 = parseBlockMember("ip:::1");
  ASSERT_TRUE(ip6.ok());
  EXPECT_EQ(ip6->value, "::1");
  EXPECT_FALSE(parseBlockMember("nocolon").ok());
  EXPECT_FALSE(parseBlockMember(":value").ok());
  EXPECT_FALSE(parseBlockMember("API:").ok());
  EXPECT_FALSE(parseBlockMember(std::string(5000, 'A')).ok());
}

TEST(BlockSet, MatchesEachKind) {
  BlockSet s({cond("API", "/blocked/v1"), cond("APPLICATION", "admin:BadApp"),
              cond("USER", "mallory"), cond("IP", "192.0.2.7"), cond("IPRANGE", "198.51.100.0/24"),
              cond("IPRANGE", "2001:db8::/32")});
  EXPECT_EQ(s.size(), 6u);
  auto kind = [&](BlockQuery q) -> int {
    const BlockType* t = s.match(q);
    return t ? static_cast<int>(*t) : -1;
  };
  EXPECT_EQ(kind({"/blocked/v1", "10.0.0.1", "", "", ""}), static_cast<int>(BlockType::Api));
  EXPECT_EQ(kind({"/blocked/v10", "10.0.0.1", "", "", ""}), -1);  // exact, not a prefix
  EXPECT_EQ(kind({"/ok", "10.0.0.1", "admin", "BadApp", "bob"}),
            static_cast<int>(BlockType::Application));
  EXPECT_EQ(kind({"/ok", "10.0.0.1", "other", "BadApp", "bob"}), -1);
  EXPECT_EQ(kind({"/ok", "10.0.0.1", "", "", "mallory"}), static_cast<int>(BlockType::User));
  EXPECT_EQ(kind({"/ok", "192.0.2.7", "", "", ""}), static_cast<int>(BlockType::Ip));
  EXPECT_EQ(kind({"/ok", "192.0.2.8", "", "", ""}), -1);
  EXPECT_EQ(kind({"/ok", "::ffff:192.0.2.7", "", "", ""}), static_cast<int>(BlockType::Ip));
  EXPECT_EQ(kind({"/ok", "198.51.100.200", "", "", ""}), static_cast<int>(BlockType::IpRange));
  EXPECT_EQ(kind({"/ok", "2001:db8:1::5", "", "", ""}), static_cast<int>(BlockType::IpRange));
  EXPECT_EQ(kind({"/ok", "2001:db9::5", "", "", ""}), -1);
  // Garbage client addresses (a forwarded value) never match and never crash.
  EXPECT_EQ(kind({"/ok", "not an ip", "", "", ""}), -1);
  EXPECT_EQ(kind({"/ok", std::string(300, '1'), "", "", ""}), -1);
  EXPECT_EQ(kind({"/ok", "", "", "", ""}), -1);
}

TEST(BlockSet, LongApplicationKeys) {
  const std::string owner(200, 'o');
  const std::string name(200, 'n');
  BlockSet s({cond("APPLICATION", owner + ":" + name)});
  EXPECT_NE(s.match({"", "", owner, name, ""}), nullptr);
  EXPECT_EQ(s.match({"", "", owner, name + "x", ""}), nullptr);
}

TEST(BlockList, UnionOfSourcesAndGenerations) {
  BlockList l;
  EXPECT_EQ(l.size(), 0u);
  EXPECT_EQ(l.match({"/a", "10.0.0.1", "", "", ""}), nullptr);
  const uint64_t g0 = l.generation();
  l.setConfigured({cond("API", "/a")});
  EXPECT_GT(l.generation(), g0);
  EXPECT_NE(l.match({"/a", "10.0.0.1", "", "", ""}), nullptr);
  l.setRemote({cond("USER", "eve")});
  EXPECT_EQ(l.size(), 2u);
  EXPECT_NE(l.match({"/a", "", "", "", ""}), nullptr);
  EXPECT_NE(l.match({"/b", "", "", "", "eve"}), nullptr);
  l.setRemote({});
  EXPECT_EQ(l.match({"/b", "", "", "", "eve"}), nullptr);
  EXPECT_NE(l.match({"/a", "", "", "", ""}), nullptr);  // the configured one stays
  // Two lists in one thread do not confuse the per-thread cache.
  BlockList other;
  other.setConfigured({cond("API", "/z")});
  EXPECT_EQ(other.match({"/a", "", "", "", ""}), nullptr);
  EXPECT_NE(l.match({"/a", "", "", "", ""}), nullptr);
  EXPECT_NE(other.match({"/z", "", "", "", ""}), nullptr);
}

TEST(BlockList, ReadersSeeSwapsWithoutLocks) {
  BlockList l;
  l.setConfigured({cond("API", "/always")});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        if (l.match({"/always", "", "", "", ""}) == nullptr)
          bad.fetch_add(1);
        l.match({"/b", "", "", "", "eve"});
      }
    });
  }
  for (int i = 0; i < 2000; ++i)
    l.setRemote(i % 2 ? std::vector<BlockCondition>{cond("USER", "eve")}
                      : std::vector<BlockCondition>{});
  l.setRemote({cond("USER", "eve")});
  stop = true;
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_NE(l.match({"/b", "", "", "", "eve"}), nullptr);
}

}  // namespace
}  // namespace mgw::throttling
