#include "mgw/base/strings.h"

#include <gtest/gtest.h>

namespace mgw {
namespace {

TEST(StringsTest, IequalsIgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("Content-Length", "content-lengt"));
  EXPECT_FALSE(iequals("a", "b"));
}

TEST(StringsTest, ParseDecimalIsStrict) {
  EXPECT_EQ(parseDecimal("0"), 0u);
  EXPECT_EQ(parseDecimal("1234"), 1234u);
  EXPECT_FALSE(parseDecimal(""));
  EXPECT_FALSE(parseDecimal("+5"));
  EXPECT_FALSE(parseDecimal("-1"));
  EXPECT_FALSE(parseDecimal("0x5"));
  EXPECT_FALSE(parseDecimal("5a"));
  EXPECT_FALSE(parseDecimal(" 5"));
  EXPECT_FALSE(parseDecimal("1234567890123456789012345"));
}

TEST(StringsTest, SplitListTrimsOws) {
  auto parts = splitList("chunked , gzip,\tx", ',');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "chunked");
  EXPECT_EQ(parts[1], "gzip");
  EXPECT_EQ(parts[2], "x");
}

TEST(StringsTest, Sha256HexMatchesKnownVector) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace mgw
