// Endpoint URLs (https) and the outbound Basic credentials of `securityConfig`.
#include "upstream/endpoint.h"

#include <gtest/gtest.h>

namespace mgw::upstream {
namespace {

TEST(BasicAuthorization, EncodesUserColonPasswordAsRfc7617) {
  // RFC 7617 §2 example.
  EXPECT_EQ(basicAuthorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(basicAuthorization("svc", ""), "Basic c3ZjOg==");
  EXPECT_EQ(basicAuthorization("", ""), "Basic Og==");
  // UTF-8 passes through as bytes (RFC 7617 §2.1 charset UTF-8).
  EXPECT_EQ(basicAuthorization("test", "123\xC2\xA3"), "Basic dGVzdDoxMjPCow==");
  // Padding lengths 0, 1 and 2.
  EXPECT_EQ(basicAuthorization("ab", "c"), "Basic YWI6Yw==");
  EXPECT_EQ(basicAuthorization("ab", "cd"), "Basic YWI6Y2Q=");
  EXPECT_EQ(basicAuthorization("ab", "cde"), "Basic YWI6Y2Rl");
}

TEST(ParseUrl, HttpsDefaultsToPort443AndHasItsOwnPoolKey) {
  auto tls = parseUrl("https://backend.example/api/");
  ASSERT_TRUE(tls);
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, 443);
  EXPECT_EQ(tls->host_header, "backend.example");
  EXPECT_EQ(tls->path_prefix, "/api");
  auto plain = parseUrl("http://backend.example:443/api");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls);
  // Same host and port, different scheme: never the same pooled connection.
  EXPECT_NE(tls->pool_key, plain->pool_key);
  auto explicit_port = parseUrl("HTTPS://[::1]:8443");
  ASSERT_TRUE(explicit_port);
  EXPECT_TRUE(explicit_port->tls);
  EXPECT_EQ(explicit_port->host, "::1");
  EXPECT_EQ(explicit_port->host_header, "[::1]:8443");
}

TEST(ParseUrl, RefusesOtherSchemes) {
  EXPECT_FALSE(parseUrl("ftp://x/"));
  EXPECT_FALSE(parseUrl("https//x/"));
  EXPECT_FALSE(parseUrl("https://"));
  EXPECT_FALSE(parseUrl("https://user:pw@host/"));
}

TEST(EndpointRuntime, AuthorizationIsEmptyUntilSet) {
  EndpointRuntime ep("ep", artifact::EndpointType::Http, {}, 1000);
  EXPECT_EQ(ep.authorization(), "");
  ep.setAuthorization(basicAuthorization("a", "b"));
  EXPECT_EQ(ep.authorization(), "Basic YTpi");
}

}  // namespace
}  // namespace mgw::upstream
