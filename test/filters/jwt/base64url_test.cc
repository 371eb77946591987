#include "filters/jwt/base64url.h"

#include <gtest/gtest.h>

namespace mgw::jwt {
namespace {

std::string decode(std::string_view in, bool& ok) {
  std::string out;
  ok = base64UrlDecode(in, out);
  return out;
}

TEST(Base64Url, DecodesUnpaddedCanonicalForms) {
  bool ok = false;
  EXPECT_EQ(decode("", ok), "");
  EXPECT_TRUE(ok);
  EXPECT_EQ(decode("Zg", ok), "f");
  EXPECT_TRUE(ok);
  EXPECT_EQ(decode("Zm8", ok), "fo");
  EXPECT_TRUE(ok);
  EXPECT_EQ(decode("Zm9v", ok), "foo");
  EXPECT_TRUE(ok);
  EXPECT_EQ(decode("-_8", ok), std::string("\xfb\xff", 2));
  EXPECT_TRUE(ok);
}

TEST(Base64Url, AcceptsCompletePaddingAsWso2TokensUseIt) {
  bool ok = false;
  EXPECT_EQ(decode("Zg==", ok), "f");
  EXPECT_TRUE(ok);
  EXPECT_EQ(decode("Zm8=", ok), "fo");
  EXPECT_TRUE(ok);
}

TEST(Base64Url, RejectsPartialOrMisplacedPadding) {
  bool ok = true;
  decode("Zg=", ok);
  EXPECT_FALSE(ok);
  decode("Zm9v=", ok);
  EXPECT_FALSE(ok);
  decode("Zm9v====", ok);
  EXPECT_FALSE(ok);
  decode("Zg==Zg", ok);
  EXPECT_FALSE(ok);
  decode("Zm8==", ok);
  EXPECT_FALSE(ok);
}

TEST(Base64Url, RejectsPlainBase64AlphabetAndWhitespace) {
  bool ok = true;
  decode("+_8", ok);
  EXPECT_FALSE(ok);
  decode("-/8", ok);
  EXPECT_FALSE(ok);
  decode("Zm 9v", ok);
  EXPECT_FALSE(ok);
  decode("Zm9v\n", ok);
  EXPECT_FALSE(ok);
  decode(std::string_view("Zm\0v", 4), ok);
  EXPECT_FALSE(ok);
}

TEST(Base64Url, RejectsNonCanonicalTrailingBits) {
  bool ok = true;
  decode("Zh", ok);  // 'h' leaves 4 non-zero unused bits
  EXPECT_FALSE(ok);
  decode("Zm9", ok);  // '9' leaves 2 non-zero unused bits
  EXPECT_FALSE(ok);
  decode("Zh==", ok);
  EXPECT_FALSE(ok);
}

TEST(Base64Url, RejectsImpossibleLength) {
  bool ok = true;
  decode("Z", ok);
  EXPECT_FALSE(ok);
  decode("Zm9vY", ok);
  EXPECT_FALSE(ok);
}

TEST(Base64Url, EncodeRoundTrips) {
  for (size_t n = 0; n < 40; ++n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i)
      bytes.push_back(static_cast<char>(i * 37 + 11));
    const std::string enc = base64UrlEncode(bytes);
    EXPECT_EQ(enc.find('='), std::string::npos);
    std::string dec;
    ASSERT_TRUE(base64UrlDecode(enc, dec));
    EXPECT_EQ(dec, bytes);
  }
}

TEST(Base64Url, StripPadding) {
  EXPECT_EQ(stripPadding("abc=="), "abc");
  EXPECT_EQ(stripPadding("abc"), "abc");
}

}  // namespace
}  // namespace mgw::jwt
