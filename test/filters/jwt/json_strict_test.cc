#include "filters/jwt/json_strict.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

namespace mgw::jwt {
namespace {

using Json = nlohmann::json;

// The oracle for the differential test below: nlohmann's own SAX parser building the DOM, with
// the strict rules (a repeated member name or nesting deeper than the limit fails the parse).
class ReferenceBuilder {
 public:
  ReferenceBuilder(Json& root, int max_depth) : root_(root), max_depth_(max_depth) {}
  bool null() { return place(nullptr); }
  bool boolean(bool v) { return place(v); }
  bool number_integer(Json::number_integer_t v) { return place(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return place(v); }
  bool number_float(Json::number_float_t v, const Json::string_t&) { return place(v); }
  bool string(Json::string_t& v) { return place(v); }
  bool binary(Json::binary_t&) { return false; }
  bool start_object(std::size_t) { return open(Json::object()); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool key(Json::string_t& name) {
    auto [it, inserted] = stack_.back()->get_ref<Json::object_t&>().try_emplace(name);
    member_ = &it->second;
    return inserted;
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  Json* put(Json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(v));
      return &stack_.back()->back();
    }
    *member_ = std::move(v);
    return member_;
  }
  bool place(Json v) {
    put(std::move(v));
    return true;
  }
  bool open(Json v) {
    if (static_cast<int>(stack_.size()) >= max_depth_)
      return false;
    stack_.push_back(put(std::move(v)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  Json& root_;
  int max_depth_;
  std::vector<Json*> stack_;
  Json* member_ = nullptr;
};

Json referenceParse(const std::string& text, int max_depth = 64) {
  Json out;
  ReferenceBuilder b(out, max_depth);
  if (!Json::sax_parse(text, &b, Json::input_format_t::json, true))
    return Json(Json::value_t::discarded);
  return out;
}

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

// Generated texts (valid JSON, then byte-level mutations of it) parse to exactly what the
// reference parser gives: the same accept/reject decision, the same value and number types.
TEST(StrictJson, AgreesWithTheReferenceOnGeneratedInput) {
  std::mt19937 rng(20261206);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<std::string> atoms = {"0",
                                          "-0",
                                          "12",
                                          "-7",
                                          "1.5",
                                          "-2.25e3",
                                          "1E-2",
                                          "18446744073709551615",
                                          "18446744073709551616",
                                          "-9223372036854775808",
                                          "-9223372036854775809",
                                          "1e400",
                                          "1e-400",
                                          "true",
                                          "false",
                                          "null",
                                          R"("")",
                                          R"("a")",
                                          R"("\u00e9\n\"\\\/")",
                                          R"("\ud83d\ude00")",
                                          "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
                                          R"("\u0000")"};
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const size_t kind = depth > 4 ? 0 : pick(4);
    if (kind == 0)
      return atoms[pick(atoms.size())];
    const size_t n = pick(4);
    std::string out = kind == 1 ? "[" : "{";
    for (size_t i = 0; i < n; ++i) {
      if (i)
        out += pick(8) == 0 ? " , " : ",";
      if (kind != 1)
        out += "\"k" + std::to_string(pick(3)) + "\":";
      out += gen(depth + 1);
    }
    return out + (kind == 1 ? "]" : "}");
  };
  const std::string noise =
      "{}[]\":,\\u0123456789abcdefABCDEF.eE+- \t\n\r\x01\x7f\xc3\xa9\xed\xa0\x80\xf4\x90\xc0\xff";
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = gen(0);
    const size_t mutations = pick(3);
    for (size_t m = 0; m < mutations && !text.empty(); ++m) {
      const size_t at = pick(text.size());
      switch (pick(3)) {
        case 0:
          text.erase(at, 1);
          break;
        case 1:
          text.insert(at, 1, noise[pick(noise.size())]);
          break;
        default:
          text[at] = noise[pick(noise.size())];
      }
    }
    const Json ours = parseStrictJson(text);
    const Json ref = referenceParse(text);
    ASSERT_EQ(ours.is_discarded(), ref.is_discarded()) << text;
    if (!ours.is_discarded()) {
      ++accepted;
      ASSERT_EQ(ours.dump(), ref.dump()) << text;
      ASSERT_EQ(ours, ref) << text;
    }
  }
  EXPECT_GT(accepted, 1000);  // the generator produced valid texts, not only garbage
}

TEST(StrictJson, NumberTypesAsTheLibraryMakesThem) {
  EXPECT_TRUE(parseStrictJson("5").is_number_unsigned());
  EXPECT_TRUE(parseStrictJson("-5").is_number_integer());
  EXPECT_FALSE(parseStrictJson("-5").is_number_unsigned());
  EXPECT_TRUE(parseStrictJson("5.0").is_number_float());
  EXPECT_TRUE(parseStrictJson("18446744073709551616").is_number_float());
  EXPECT_TRUE(parseStrictJson("1e400").is_discarded());
  EXPECT_TRUE(parseStrictJson("01").is_discarded());
  EXPECT_TRUE(parseStrictJson("1.").is_discarded());
  EXPECT_TRUE(parseStrictJson("+1").is_discarded());
}

TEST(StrictJson, RejectsLoneSurrogatesAndOverlongUtf8) {
  EXPECT_TRUE(parseStrictJson(R"("\ud800")").is_discarded());
  EXPECT_TRUE(parseStrictJson(R"("\udc00")").is_discarded());
  EXPECT_TRUE(parseStrictJson(R"("\ud800\u0041")").is_discarded());
  EXPECT_TRUE(parseStrictJson("\"\xed\xa0\x80\"").is_discarded());      // UTF-8 encoded surrogate
  EXPECT_TRUE(parseStrictJson("\"\xe0\x80\xaf\"").is_discarded());      // overlong '/'
  EXPECT_TRUE(parseStrictJson("\"\xf4\x90\x80\x80\"").is_discarded());  // above U+10FFFF
  EXPECT_EQ(parseStrictJson(R"("\ud83d\ude00")").get<std::string>(), "\xf0\x9f\x98\x80");
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
