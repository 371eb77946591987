// Runtime: per-listener route tables (x-wso2-transports, mTLS-mandatory APIs, token endpoints),
// the synthetic token-endpoint APIs, outbound Basic credentials and the upstream TLS context.
#include "server/runtime.h"

#include <gtest/gtest.h>

#include "server/stream.h"

namespace mgw::server {
namespace {

config::GatewayConfig configWith(std::vector<std::string> overrides) {
  config::LoadOptions options;
  options.overrides = std::move(overrides);
  options.use_environment = false;
  auto cfg = config::load(options);
  EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().message);
  return cfg ? *cfg : config::GatewayConfig{};
}

artifact::Api api(std::string name, std::string base_path, std::vector<std::string> transports,
                  std::vector<std::string> paths, uint32_t endpoint = 0) {
  artifact::Api a;
  a.name = std::move(name);
  a.version = "v1";
  a.base_path = std::move(base_path);
  a.transports = std::move(transports);
  for (std::string& p : paths) {
    artifact::Resource r;
    r.path_template = std::move(p);
    r.method = "GET";
    r.disable_security = true;
    r.endpoints.production = endpoint;
    a.resources.push_back(std::move(r));
  }
  return a;
}

artifact::Artifact baseArtifact() {
  artifact::Artifact art;
  art.project = "t";
  artifact::Endpoint ep;
  ep.name = "plainep";
  ep.urls.push_back({"http://127.0.0.1:9/b", {}});
  art.endpoints.push_back(ep);
  art.apis.push_back(api("Both", "/both", {}, {"/x"}));
  art.apis.push_back(api("HttpOnly", "/h", {"http"}, {"/x"}));
  art.apis.push_back(api("HttpsOnly", "/s", {"https"}, {"/x"}));
  art.apis.push_back(api("Root", "/", {"http", "https"}, {"/s/shadow"}));
  artifact::Api mtls = api("Mtls", "/m", {"http", "https"}, {"/x"});
  mtls.mutual_ssl = artifact::MutualSsl::Mandatory;
  art.apis.push_back(mtls);
  artifact::Api mtls_http = api("MtlsHttp", "/mh", {"http"}, {"/x"});
  mtls_http.mutual_ssl = artifact::MutualSsl::Mandatory;
  art.apis.push_back(mtls_http);
  return art;
}

std::unique_ptr<Runtime> build(artifact::Artifact art, std::vector<std::string> overrides = {}) {
  auto rt = buildRuntime(std::move(art), configWith(std::move(overrides)));
  EXPECT_TRUE(rt) << (rt ? "" : rt.error().message);
  return rt ? std::move(*rt) : nullptr;
}

const std::string& apiName(const Runtime& rt, const router::RouteMatch& m) {
  return rt.artifact.apis[m.api_index].name;
}

router::MatchStatus status(const Runtime& rt, ListenerKind kind, std::string_view method,
                           std::string_view path) {
  return rt.routesFor(kind).match(method, path).status;
}

TEST(RoutesFor, TransportsSelectTheListener) {
  auto rt = build(baseArtifact());
  ASSERT_TRUE(rt);
  using enum router::MatchStatus;
  EXPECT_EQ(status(*rt, ListenerKind::Http, "GET", "/both/x"), Matched);
  EXPECT_EQ(status(*rt, ListenerKind::Https, "GET", "/both/x"), Matched);
  EXPECT_EQ(status(*rt, ListenerKind::Http, "GET", "/h/x"), Matched);
  EXPECT_EQ(status(*rt, ListenerKind::Https, "GET", "/h/x"), NotFound);
  EXPECT_EQ(status(*rt, ListenerKind::Http, "GET", "/s/x"), NotFound);
  EXPECT_EQ(status(*rt, ListenerKind::Https, "GET", "/s/x"), Matched);
  // The token listener serves no API.
  for (const char* path : {"/both/x", "/h/x", "/s/x", "/m/x", "/s/shadow"})
    EXPECT_EQ(status(*rt, ListenerKind::Token, "GET", path), NotFound) << path;
}

TEST(RoutesFor, MatchIndicesAreTheRuntimeApiIndices) {
  auto rt = build(baseArtifact());
  ASSERT_TRUE(rt);
  auto m = rt->routesFor(ListenerKind::Https).match("GET", "/s/x");
  ASSERT_EQ(m.status, router::MatchStatus::Matched);
  EXPECT_EQ(apiName(*rt, m), "HttpsOnly");
  EXPECT_EQ(m.path_after_base, "/x");
  EXPECT_FALSE(rt->chains[m.api_index][m.resource_index].empty());
}

TEST(RoutesFor, AnUnservedBasePathDoesNotShadowAnotherApi) {
  auto rt = build(baseArtifact());
  ASSERT_TRUE(rt);
  auto on_http = rt->routesFor(ListenerKind::Http).match("GET", "/s/shadow");
  ASSERT_EQ(on_http.status, router::MatchStatus::Matched);
  EXPECT_EQ(apiName(*rt, on_http), "Root");
  // On HTTPS the longer base path wins and has no such resource.
  EXPECT_EQ(status(*rt, ListenerKind::Https, "GET", "/s/shadow"), router::MatchStatus::NotFound);
}

TEST(RoutesFor, MandatoryMutualSslForcesHttps) {
  auto rt = build(baseArtifact());
  ASSERT_TRUE(rt);
  EXPECT_EQ(status(*rt, ListenerKind::Http, "GET", "/m/x"), router::MatchStatus::NotFound);
  EXPECT_EQ(status(*rt, ListenerKind::Https, "GET", "/m/x"), router::MatchStatus::Matched);
  // WSO2's toolkit adds https to `[http]` when mTLS is mandatory.
  EXPECT_EQ(status(*rt, ListenerKind::Http, "GET", "/mh/x"), router::MatchStatus::NotFound);
  EXPECT_EQ(status(*rt, ListenerKind::Https, "GET", "/mh/x"), router::MatchStatus::Matched);
}

TEST(RoutesFor, MandatoryMutualSslOnHttpWhenAProxyMayForwardTheCertificate) {
  auto rt = build(baseArtifact(), {"--mutualSSLConfig.trustCertificateHeader=true"});
  ASSERT_TRUE(rt);
  EXPECT_EQ(status(*rt, ListenerKind::Http, "GET", "/m/x"), router::MatchStatus::Matched);
  EXPECT_EQ(status(*rt, ListenerKind::Http, "GET", "/mh/x"), router::MatchStatus::Matched);
  EXPECT_EQ(status(*rt, ListenerKind::Https, "GET", "/mh/x"), router::MatchStatus::Matched);
}

TEST(TokenEndpoints, ServedOnTokenAndHttpsListenersOnly) {
  auto rt = build(baseArtifact());
  ASSERT_TRUE(rt);
  struct Case {
    const char* method;
    const char* path;
  };
  for (Case c : {Case{"POST", "/token"}, Case{"GET", "/authorize"}, Case{"POST", "/revoke"},
                 Case{"GET", "/userinfo"}, Case{"POST", "/token/sub/path"}}) {
    for (ListenerKind kind : {ListenerKind::Token, ListenerKind::Https}) {
      auto m = rt->routesFor(kind).match(c.method, c.path);
      ASSERT_EQ(m.status, router::MatchStatus::Matched) << c.path;
      EXPECT_GE(m.api_index, rt->token_api_begin);
      // Every filter is skipped (WSO2 `skipAll: true`).
      EXPECT_TRUE(rt->chains[m.api_index][m.resource_index].empty());
    }
    EXPECT_EQ(status(*rt, ListenerKind::Http, c.method, c.path), router::MatchStatus::NotFound);
  }
  auto wrong = rt->routesFor(ListenerKind::Token).match("GET", "/token");
  EXPECT_EQ(wrong.status, router::MatchStatus::MethodNotAllowed);
  EXPECT_EQ(wrong.allow, "POST");
  EXPECT_EQ(rt->token_api_begin, 6u);
  EXPECT_EQ(rt->artifact.apis.size(), 10u);
}

const upstream::Url& tokenUrl(const Runtime& rt, const char* method, const char* path) {
  auto m = rt.routesFor(ListenerKind::Token).match(method, path);
  EXPECT_EQ(m.status, router::MatchStatus::Matched);
  const artifact::Resource& res = rt.artifact.apis[m.api_index].resources[m.resource_index];
  return rt.endpoints[*res.endpoints.production][0]->urls()[0];
}

TEST(TokenEndpoints, ProxyToTheKeyManagerTokenContext) {
  auto rt = build(baseArtifact());
  ASSERT_TRUE(rt);
  const upstream::Url& url = tokenUrl(*rt, "POST", "/token");
  // Reference §3 defaults: https://localhost:9443, tokenContext oauth2.
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.host, "localhost");
  EXPECT_EQ(url.port, 9443);
  EXPECT_EQ(url.path_prefix, "/oauth2/token");
  EXPECT_EQ(tokenUrl(*rt, "GET", "/userinfo").path_prefix, "/oauth2/userinfo");
  EXPECT_EQ(tokenUrl(*rt, "GET", "/authorize").path_prefix, "/oauth2/authorize");
  EXPECT_EQ(tokenUrl(*rt, "POST", "/revoke").path_prefix, "/oauth2/revoke");
}

