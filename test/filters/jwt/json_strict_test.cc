#include "filters/jwt/json_strict.h"

#include <gtest/gtest.h>

namespace mgw::jwt {
namespace {

TEST(StrictJson, ParsesObjects) {
  const auto j = parseStrictJson(R"({"a":1,"b":{"c":[1,{"d":2}]},"e":"x"})");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["b"]["c"][1]["d"], 2);
}

// The strict parser builds exactly the value nlohmann's own parser builds for valid input.
TEST(StrictJson, SameValueAsTheLibraryParser) {
  const char* texts[] = {
      R"({"a":[1,-2,3.5,1e3,true,false,null,"s",[],{},[[{"b":[{}]}]]],"c":{"d":{"e":"\u00e9\/"}}})",
      R"([{"x":1},{"x":2},[3,[4,[5]]]])",
      R"("just a string")",
      "18446744073709551615",
      "-9223372036854775808",
      R"({"scope":"read write","aud":["a","b"],"application":{"id":12,"owner":"o"}})",
  };
  for (const char* text : texts) {
    const auto strict = parseStrictJson(text);
    ASSERT_FALSE(strict.is_discarded()) << text;
    EXPECT_EQ(strict, nlohmann::json::parse(text)) << text;
  }
}

TEST(StrictJson, RejectsDuplicateTopLevelMember) {
  EXPECT_TRUE(parseStrictJson(R"({"iss":"a","iss":"b"})").is_discarded());
}

TEST(StrictJson, RejectsDuplicateNestedMember) {
  EXPECT_TRUE(parseStrictJson(R"({"a":[{"x":1,"x":2}]})").is_discarded());
}

TEST(StrictJson, RejectsDuplicateSpelledWithEscapes) {
  EXPECT_TRUE(parseStrictJson(R"({"sub":"a","\u0073ub":"b"})").is_discarded());
}

TEST(StrictJson, SameNameInSiblingObjectsIsFine) {
  EXPECT_FALSE(parseStrictJson(R"({"a":{"x":1},"b":{"x":2},"x":3})").is_discarded());
}

TEST(StrictJson, ManyDistinctMembersStayAccepted) {
  std::string text = "{";
  for (int i = 0; i < 2000; ++i)
    text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  text += "}";
  EXPECT_FALSE(parseStrictJson(text).is_discarded());
  text.insert(text.size() - 1, ",\"k1999\":2");
  EXPECT_TRUE(parseStrictJson(text).is_discarded());
}

TEST(StrictJson, BoundsDepth) {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  EXPECT_TRUE(parseStrictJson(deep).is_discarded());
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_FALSE(parseStrictJson(ok).is_discarded());
  std::string over = std::string(65, '[') + std::string(65, ']');
  EXPECT_TRUE(parseStrictJson(over).is_discarded());
  // Brackets inside strings do not count.
  EXPECT_FALSE(parseStrictJson("{\"a\":\"" + std::string(500, '[') + "\\\"\"}").is_discarded());
}

TEST(StrictJson, RejectsInvalidUtf8AndGarbage) {
  EXPECT_TRUE(parseStrictJson("{\"a\":\"\xff\xfe\"}").is_discarded());
  EXPECT_TRUE(parseStrictJson("{\"a\":\"\xc0\xaf\"}").is_discarded());
  EXPECT_TRUE(parseStrictJson("{\"a\":1").is_discarded());
  EXPECT_TRUE(parseStrictJson("{\"a\":1} x").is_discarded());
  EXPECT_TRUE(parseStrictJson("").is_discarded());
}

}  // namespace
}  // namespace mgw::jwt
