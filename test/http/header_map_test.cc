#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mgw/http/message.h"

namespace mgw::http {
namespace {

std::vector<std::string> dump(const HeaderMap& m) {
  std::vector<std::string> out;
  for (const Header& h : m)
    out.push_back(h.name + "=" + h.value);
  return out;
}

TEST(HeaderMap, AddKeepsOrderAndCase) {
  HeaderMap m;
  EXPECT_TRUE(m.empty());
  m.add("Host", "a");
  m.add("X-Trace", "1");
  m.add("x-trace", "2");
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(dump(m), (std::vector<std::string>{"Host=a", "X-Trace=1", "x-trace=2"}));
}

TEST(HeaderMap, GetAndCountIgnoreCase) {
  HeaderMap m;
  m.add("Content-Type", "text/plain");
  m.add("X-A", "1");
  m.add("x-a", "2");
  ASSERT_NE(m.get("content-type"), nullptr);
  EXPECT_EQ(*m.get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(*m.get("X-a"), "1");  // first value
  EXPECT_EQ(m.get("missing"), nullptr);
  EXPECT_EQ(m.get("Content-Typ"), nullptr);
  EXPECT_EQ(m.count("x-A"), 2u);
  EXPECT_EQ(m.count("nope"), 0u);
}

TEST(HeaderMap, SetReplacesAllKeepingFirstPosition) {
  HeaderMap m;
  m.add("A", "1");
  m.add("B", "2");
  m.add("a", "3");
  m.add("C", "4");
  m.set("A", "x");
  EXPECT_EQ(dump(m), (std::vector<std::string>{"A=x", "B=2", "C=4"}));
  m.set("D", "5");  // absent: appended
  EXPECT_EQ(dump(m), (std::vector<std::string>{"A=x", "B=2", "C=4", "D=5"}));
}

TEST(HeaderMap, RemoveReturnsCount) {
  HeaderMap m;
  m.add("Connection", "close");
  m.add("X", "1");
  m.add("connection", "x-jwt-assertion");
  EXPECT_EQ(m.remove("CONNECTION"), 2u);
  EXPECT_EQ(m.remove("Connection"), 0u);
  EXPECT_EQ(dump(m), (std::vector<std::string>{"X=1"}));
  m.clear();
  EXPECT_TRUE(m.empty());
}

TEST(HeaderMap, EmptyNameAndValue) {
  HeaderMap m;
  m.add("X-Empty", "");
  ASSERT_NE(m.get("x-empty"), nullptr);
  EXPECT_EQ(*m.get("x-empty"), "");
}

TEST(ReasonPhrase, KnownAndUnknown) {
  EXPECT_EQ(reasonPhrase(200), "OK");
  EXPECT_EQ(reasonPhrase(404), "Not Found");
  EXPECT_EQ(reasonPhrase(413), "Content Too Large");
  EXPECT_EQ(reasonPhrase(414), "URI Too Long");
  EXPECT_EQ(reasonPhrase(417), "Expectation Failed");
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reasonPhrase(501), "Not Implemented");
  EXPECT_EQ(reasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(reasonPhrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reasonPhrase(299), "Unknown");
  EXPECT_EQ(reasonPhrase(-1), "Unknown");
}

}  // namespace
}  // namespace mgw::http