TEST(TokenEndpoints, ServerUrlAndContextAreConfigurable) {
  auto rt = build(baseArtifact(), {"--keyManager.serverUrl=http://km.example:8080/base/",
                                   "--keyManager.tokenContext=/ctx/"});
  ASSERT_TRUE(rt);
  const upstream::Url& url = tokenUrl(*rt, "POST", "/token");
  EXPECT_FALSE(url.tls);
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(url.path_prefix, "/base/ctx/token");
  auto empty_ctx = build(baseArtifact(), {"--keyManager.tokenContext="});
  ASSERT_TRUE(empty_ctx);
  EXPECT_EQ(tokenUrl(*empty_ctx, "POST", "/token").path_prefix, "/token");
}

TEST(TokenEndpoints, BadServerUrlRefusesTheStart) {
  auto rt = buildRuntime(baseArtifact(), configWith({"--keyManager.serverUrl=ftp://km"}));
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("serverUrl"), std::string::npos);
}

artifact::Artifact basicArtifact(std::string username, std::string password) {
  artifact::Artifact art = baseArtifact();
  art.endpoints[0].name = "secured";
  art.endpoints[0].security = artifact::EndpointSecurity{"basic", username, password};
  art.apis[0].resources[0].endpoints.sandbox = 0;
  return art;
}

