// Request-target checks: every input of attack catalogue §8 is a case here.
#include "mgw/http/path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mgw::http {
namespace {

struct Accepted {
  std::string target;
  std::string path;
  std::string query;
  bool has_query;
};

class AcceptedTargetTest : public ::testing::TestWithParam<Accepted> {};

TEST_P(AcceptedTargetTest, ParsesWithoutDecoding) {
  const Accepted& c = GetParam();
  auto r = parseRequestTarget(c.target, "GET");
  ASSERT_TRUE(r.ok()) << c.target << ": " << r.error().reason;
  EXPECT_EQ(r->path, c.path);
  EXPECT_EQ(r->query, c.query);
  EXPECT_EQ(r->has_query, c.has_query);
  EXPECT_EQ(r->authority, "");
}

INSTANTIATE_TEST_SUITE_P(
    Catalogue, AcceptedTargetTest,
    ::testing::Values(
        Accepted{"/api/v1/admin", "/api/v1/admin", "", false},
        // Decoded once this is "%2e%2e", never ".."; the backend must not decode twice.
        Accepted{"/api/v1/public/%252e%252e/admin", "/api/v1/public/%252e%252e/admin", "", false},
        Accepted{"/api/v1//admin", "/api/v1//admin", "", false},  // empty segments kept
        Accepted{"/api/v1/admin;x=y", "/api/v1/admin;x=y", "", false},
        Accepted{"/API/v1/admin", "/API/v1/admin", "", false},  // case-sensitive, not folded
        Accepted{"/api/v1/admin/", "/api/v1/admin/", "", false},
        Accepted{"/a%2Fb", "/a%2Fb", "", false},  // %2F stays encoded
        Accepted{"/a%2fb/c", "/a%2fb/c", "", false}, Accepted{"/", "/", "", false},
        Accepted{"/...", "/...", "", false},  // three dots are a name
        Accepted{"/.hidden/..x/x..", "/.hidden/..x/x..", "", false},
        Accepted{"/a/%2e%2e%2e", "/a/%2e%2e%2e", "", false},
        Accepted{"/caf%C3%A9", "/caf%C3%A9", "", false},
        Accepted{"/a:b@c!$&'()*+,=-._~", "/a:b@c!$&'()*+,=-._~", "", false},
        Accepted{"/a?x=1&y=%2e%2e/../z", "/a", "x=1&y=%2e%2e/../z", true},
        Accepted{"/a?", "/a", "", true},
        Accepted{"/a?q={\"x\"}|^`<>", "/a", "q={\"x\"}|^`<>", true},
        Accepted{"/a?%5c", "/a", "%5c", true}),
    [](const auto& p) { return "case" + std::to_string(p.index); });

struct Rejected {
  std::string target;
  std::string reason;
};

class RejectedTargetTest : public ::testing::TestWithParam<Rejected> {};

TEST_P(RejectedTargetTest, RejectedWithReason) {
  const Rejected& c = GetParam();
  auto r = parseRequestTarget(c.target, "GET");
  ASSERT_FALSE(r.ok()) << c.target;
  EXPECT_EQ(r.error().reason, c.reason) << c.target;
  EXPECT_FALSE(r.error().message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Catalogue, RejectedTargetTest,
    ::testing::Values(
        Rejected{"/api/v1/public/../admin", "path.dot_segment"},
        Rejected{"/api/v1/public/%2e%2e/admin", "path.dot_segment"},
        Rejected{"/api/v1/public/%2E%2e/admin", "path.dot_segment"},
        Rejected{"/api/v1/public/.%2E/admin", "path.dot_segment"},
        Rejected{"/api/v1/public/%2e./admin", "path.dot_segment"},
        Rejected{"/api/v1/./admin", "path.dot_segment"},
        Rejected{"/api/v1/%2e/admin", "path.dot_segment"},
        Rejected{"/api/v1/public%2F..%2Fadmin", "path.dot_segment"},
        Rejected{"/api/v1/public%2f%2e%2e%2fadmin", "path.dot_segment"},
        Rejected{"/api/v1/public/..;/admin", "path.dot_segment"},
        Rejected{"/api/v1/public/..;x=1/admin", "path.dot_segment"},
        Rejected{"/api/v1/public/.;/admin", "path.dot_segment"},
        Rejected{"/api/v1/public/%2e%2e;/admin", "path.dot_segment"},
        Rejected{"/api/v1/public/..%3b/admin", "path.dot_segment"},
        Rejected{"/api/v1/public/..", "path.dot_segment"}, Rejected{"/.", "path.dot_segment"},
        Rejected{"/../../etc/passwd", "path.dot_segment"},
        Rejected{"/api\\admin", "path.backslash"},
        Rejected{"/api/v1/public%5C..%5Cadmin", "path.backslash"},
        Rejected{"/api/v1/public%5c", "path.backslash"},
        Rejected{"/api/v1/admin#f", "path.fragment"}, Rejected{"/a?x#f", "path.fragment"},
        Rejected{"/api/v1/admin%00", "path.nul"}, Rejected{"/a?x=%00", "path.nul"},
        Rejected{std::string("/a\0b", 4), "path.nul"}, Rejected{"/api/%zz", "path.bad_escape"},
        Rejected{"/api/%", "path.bad_escape"}, Rejected{"/api/%4", "path.bad_escape"},
        Rejected{"/a?x=%g1", "path.bad_escape"},
        Rejected{"/api/v1/public/%c0%ae%c0%ae/admin", "path.overlong_utf8"},
        Rejected{"/api/v1/public/%C0%AE./admin", "path.overlong_utf8"},
        Rejected{"/api/v1/public/%e0%80%ae%e0%80%ae/admin", "path.overlong_utf8"},
        Rejected{"/x%c0%af", "path.overlong_utf8"},
        Rejected{"/x%f0%80%80%ae", "path.overlong_utf8"}, Rejected{"/a b", "path.bad_char"},
        Rejected{"/a\tb", "path.bad_char"}, Rejected{"/a\x7f", "path.bad_char"},
        Rejected{"/caf\xc3\xa9", "path.bad_char"}, Rejected{"/a{b}", "path.bad_char"},
        Rejected{"/a|b", "path.bad_char"}, Rejected{"/a?b c", "path.bad_char"},
        Rejected{"admin", "path.not_origin_form"}, Rejected{"*/x", "path.not_origin_form"},
        Rejected{"", "path.not_origin_form"}, Rejected{"ftp://h/x", "path.not_origin_form"},
        Rejected{"*", "path.asterisk_form"}, Rejected{"http:///x", "path.bad_authority"},
        Rejected{"http://u@h/x", "path.bad_authority"},
        Rejected{"http://h:x/", "path.bad_authority"},
        Rejected{"http://h/api/../admin", "path.dot_segment"},
        Rejected{"https://h/%2e%2e/admin", "path.dot_segment"},
        Rejected{"http://h#f", "path.fragment"}),
    [](const auto& p) { return "case" + std::to_string(p.index); });

TEST(RequestTarget, AsteriskOnlyForOptions) {
  auto r = parseRequestTarget("*", "OPTIONS");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "*");
  EXPECT_FALSE(parseRequestTarget("*", "options").ok());  // methods are case-sensitive
}

TEST(RequestTarget, AbsoluteForm) {
  auto r = parseRequestTarget("http://api.example.com:8080/pets/1?x=%2F", "GET");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->authority, "api.example.com:8080");
  EXPECT_EQ(r->path, "/pets/1");
  EXPECT_EQ(r->query, "x=%2F");
  auto bare = parseRequestTarget("HTTPS://h", "GET");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->path, "/");
  EXPECT_EQ(bare->authority, "h");
  auto q = parseRequestTarget("http://[::1]:9?a", "GET");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->authority, "[::1]:9");
  EXPECT_EQ(q->path, "/");
  EXPECT_EQ(q->query, "a");
}

