#include "mgw/router/route_table.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "alloc_counter.h"

namespace mgw::router {
namespace {

using artifact::Api;
using artifact::Artifact;
using artifact::Resource;

// {template, method} pairs -> Api.
Api makeApi(std::string base_path, std::vector<std::pair<std::string, std::string>> resources) {
  Api api;
  api.name = "api" + base_path;
  api.version = "1";
  api.base_path = std::move(base_path);
  for (auto& [tpl, method] : resources) {
    Resource r;
    r.path_template = tpl;
    r.method = method;
    api.resources.push_back(std::move(r));
  }
  return api;
}

class RouteTableTest : public ::testing::Test {
 protected:
  // Matches and returns "api#/template" for Matched, "404" or "405 <allow>" otherwise.
  std::string route(const RouteTable& table, std::string_view method, std::string_view path) {
    RouteMatch m = table.match(method, path);
    switch (m.status) {
      case MatchStatus::Matched: {
        const Api& api = artifact_.apis.at(m.api_index);
        return api.base_path + "#" + api.resources.at(m.resource_index).path_template;
      }
      case MatchStatus::NotFound:
        return "404";
      case MatchStatus::MethodNotAllowed:
        return "405 " + m.allow;
    }
    return "?";
  }

  Artifact artifact_;
};

TEST_F(RouteTableTest, LiteralBeatsParam) {
  artifact_.apis = {makeApi("/p", {{"/pets/{id}", "GET"}, {"/pets/mine", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/pets/mine"), "/p#/pets/mine");
  EXPECT_EQ(route(t, "GET", "/p/pets/42"), "/p#/pets/{id}");
  EXPECT_EQ(route(t, "GET", "/p/pets/Mine"), "/p#/pets/{id}");  // case-sensitive literal
}

TEST_F(RouteTableTest, PriorityIsLeftToRight) {
  artifact_.apis = {makeApi("/p", {{"/{a}/x", "GET"}, {"/lit/{b}", "GET"}})};
  RouteTable t(artifact_);
  // The first segment decides: literal "lit" beats "{a}".
  EXPECT_EQ(route(t, "GET", "/p/lit/x"), "/p#/lit/{b}");
  EXPECT_EQ(route(t, "GET", "/p/other/x"), "/p#/{a}/x");
}

TEST_F(RouteTableTest, BacktracksWhenTheLiteralBranchDeadEnds) {
  artifact_.apis = {makeApi("/p", {{"/pets/mine/toys", "GET"}, {"/pets/{id}/food", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/pets/mine/food"), "/p#/pets/{id}/food");
  EXPECT_EQ(route(t, "GET", "/p/pets/mine/toys"), "/p#/pets/mine/toys");
  EXPECT_EQ(route(t, "GET", "/p/pets/mine/other"), "404");
}

TEST_F(RouteTableTest, SuffixAndPrefixTemplates) {
  artifact_.apis = {makeApi("/p", {{"/items/{id}.api", "GET"},
                                   {"/items/{id}", "GET"},
                                   {"/items/{f}.tar.gz", "GET"},
                                   {"/items/{f}.gz", "GET"},
                                   {"/v{n}/info", "GET"},
                                   {"/items/special.api", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/items/7.api"), "/p#/items/{id}.api");
  EXPECT_EQ(route(t, "GET", "/p/items/7"), "/p#/items/{id}");
  EXPECT_EQ(route(t, "GET", "/p/items/special.api"), "/p#/items/special.api");
  // The param part must be non-empty: ".api" alone is a plain parameter value.
  EXPECT_EQ(route(t, "GET", "/p/items/.api"), "/p#/items/{id}");
  // A longer literal part is more specific.
  EXPECT_EQ(route(t, "GET", "/p/items/a.tar.gz"), "/p#/items/{f}.tar.gz");
  EXPECT_EQ(route(t, "GET", "/p/items/a.gz"), "/p#/items/{f}.gz");
  EXPECT_EQ(route(t, "GET", "/p/v2/info"), "/p#/v{n}/info");
  EXPECT_EQ(route(t, "GET", "/p/v/info"), "404");
  EXPECT_EQ(route(t, "GET", "/p/x2/info"), "404");
}

TEST_F(RouteTableTest, TrailingWildcard) {
  artifact_.apis = {makeApi("/p", {{"/files/*", "GET"}, {"/files/readme", "GET"}, {"/*", "PUT"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/files/a/b/c"), "/p#/files/*");
  EXPECT_EQ(route(t, "GET", "/p/files"), "/p#/files/*");  // empty remainder
  EXPECT_EQ(route(t, "GET", "/p/files/"), "/p#/files/*");
  EXPECT_EQ(route(t, "GET", "/p/files/readme"), "/p#/files/readme");
  EXPECT_EQ(route(t, "GET", "/p/files/readme/x"), "/p#/files/*");
  EXPECT_EQ(route(t, "PUT", "/p/anything/at/all"), "/p#/*");
  EXPECT_EQ(route(t, "PUT", "/p"), "/p#/*");
  // A wildcard template matches, but not for DELETE.
  EXPECT_EQ(route(t, "DELETE", "/p/zzz"), "405 PUT");
}

TEST_F(RouteTableTest, ParamBeatsWildcard) {
  artifact_.apis = {makeApi("/p", {{"/a/*", "GET"}, {"/a/{x}", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/a/1"), "/p#/a/{x}");
  EXPECT_EQ(route(t, "GET", "/p/a/1/2"), "/p#/a/*");
}

TEST_F(RouteTableTest, StarInTheMiddleIsLiteral) {
  artifact_.apis = {makeApi("/p", {{"/a/*/b", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/a/*/b"), "/p#/a/*/b");
  EXPECT_EQ(route(t, "GET", "/p/a/x/b"), "404");
}

TEST_F(RouteTableTest, BasePathSegmentBoundary) {
  artifact_.apis = {makeApi("/petstore/v1", {{"/pets", "GET"}, {"/", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/petstore/v1x/pets"), "404");
  EXPECT_EQ(route(t, "GET", "/petstore/v1x"), "404");
  EXPECT_EQ(route(t, "GET", "/petstore"), "404");
  EXPECT_EQ(route(t, "GET", "/petstore/v1/pets"), "/petstore/v1#/pets");
  EXPECT_EQ(route(t, "GET", "/petstore/v1"), "/petstore/v1#/");
  EXPECT_EQ(route(t, "GET", "/petstore/v1/"), "/petstore/v1#/");
  EXPECT_EQ(route(t, "GET", "/PetStore/v1/pets"), "404");
}

TEST_F(RouteTableTest, PathAfterBase) {
  artifact_.apis = {makeApi("/petstore/v1/", {{"/pets/{id}", "GET"}, {"/", "GET"}})};
  RouteTable t(artifact_);
  RouteMatch m = t.match("GET", "/petstore/v1/pets/7");
  ASSERT_EQ(m.status, MatchStatus::Matched);
  EXPECT_EQ(m.path_after_base, "/pets/7");
  m = t.match("GET", "/petstore/v1");
  ASSERT_EQ(m.status, MatchStatus::Matched);
  EXPECT_EQ(m.path_after_base, "");
  m = t.match("GET", "/petstore/v1/");
  ASSERT_EQ(m.status, MatchStatus::Matched);
  EXPECT_EQ(m.path_after_base, "/");
  // Trailing slash is kept in what is forwarded.
  m = t.match("GET", "/petstore/v1/pets/7/");
  ASSERT_EQ(m.status, MatchStatus::Matched);
  EXPECT_EQ(m.path_after_base, "/pets/7/");
  // The query never is.
  m = t.match("GET", "/petstore/v1/pets/7?x=/y");
  ASSERT_EQ(m.status, MatchStatus::Matched);
  EXPECT_EQ(m.path_after_base, "/pets/7");
}

TEST_F(RouteTableTest, LongestBasePathWins) {
  artifact_.apis = {makeApi("/a", {{"/b/c", "GET"}, {"/*", "GET"}}),
                    makeApi("/a/b", {{"/c", "POST"}, {"/d", "GET"}}),
                    makeApi("/a/b/c/d", {{"/", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/a/b/d"), "/a/b#/d");
  // The longest base path is chosen even if its resources do not match the rest.
  EXPECT_EQ(route(t, "GET", "/a/b/c"), "405 POST");
  EXPECT_EQ(route(t, "GET", "/a/b/x"), "404");
  EXPECT_EQ(route(t, "GET", "/a/x"), "/a#/*");
  EXPECT_EQ(route(t, "GET", "/a/b/c/d"), "/a/b/c/d#/");
  EXPECT_EQ(route(t, "GET", "/a/b/c/de"), "404");  // base /a/b, template /c/de unknown
  RouteMatch m = t.match("GET", "/a/b/c/d/");
  EXPECT_EQ(m.api_index, 2u);
  EXPECT_EQ(m.path_after_base, "/");
}

TEST_F(RouteTableTest, FirstApiWinsAmongEqualBasePaths) {
  artifact_.apis = {makeApi("/dup", {{"/x", "GET"}}), makeApi("/dup/", {{"/x", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(t.match("GET", "/dup/x").api_index, 0u);
}

TEST_F(RouteTableTest, RootBasePathMatchesEverythingButLosesToLonger) {
  artifact_.apis = {makeApi("/", {{"/x", "GET"}, {"/", "GET"}}), makeApi("/svc", {{"/x", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/x"), "/#/x");
  EXPECT_EQ(route(t, "GET", "/"), "/#/");
  EXPECT_EQ(route(t, "GET", ""), "/#/");
  EXPECT_EQ(route(t, "GET", "/svc/x"), "/svc#/x");
  EXPECT_EQ(route(t, "GET", "/svcx"), "404");  // root API, no template /svcx
  RouteMatch m = t.match("GET", "/x");
  EXPECT_EQ(m.path_after_base, "/x");
}

TEST_F(RouteTableTest, CatchAllBasePathHasLowestPriority) {
  artifact_.apis = {makeApi("/*", {{"/*", "GET"}}), makeApi("/", {{"/only", "GET"}}),
                    makeApi("/svc", {{"/x", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/svc/x"), "/svc#/x");
  // "/" matches every path, so it is chosen before "/*".
  EXPECT_EQ(route(t, "GET", "/only"), "/#/only");
  EXPECT_EQ(route(t, "GET", "/other"), "404");

  artifact_.apis = {makeApi("/*", {{"/*", "GET"}}), makeApi("/svc", {{"/x", "GET"}})};
  RouteTable t2(artifact_);
  EXPECT_EQ(route(t2, "GET", "/other/deep"), "/*#/*");
  EXPECT_EQ(route(t2, "GET", "/svc/x"), "/svc#/x");
  EXPECT_EQ(route(t2, "GET", "/svc/y"), "404");
  RouteMatch m = t2.match("GET", "/other/deep");
  EXPECT_EQ(m.path_after_base, "/other/deep");
  EXPECT_EQ(m.api_index, 0u);
}

TEST_F(RouteTableTest, NotFoundVersusMethodNotAllowed) {
  artifact_.apis = {makeApi("/p", {{"/pets", "POST"},
                                   {"/pets", "GET"},
                                   {"/pets/", "DELETE"},
                                   {"/pets/{id}", "PUT"},
                                   {"/pets/{id}", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "PATCH", "/p/pets"), "405 DELETE, GET, POST");
  EXPECT_EQ(route(t, "DELETE", "/p/pets"), "/p#/pets/");
  EXPECT_EQ(route(t, "POST", "/p/pets/1"), "405 GET, PUT");
  EXPECT_EQ(route(t, "GET", "/p/cats"), "404");
  EXPECT_EQ(route(t, "GET", "/q/pets"), "404");
  // HEAD is not implied by GET, OPTIONS is not special, methods are case-sensitive.
  EXPECT_EQ(route(t, "HEAD", "/p/pets"), "405 DELETE, GET, POST");
  EXPECT_EQ(route(t, "OPTIONS", "/p/pets/1"), "405 GET, PUT");
  EXPECT_EQ(route(t, "get", "/p/pets"), "405 DELETE, GET, POST");
  RouteMatch m = t.match("PATCH", "/p/pets");
  EXPECT_EQ(m.api_index, 0u);
}

TEST_F(RouteTableTest, LessSpecificTemplateServesAMethodTheMostSpecificLacks) {
  artifact_.apis = {makeApi("/p", {{"/pets/mine", "GET"}, {"/pets/{id}", "DELETE"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "DELETE", "/p/pets/mine"), "/p#/pets/{id}");
  // Allow lists the most specific template's methods only.
  EXPECT_EQ(route(t, "PUT", "/p/pets/mine"), "405 GET");
}

TEST_F(RouteTableTest, PercentEncodedSegmentsAreComparedRaw) {
  artifact_.apis = {makeApi("/p", {{"/a%2Fb", "GET"}, {"/files/{name}", "GET"}, {"/a/b", "POST"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/a%2Fb"), "/p#/a%2Fb");
  EXPECT_EQ(route(t, "GET", "/p/a%2fb"), "404");  // raw text, no case folding of escapes
  EXPECT_EQ(route(t, "POST", "/p/a%2Fb"), "405 GET");
  EXPECT_EQ(route(t, "GET", "/p/a/b"), "405 POST");
  // "%2F" is not a separator: one segment for "{name}".
  EXPECT_EQ(route(t, "GET", "/p/files/x%2F..%2Fy"), "/p#/files/{name}");
  EXPECT_EQ(route(t, "GET", "/p/files/x/y"), "404");
}

TEST_F(RouteTableTest, TrailingSlashes) {
  artifact_.apis = {makeApi("/p", {{"/pets", "GET"}, {"/toys/", "GET"}, {"/cats/{id}", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/pets"), "/p#/pets");
  EXPECT_EQ(route(t, "GET", "/p/pets/"), "/p#/pets");
  EXPECT_EQ(route(t, "GET", "/p/toys"), "/p#/toys/");
  EXPECT_EQ(route(t, "GET", "/p/toys/"), "/p#/toys/");
  // Only one trailing slash is insignificant; "{id}" needs a non-empty segment.
  EXPECT_EQ(route(t, "GET", "/p/pets//"), "404");
  EXPECT_EQ(route(t, "GET", "/p/cats/"), "404");
  EXPECT_EQ(route(t, "GET", "/p/cats/1/"), "/p#/cats/{id}");
  EXPECT_EQ(route(t, "GET", "/p/cats//"), "404");
}

TEST_F(RouteTableTest, EmptyPathAfterBase) {
  artifact_.apis = {makeApi("/p", {{"/", "GET"}}), makeApi("/q", {{"/x", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p"), "/p#/");
  EXPECT_EQ(route(t, "GET", "/p/"), "/p#/");
  EXPECT_EQ(route(t, "POST", "/p"), "405 GET");
  EXPECT_EQ(route(t, "GET", "/q"), "404");
  EXPECT_EQ(route(t, "GET", "/q/"), "404");
}

TEST_F(RouteTableTest, EmptySegmentsAreLiteral) {
  artifact_.apis = {makeApi("/p", {{"/a//b", "GET"}, {"/{x}/b", "POST"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/a//b"), "/p#/a//b");
  EXPECT_EQ(route(t, "GET", "/p/a/b"), "405 POST");  // only "{x}/b" matches
  EXPECT_EQ(route(t, "POST", "/p//b"), "404");       // "{x}" never matches an empty segment
}

TEST_F(RouteTableTest, OddTemplatesMatchOnlyTheirOwnText) {
  artifact_.apis = {makeApi("/p", {{"/{a}-{b}", "GET"},
                                   {"/{open", "GET"},
                                   {"/x}", "GET"},
                                   {"/{}", "GET"},
                                   {"noslash", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/p/{a}-{b}"), "/p#/{a}-{b}");
  EXPECT_EQ(route(t, "GET", "/p/1-2"), "404");
  EXPECT_EQ(route(t, "GET", "/p/{open"), "/p#/{open");
  EXPECT_EQ(route(t, "GET", "/p/x}"), "/p#/x}");
  EXPECT_EQ(route(t, "GET", "/p/{}"), "/p#/{}");
  EXPECT_EQ(route(t, "GET", "/p/noslash"), "/p#noslash");
}

TEST_F(RouteTableTest, DuplicateResourceKeepsTheFirst) {
  artifact_.apis = {makeApi("/p", {{"/x", "GET"}, {"/x/", "GET"}})};
  RouteTable t(artifact_);
  RouteMatch m = t.match("GET", "/p/x");
  ASSERT_EQ(m.status, MatchStatus::Matched);
  EXPECT_EQ(m.resource_index, 0u);
}

TEST_F(RouteTableTest, BadRequestPathsAreNotFound) {
  artifact_.apis = {makeApi("/p", {{"/*", "GET"}}), makeApi("/*", {{"/*", "GET"}})};
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "*"), "404");
  EXPECT_EQ(route(t, "GET", "p/x"), "404");
  EXPECT_EQ(route(t, "GET", "?x"), "/*#/*");  // empty path is "/"
  EXPECT_EQ(route(t, "", "/p"), "405 GET");
  std::string weird("/p/\0x", 5);
  EXPECT_EQ(route(t, "GET", weird), "/p#/*");
}

TEST_F(RouteTableTest, EmptyArtifact) {
  RouteTable t(artifact_);
  EXPECT_EQ(route(t, "GET", "/"), "404");
  EXPECT_EQ(route(t, "GET", "/x"), "404");
}

TEST_F(RouteTableTest, ManyApis) {
  for (int i = 0; i < 500; ++i) {
    artifact_.apis.push_back(
        makeApi("/svc" + std::to_string(i) + "/v1", {{"/items/{id}", "GET"}, {"/items", "POST"}}));
  }
  artifact_.apis.push_back(makeApi("/svc1", {{"/*", "GET"}}));
  RouteTable t(artifact_);
  for (int i = 0; i < 500; i += 37) {
    std::string base = "/svc" + std::to_string(i) + "/v1";
    RouteMatch m = t.match("GET", base + "/items/9");
    ASSERT_EQ(m.status, MatchStatus::Matched) << base;
    EXPECT_EQ(m.api_index, static_cast<uint32_t>(i));
    EXPECT_EQ(m.resource_index, 0u);
    EXPECT_EQ(t.match("POST", base + "/items").resource_index, 1u);
    EXPECT_EQ(t.match("PUT", base + "/items").allow, "POST");
  }
  EXPECT_EQ(t.match("GET", "/svc1/v2/items/9").api_index, 500u);
  EXPECT_EQ(t.match("GET", "/svc10/v1/items/9").api_index, 10u);
  EXPECT_EQ(t.match("GET", "/svc500/v1/items/9").status, MatchStatus::NotFound);
}

TEST_F(RouteTableTest, MatchingDoesNotAllocate) {
  artifact_.apis = {makeApi("/petstore/v1", {{"/pets/{id}", "GET"},
                                             {"/pets/{id}.json", "GET"},
                                             {"/pets/mine", "GET"},
                                             {"/files/*", "GET"}}),
                    makeApi("/", {{"/x", "GET"}})};
  RouteTable t(artifact_);
  long before = test::allocationCount();
  RouteMatch a = t.match("GET", "/petstore/v1/pets/42");
  RouteMatch b = t.match("GET", "/petstore/v1/pets/42.json");
  RouteMatch c = t.match("GET", "/petstore/v1/files/a/b/c");
  RouteMatch d = t.match("GET", "/petstore/v1/nothing/here");
  RouteMatch e = t.match("GET", "/elsewhere");
  long after = test::allocationCount();
  EXPECT_EQ(after - before, 0);
  EXPECT_EQ(a.status, MatchStatus::Matched);
  EXPECT_EQ(b.resource_index, 1u);
  EXPECT_EQ(c.resource_index, 3u);
  EXPECT_EQ(d.status, MatchStatus::NotFound);
  EXPECT_EQ(e.status, MatchStatus::NotFound);
}

TEST_F(RouteTableTest, LongAndDeepPathsStayCheap) {
  artifact_.apis = {makeApi("/p", {{"/{a}/{b}/{c}", "GET"}, {"/*", "POST"}})};
  RouteTable t(artifact_);
  std::string deep = "/p";
  for (int i = 0; i < 5000; ++i)
    deep += "/s";
  EXPECT_EQ(route(t, "GET", deep), "405 POST");
  EXPECT_EQ(route(t, "POST", deep), "/p#/*");
  std::string slashes(100000, '/');
  EXPECT_EQ(route(t, "GET", slashes), "404");
}

}  // namespace
}  // namespace mgw::router