TEST(OutboundBasicAuth, PasswordFromTheRuntimeKey) {
  auto rt = build(basicArtifact("svc", ""),
                  {"--secured_prod_basic_password=pw1", "--secured_sand_basic_password=pw2",
                   "--secured_sand_basic_username=sandy"});
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->endpoints[0][0]->authorization(), upstream::basicAuthorization("svc", "pw1"));
  EXPECT_EQ(rt->endpoints[0][1]->authorization(), upstream::basicAuthorization("sandy", "pw2"));
}

TEST(OutboundBasicAuth, DefinitionPasswordIsKeptWithoutAnOverride) {
  auto rt = build(basicArtifact("svc", "inline"));
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->endpoints[0][0]->authorization(), upstream::basicAuthorization("svc", "inline"));
}

TEST(OutboundBasicAuth, EndpointsWithoutSecurityConfigSendNothing) {
  auto rt = build(baseArtifact());
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->endpoints[0][0]->authorization(), "");
}

TEST(UpstreamTls, ContextFollowsHttpClientsSettings) {
  auto rt = build(baseArtifact());
  ASSERT_TRUE(rt);
  ASSERT_TRUE(rt->upstream_tls);
  EXPECT_TRUE(rt->upstream_tls->verifyHostname());
  auto lax = build(baseArtifact(), {"--httpClients.verifyHostname=false"});
  ASSERT_TRUE(lax);
  EXPECT_TRUE(lax->upstream_tls->verifyPeer());
  EXPECT_FALSE(lax->upstream_tls->verifyHostname());
}

}  // namespace
}  // namespace mgw::server