// Property: what is accepted is returned unchanged, so parsing the result again is a fixpoint
// (the gateway routes, secures and forwards one and the same string).
TEST(RequestTarget, AcceptedTargetsAreFixpoints) {
  for (const char* t :
       {"/api/v1/admin", "/a//b/", "/a%2Fb?x=1", "/%252e%252e", "/a;b=c?", "/...?..", "/x/y%20z"}) {
    auto once = parseRequestTarget(t, "GET");
    ASSERT_TRUE(once.ok()) << t;
    std::string again_in = once->path + (once->has_query ? "?" + once->query : "");
    EXPECT_EQ(again_in, t);
    auto twice = parseRequestTarget(again_in, "GET");
    ASSERT_TRUE(twice.ok());
    EXPECT_EQ(twice->path, once->path);
    EXPECT_EQ(twice->query, once->query);
  }
}

TEST(RequestTarget, EveryByteValueNeverCrashes) {
  for (int b = 0; b < 256; ++b) {
    for (const char* base : {"/a/X/b?q=X", "http://hX/p", "/%X0", "/.X"}) {
      std::string t = base;
      for (char& c : t) {
        if (c == 'X')
          c = static_cast<char>(b);
      }
      auto r = parseRequestTarget(t, "GET");
      if (r.ok()) {
        EXPECT_FALSE(r->path.empty());
      }
    }
  }
}

}  // namespace
}  // namespace mgw::http
