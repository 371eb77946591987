// Every x-wso2-* extension of reference §2, parsed and type-checked.
#include <gtest/gtest.h>

#include "mgw/base/strings.h"
#include "test_util.h"

namespace mgw::openapi::testing {
namespace {

using artifact::AuthScheme;
using artifact::EndpointType;
using artifact::InterceptorKind;
using artifact::MutualSsl;

const artifact::Resource& firstResource(const CompileOutput& out) {
  return out.artifact.apis.at(0).resources.at(0);
}

TEST(Endpoints, ReferencesTypesAndAdvanceConfig) {
  const char* doc = R"(openapi: 3.0.0
info: {title: Eps, version: "2"}
x-wso2-basePath: /eps
x-wso2-production-endpoints: "#/x-wso2-endpoints/main"
x-wso2-sandbox-endpoints:
  $ref: "#/x-wso2-endpoints/pair"
x-wso2-endpoints:
  - main:
      type: failover
      urls:
        - https://a.local:8443/api
        - etcd(shopKey, https://b.local:8443/api)
      securityConfig: {type: basic, username: svc, password: secret}
      advanceEndpointConfig:
        timeoutInMillis: 5000
        retryConfig: {count: 2, intervalInMillis: 100, backOffFactor: 1.5,
                      maxWaitIntervalInMillis: 1000, statusCodes: [503, 504]}
        circuitBreaker:
          rollingWindow: {requestVolumeThreshold: 1, timeWindowInMillis: 60000,
                          bucketSizeInMillis: 2000}
          failureThreshold: 0.2
          resetTimeInMillis: 5000
          statusCodes: [500]
        poolConfig: {maxActiveConnections: 10, maxIdleConnections: 5, waitTimeInMillis: 100,
                     maxActiveStreamsPerConnection: 20}
  - pair:
      urls: ["http://[::1]:9000/x", "http://127.0.0.1:9001/x"]
  - unused:
      urls: ["http://unused:1"]
paths:
  /a: {get: {responses: {"200": {description: ok}}}}
  /b:
    get:
      x-wso2-production-endpoints: {urls: ["http://op.local/b"]}
      responses: {"200": {description: ok}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  const auto& eps = out.artifact.endpoints;
  ASSERT_EQ(eps.size(), 3u);  // main, pair, the /b inline one; unused is not emitted
  const auto& main = eps[0];
  EXPECT_EQ(main.name, "main");
  EXPECT_EQ(main.type, EndpointType::Failover);
  ASSERT_EQ(main.urls.size(), 2u);
  EXPECT_EQ(main.urls[1].etcd_key, "shopKey");
  EXPECT_EQ(main.urls[1].url, "https://b.local:8443/api");
  ASSERT_TRUE(main.security.has_value());
  EXPECT_EQ(main.security->type, "basic");
  EXPECT_EQ(main.security->username, "svc");
  EXPECT_EQ(main.security->password, "secret");
  EXPECT_EQ(main.advance.timeout_ms, 5000);
  ASSERT_TRUE(main.advance.retry.has_value());
  EXPECT_EQ(main.advance.retry->count, 2);
  EXPECT_EQ(main.advance.retry->interval_ms, 100);
  EXPECT_DOUBLE_EQ(main.advance.retry->back_off_factor, 1.5);
  EXPECT_EQ(main.advance.retry->max_wait_interval_ms, 1000);
  EXPECT_EQ(main.advance.retry->status_codes, (std::vector<int>{503, 504}));
  ASSERT_TRUE(main.advance.circuit_breaker.has_value());
  EXPECT_EQ(main.advance.circuit_breaker->request_volume_threshold, 1);
  EXPECT_EQ(main.advance.circuit_breaker->bucket_size_ms, 2000);
  EXPECT_DOUBLE_EQ(main.advance.circuit_breaker->failure_threshold, 0.2);
  EXPECT_EQ(main.advance.circuit_breaker->reset_time_ms, 5000);
  ASSERT_TRUE(main.advance.pool.has_value());
  EXPECT_EQ(main.advance.pool->max_active_connections, 10);
  EXPECT_EQ(main.advance.pool->max_active_streams_per_connection, 20);
  EXPECT_EQ(eps[1].name, "pair");
  EXPECT_EQ(eps[1].type, EndpointType::LoadBalance);  // default for several urls
  EXPECT_EQ(eps[2].name, "res_" + sha256Hex("Eps:2:GET:/b").substr(0, 16));
  const auto& api = out.artifact.apis.at(0);
  EXPECT_EQ(api.endpoints.production, 0u);
  EXPECT_EQ(api.endpoints.sandbox, 1u);
  EXPECT_EQ(api.resources[0].endpoints.production, 0u);
  EXPECT_EQ(api.resources[1].endpoints.production, 2u);  // operation overrides API
  EXPECT_EQ(api.resources[1].endpoints.sandbox, 1u);     // the other side is inherited
}

TEST(Endpoints, DeduplicatedAcrossApis) {
  std::string ref_eps = "x-wso2-endpoints:\n  - shared: {urls: [\"http://s:1\"]}\n";
  std::string a =
      oas3(ref_eps, "      x-wso2-sandbox-endpoints: \"#/x-wso2-endpoints/shared\"\n", "A");
  std::string b =
      oas3(ref_eps, "      x-wso2-sandbox-endpoints: \"#/x-wso2-endpoints/shared\"\n", "B");
  CompileOutput out = compileFiles({{"api_definitions/a.yaml", a}, {"api_definitions/b.yaml", b}});
  EXPECT_CLEAN(out);
  int shared = 0;
  for (const auto& e : out.artifact.endpoints)
    shared += e.name == "shared" ? 1 : 0;
  EXPECT_EQ(shared, 1);
  EXPECT_EQ(out.artifact.endpoints.size(), 3u);  // shared + two api_<hash> endpoints
}

TEST(Endpoints, SameNameDifferentSettingsWarns) {
  std::string a = oas3("x-wso2-endpoints:\n  - ep: {urls: [\"http://one:1\"]}\n",
                       "      x-wso2-sandbox-endpoints: \"#/x-wso2-endpoints/ep\"\n", "A");
  std::string b = oas3("x-wso2-endpoints:\n  - ep: {urls: [\"http://two:1\"]}\n",
                       "      x-wso2-sandbox-endpoints: \"#/x-wso2-endpoints/ep\"\n", "B");
  CompileOutput out = compileFiles({{"api_definitions/a.yaml", a}, {"api_definitions/b.yaml", b}});
  EXPECT_CLEAN(out);
  EXPECT_TRUE(mentions(out, "warning: endpoint 'ep' is also defined, differently, by another API"))
      << dump(out);
}

TEST(Endpoints, Errors) {
  const char* doc = R"(openapi: 3.0.0
info: {title: Bad, version: "1"}
x-wso2-basePath: /bad
x-wso2-production-endpoints: "http://not-a-ref"
x-wso2-sandbox-endpoints: [1, 2]
x-wso2-endpoints:
  - good: {urls: ["http://g:1"]}
  - good: {urls: ["http://g:2"]}
  - "bad name": {urls: ["http://g:1"]}
  - nourls: {type: http}
  - emptyurls: {urls: []}
  - badurls:
      urls:
      - http://host:0/x
      - http://host:99999
      - http://us@er:pw@host/
      - "http:// space"
      - http://host/a#frag
      - etcd(k)
      - etcd(,http://x)
  - sec: {urls: ["http://s"], securityConfig: {type: digest, username: u}}
  - sec2: {urls: ["http://s"], securityConfig: {type: basic}}
  - adv:
      urls: ["http://s"]
      advanceEndpointConfig:
        timeoutInMillis: -1
        retryConfig: {count: "two", statusCodes: [700]}
        circuitBreaker: {failureThreshold: 2}
        poolConfig: {maxActiveConnections: x}
paths:
  /a: {get: {responses: {"200": {description: ok}}}}
)";
  CompileOutput out = compileOne(doc);
  std::string d = dump(out);
  const std::string f = "api_definitions/api.yaml:";
  EXPECT_TRUE(hasLine(out, f + "4:30: /x-wso2-production-endpoints: expected an endpoint object "
                               "{urls: [...]} or \"#/x-wso2-endpoints/<name>\""))
      << d;
  EXPECT_TRUE(hasLine(out, f + "5:27: /x-wso2-sandbox-endpoints: expected an endpoint object "
                               "{urls: [...]} or \"#/x-wso2-endpoints/<name>\""))
      << d;
  EXPECT_TRUE(hasLine(out, f + "8:11: /x-wso2-endpoints/1/good: duplicate endpoint 'good' in "
                               "x-wso2-endpoints"))
      << d;
  EXPECT_TRUE(mentions(out, "invalid endpoint name 'bad name'")) << d;
  EXPECT_TRUE(hasLine(out, f + "10:13: /x-wso2-endpoints/3/nourls: endpoint has no urls")) << d;
  EXPECT_TRUE(hasLine(out, f + "11:23: /x-wso2-endpoints/4/emptyurls/urls: urls must be a "
                               "non-empty list of URLs"))
      << d;
  EXPECT_TRUE(mentions(out, "malformed endpoint URL 'http://host:0/x': invalid port '0'")) << d;
  EXPECT_TRUE(mentions(out, "malformed endpoint URL 'http://host:99999': invalid port '99999'"))
      << d;
  EXPECT_TRUE(mentions(out, "'http://us@er:pw@host/': user info in the URL is not supported")) << d;
  EXPECT_TRUE(mentions(out, "'http:// space': contains whitespace or a control character")) << d;
  EXPECT_TRUE(mentions(out, "'http://host/a#frag': a fragment ('#') is not allowed")) << d;
  EXPECT_TRUE(mentions(out, "malformed etcd endpoint 'etcd(k)': expected etcd(<key>,<defaultUrl>)"))
      << d;
  EXPECT_TRUE(mentions(out, "malformed etcd endpoint 'etcd(,http://x)': empty or invalid etcd key"))
      << d;
  EXPECT_TRUE(mentions(
      out, "/securityConfig/type: unsupported securityConfig type 'digest': expected basic"))
      << d;
  EXPECT_TRUE(
      mentions(out, "/x-wso2-endpoints/7/sec2/securityConfig: securityConfig has no username"))
      << d;
  EXPECT_TRUE(mentions(out, "/advanceEndpointConfig/timeoutInMillis: must be between 0 and")) << d;
  EXPECT_TRUE(mentions(out, "/retryConfig/count: expected an integer, got 'two'")) << d;
  EXPECT_TRUE(mentions(out, "/retryConfig/statusCodes/0: must be between 100 and 599, got 700"))
      << d;
  EXPECT_TRUE(mentions(out, "/circuitBreaker/failureThreshold: must be between 0 and 1, got 2"))
      << d;
  EXPECT_TRUE(mentions(out, "/poolConfig/maxActiveConnections: expected an integer, got 'x'")) << d;
  EXPECT_TRUE(out.artifact.apis.empty());
}

TEST(Endpoints, HttpTypeWithManyUrlsWarns) {
  std::string doc = oas3(
      "", "      x-wso2-sandbox-endpoints: {type: http, urls: [\"http://a:1\", \"http://b:1\"]}\n");
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  EXPECT_TRUE(mentions(out, "warning: endpoint type http uses only the first of 2 urls"))
      << dump(out);
}

TEST(Security, DisableSecurityAndAuthType) {
  std::string doc = oas3("x-wso2-disable-security: true\n");
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  EXPECT_TRUE(firstResource(out).disable_security);

  CompileOutput over =
      compileOne(oas3("x-wso2-disable-security: true\n", "      x-wso2-disable-security: false\n"));
  EXPECT_CLEAN(over);
  EXPECT_FALSE(firstResource(over).disable_security);

  CompileOutput none = compileOne(oas3("", "      x-auth-type: None\n"));
  EXPECT_CLEAN(none);
  EXPECT_TRUE(firstResource(none).disable_security);

  CompileOutput app = compileOne(oas3("", "      x-auth-type: Application & Application User\n"));
  EXPECT_CLEAN(app);
  EXPECT_FALSE(firstResource(app).disable_security);

  CompileOutput bad = compileOne(oas3("", "      x-wso2-disable-security: \"true\"\n"));
  EXPECT_TRUE(hasLine(bad,
                      "api_definitions/api.yaml:15:32: /paths/~1items/get/"
                      "x-wso2-disable-security: expected a boolean (true or false), got "
                      "'true'"))
      << dump(bad);
}

TEST(Security, OpenApiSchemesMapping) {
  const char* doc = R"(openapi: 3.0.0
info: {title: Sec, version: "1"}
x-wso2-basePath: /sec
x-wso2-production-endpoints: {urls: ["http://h:1"]}
security:
  - oauth: [read]
components:
  securitySchemes:
    oauth: {type: oauth2, flows: {}}
    jwt: {type: http, scheme: bearer, bearerFormat: JWT}
    basic: {type: http, scheme: basic}
    key: {type: apiKey, in: header, name: X-Key}
    qkey: {type: apiKey, in: query, name: key}
    cookie: {type: apiKey, in: cookie, name: c}
    digest: {type: http, scheme: digest}
    oidc: {$ref: "#/components/x-shared/oidc"}
  x-shared:
    oidc: {type: openIdConnect, openIdConnectUrl: "http://x/.well-known"}
paths:
  /root: {get: {responses: {"200": {description: ok}}}}
  /op:
    get:
      security: [{jwt: [a, b]}, {basic: [b]}, {key: [], qkey: []}, {cookie: []}, {digest: []}]
      x-scope: legacy
      responses: {"200": {description: ok}}
  /empty:
    get:
      security: []
      responses: {"200": {description: ok}}
  /oidc:
    get:
      security: [{oidc: []}]
      responses: {"200": {description: ok}}
  /unknown:
    get:
      security: [{nope: []}]
      responses: {"200": {description: ok}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/api.yaml:36:25: /paths/~1unknown/get/security/0/nope: "
                      "warning: unknown security scheme 'nope' (not declared in "
                      "components.securitySchemes): it and its scopes are ignored"))
      << dump(out);
  const auto& unknown = out.artifact.apis.at(0).resources.at(4);
  EXPECT_EQ(unknown.path_template, "/unknown");
  EXPECT_TRUE(unknown.auth.empty());  // nothing usable left -> default oauth2, never unsecured
  EXPECT_FALSE(unknown.disable_security);
  EXPECT_TRUE(mentions(out, "warning: apiKey in cookie ('cookie') is not supported")) << dump(out);
  EXPECT_TRUE(mentions(out, "warning: http scheme 'digest' of 'digest' is not supported"))
      << dump(out);

  // Compile again without the /unknown operation to look at the model.
  std::string fixed = doc;
  fixed.erase(fixed.find("  /unknown:"));
  CompileOutput ok = compileOne(fixed);
  EXPECT_CLEAN(ok);
  const auto& rs = ok.artifact.apis.at(0).resources;
  ASSERT_EQ(rs.size(), 4u);
  ASSERT_EQ(rs[0].auth.size(), 1u);
  EXPECT_EQ(rs[0].auth[0].type, AuthScheme::Type::OAuth2);
  EXPECT_EQ(rs[0].scopes, (std::vector<std::string>{"read"}));
  const auto& op = rs[1];
  ASSERT_EQ(op.auth.size(), 4u);
  EXPECT_EQ(op.auth[0].type, AuthScheme::Type::OAuth2);
  EXPECT_EQ(op.auth[0].name, "jwt");
  EXPECT_EQ(op.auth[1].type, AuthScheme::Type::Basic);
  EXPECT_EQ(op.auth[2].key_name, "X-Key");
  EXPECT_EQ(op.auth[2].in, "header");
  EXPECT_EQ(op.auth[3].in, "query");
  EXPECT_EQ(op.scopes, (std::vector<std::string>{"a", "b", "legacy"}));
  EXPECT_TRUE(rs[2].auth.empty());  // security: [] -> default oauth2 at runtime
  ASSERT_EQ(rs[3].auth.size(), 1u);
  EXPECT_EQ(rs[3].auth[0].type, AuthScheme::Type::OAuth2);
}

TEST(Security, ApplicationSecurity) {
  const char* doc = R"(openapi: 3.0.0
info: {title: App, version: "1"}
x-wso2-basePath: /app
x-wso2-production-endpoints: {urls: ["http://h:1"]}
x-wso2-application-security:
  security-types: [basic_auth, api_key]
security: [{oauth: []}]
components:
  securitySchemes:
    oauth: {type: oauth2, flows: {}}
paths:
  /a: {get: {responses: {"200": {description: ok}}}}
  /b:
    get:
      x-wso2-application-security: {security-types: [oauth2]}
      responses: {"200": {description: ok}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  const auto& rs = out.artifact.apis.at(0).resources;
  ASSERT_EQ(rs[0].auth.size(), 3u);
  EXPECT_EQ(rs[0].auth[0].type, AuthScheme::Type::Basic);
  EXPECT_EQ(rs[0].auth[1].type, AuthScheme::Type::ApiKey);
  EXPECT_EQ(rs[0].auth[1].in, "header");
  EXPECT_EQ(rs[0].auth[1].key_name, "apikey");
  EXPECT_EQ(rs[0].auth[2].in, "query");
  EXPECT_EQ(rs[0].auth[2].key_name, "apikey");
  ASSERT_EQ(rs[1].auth.size(), 1u);
  EXPECT_EQ(rs[1].auth[0].type, AuthScheme::Type::OAuth2);
  EXPECT_FALSE(rs[1].app_security_optional);
}

TEST(Security, OptionalAppSecurityNeedsMandatoryMtls) {
  std::string bad =
      oas3("x-wso2-application-security:\n  security-types: [oauth2]\n  optional: true\n");
  CompileOutput out = compileOne(bad);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/api.yaml:11:13: /x-wso2-application-security/optional: "
                      "x-wso2-application-security optional: true requires "
                      "x-wso2-mutual-ssl: mandatory"))
      << dump(out);
  std::string good = oas3(
      "x-wso2-mutual-ssl: mandatory\nx-wso2-application-security:\n"
      "  security-types: [oauth2]\n  optional: true\n");
  CompileOutput ok = compileOne(good);
  EXPECT_CLEAN(ok);
  EXPECT_TRUE(firstResource(ok).app_security_optional);
  CompileOutput op_level = compileOne(
      oas3("", "      x-wso2-application-security: {security-types: [oauth2], optional: true}\n"));
  EXPECT_TRUE(mentions(op_level,
                       "/paths/~1items/get/x-wso2-application-security/optional: "
                       "x-wso2-application-security optional: true requires"))
      << dump(op_level);
  CompileOutput types =
      compileOne(oas3("x-wso2-application-security: {security-types: [saml], optional: maybe}\n"));
  EXPECT_TRUE(mentions(
      types, "/x-wso2-application-security/security-types/0: unknown security type 'saml'"))
      << dump(types);
  EXPECT_TRUE(mentions(types, "/x-wso2-application-security/optional: expected a boolean"))
      << dump(types);
}

TEST(Security, MutualSslTransportsAuthHeaderOwnerCache) {
  std::string doc = oas3(
      "x-wso2-mutual-ssl: optional\n"
      "x-wso2-transports: [https, http, https]\n"
      "x-wso2-auth-header: X-Auth\n"
      "x-wso2-owner: alice\n"
      "x-wso2-response-cache: {enabled: true, cacheTimeoutInSeconds: 60}\n");
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  const auto& api = out.artifact.apis.at(0);
  EXPECT_EQ(api.mutual_ssl, MutualSsl::Optional);
  EXPECT_EQ(api.transports, (std::vector<std::string>{"http", "https"}));
  EXPECT_EQ(api.auth_header, "X-Auth");
  EXPECT_EQ(api.owner, "alice");
  EXPECT_TRUE(api.response_cache.enabled);
  EXPECT_EQ(api.response_cache.timeout_seconds, 60);

  CompileOutput forced =
      compileOne(oas3("x-wso2-mutual-ssl: MANDATORY\nx-wso2-transports: [http, https]\n"));
  EXPECT_CLEAN(forced);
  EXPECT_EQ(forced.artifact.apis.at(0).mutual_ssl, MutualSsl::Mandatory);
  EXPECT_EQ(forced.artifact.apis.at(0).transports, (std::vector<std::string>{"https"}));
  EXPECT_TRUE(mentions(
      forced, "warning: x-wso2-mutual-ssl is mandatory: the API is served over https only"));

  CompileOutput bad = compileOne(oas3(
      "x-wso2-mutual-ssl: required\nx-wso2-transports: http\nx-wso2-auth-header: \"bad header\"\n"
      "x-wso2-response-cache: {enabled: 1, cacheTimeoutInSeconds: -5}\nx-wso2-owner: [a]\n"));
  const std::string f = "api_definitions/api.yaml:";
  EXPECT_TRUE(hasLine(bad, f + "9:20: /x-wso2-mutual-ssl: unknown x-wso2-mutual-ssl 'required': "
                               "expected mandatory or optional"))
      << dump(bad);
  EXPECT_TRUE(hasLine(bad, f + "10:20: /x-wso2-transports: expected a list of strings"))
      << dump(bad);
  EXPECT_TRUE(hasLine(bad, f + "11:21: /x-wso2-auth-header: x-wso2-auth-header 'bad header' is not "
                               "a valid header name"))
      << dump(bad);
  EXPECT_TRUE(mentions(bad, "/x-wso2-response-cache/enabled: expected a boolean")) << dump(bad);
  EXPECT_TRUE(mentions(bad, "/x-wso2-response-cache/cacheTimeoutInSeconds: must be between 0"))
      << dump(bad);
  EXPECT_TRUE(mentions(bad, "/x-wso2-owner: expected a string")) << dump(bad);
  EXPECT_EQ(bad.errorCount(), 6u) << dump(bad);

  CompileOutput empty = compileOne(oas3("x-wso2-transports: []\n"));
  EXPECT_TRUE(
      mentions(empty, "/x-wso2-transports: x-wso2-transports must list http, https or both"));
}

TEST(Cors, CamelKebabSnakeAliases) {
  for (const char* cors :
       {"x-wso2-cors: {accessControlAllowOrigins: [\"*\"], accessControlAllowCredentials: "
        "true, accessControlAllowHeaders: [authorization], accessControlAllowMethods: [GET]}\n",
        "x-wso2-cors: {access-control-allow-origins: [\"*\"], "
        "access-control-allow-credentials: true, access-control-allow-headers: "
        "[authorization], access-control-allow-methods: [GET]}\n",
        "x-wso2-cors: {access_control_allow_origins: [\"*\"], "
        "access_control_allow_credentials: true, access_control_allow_headers: "
        "[authorization], access_control_allow_methods: [GET]}\n"}) {
    CompileOutput out = compileOne(oas3(cors));
    EXPECT_CLEAN(out);
    const auto& c = out.artifact.apis.at(0).cors;
    ASSERT_TRUE(c.has_value()) << cors;
    EXPECT_EQ(c->allow_origins, (std::vector<std::string>{"*"}));
    EXPECT_TRUE(c->allow_credentials);
    EXPECT_EQ(c->allow_headers, (std::vector<std::string>{"authorization"}));
    EXPECT_EQ(c->allow_methods, (std::vector<std::string>{"GET"}));
  }
}

TEST(Cors, DisabledFlagAndErrors) {
  CompileOutput off = compileOne(
      oas3("x-wso2-cors: {corsConfigurationEnabled: false, accessControlAllowOrigins: [\"*\"]}\n"));
  EXPECT_CLEAN(off);
  EXPECT_FALSE(off.artifact.apis.at(0).cors.has_value());
  CompileOutput bad = compileOne(oas3("x-wso2-cors: {accessControlAllowOrigins: \"*\", foo: 1}\n"));
  EXPECT_TRUE(mentions(bad, "/x-wso2-cors/accessControlAllowOrigins: expected a list of strings"))
      << dump(bad);
  EXPECT_TRUE(mentions(bad, "/x-wso2-cors/foo: warning: unknown x-wso2-cors key 'foo' ignored"))
      << dump(bad);
  CompileOutput notmap = compileOne(oas3("x-wso2-cors: true\n"));
  EXPECT_TRUE(mentions(notmap, "/x-wso2-cors: x-wso2-cors must be a map")) << dump(notmap);
}

TEST(Throttling, TiersPrecedenceAndUnknownNames) {
  CompileOutput out = compileOne(
      oas3("", "      x-wso2-throttling-tier: 10kPerMin\n      x-throttling-tier: 20kPerMin\n"));
  EXPECT_CLEAN(out);
  EXPECT_EQ(out.warningCount(), 0u) << dump(out);
  EXPECT_EQ(firstResource(out).throttling_tier, "20kPerMin");

  CompileOutput api_tier = compileOne(
      oas3("x-wso2-throttling-tier: 50kPerMin\n", "      x-wso2-throttling-tier: 10kPerMin\n"));
  EXPECT_CLEAN(api_tier);
  EXPECT_EQ(api_tier.artifact.apis.at(0).throttling_tier, "50kPerMin");
  EXPECT_EQ(firstResource(api_tier).throttling_tier, "");
  EXPECT_TRUE(hasLine(api_tier,
                      "api_definitions/api.yaml:16:31: /paths/~1items/get/"
                      "x-wso2-throttling-tier: warning: resource tier '10kPerMin' is "
                      "ignored: the API tier '50kPerMin' applies to every resource"))
      << dump(api_tier);

  CompileOutput unknown = compileOne(oas3("", "      x-wso2-throttling-tier: NonExistingPolicy\n"));
  EXPECT_CLEAN(unknown);
  EXPECT_EQ(firstResource(unknown).throttling_tier, "NonExistingPolicy");
  EXPECT_TRUE(mentions(unknown,
                       "warning: throttling tier 'NonExistingPolicy' is not defined in "
                       "policies.yaml resourcePolicies: requests will fail at runtime "
                       "with 500 (900809)"));

  CompileOutput custom =
      compileFiles({{"api_definitions/api.yaml", oas3("x-throttling-tier: 3PerMin\n")},
                    {"policies.yaml",
                     "resourcePolicies:\n  - 3PerMin: {count: 3, unitTime: 1, timeUnit: min}\n"}});
  EXPECT_CLEAN(custom);
  EXPECT_EQ(custom.warningCount(), 0u) << dump(custom);
  EXPECT_EQ(custom.artifact.apis.at(0).throttling_tier, "3PerMin");

  CompileOutput bad = compileOne(oas3("x-wso2-throttling-tier: [a]\n"));
  EXPECT_TRUE(mentions(bad, "/x-wso2-throttling-tier: expected a string")) << dump(bad);
}

TEST(Interceptors, KindsOrderAndSources) {
  Files files = {
      {"api_definitions/api.yaml",
       oas3("x-wso2-request-interceptor: luaReq\nx-wso2-response-interceptor: luaResp\n",
            "      x-wso2-request-interceptor: balFn\n"
            "      x-wso2-response-interceptor: java:org.example.Audit\n")},
      {"interceptors/a.lua",
       "local function helper() end\nfunction luaReq(ctx)\nend\nluaResp = function(ctx) end\n"},
      {"interceptors/b.bal",
       "import ballerina/http;\npublic function balFn(http:Caller c, http:Request r) {}\n"},
      {"interceptors/readme.txt", "not an interceptor"},
  };
  CompileOutput out = compileFiles(files);
  EXPECT_CLEAN(out);
  const auto& r = firstResource(out);
  ASSERT_EQ(r.request_interceptors.size(), 2u);
  EXPECT_EQ(r.request_interceptors[0].ref, "luaReq");  // API then resource
  EXPECT_EQ(r.request_interceptors[0].kind, InterceptorKind::Function);
  EXPECT_EQ(r.request_interceptors[1].ref, "balFn");
  ASSERT_EQ(r.response_interceptors.size(), 2u);
  EXPECT_EQ(r.response_interceptors[0].ref, "java:org.example.Audit");  // resource then API
  EXPECT_EQ(r.response_interceptors[0].kind, InterceptorKind::Java);
  EXPECT_EQ(r.response_interceptors[1].ref, "luaResp");
  EXPECT_TRUE(mentions(out, "warning: interceptor 'balFn' is a Ballerina function")) << dump(out);
  EXPECT_TRUE(mentions(out, "warning: Java interceptor 'java:org.example.Audit' cannot run"))
      << dump(out);
  EXPECT_EQ(out.artifact.interceptor_sources.size(), 2u);
  EXPECT_EQ(out.artifact.interceptor_sources.count("interceptors/a.lua"), 1u);
  EXPECT_EQ(out.artifact.interceptor_sources.count("interceptors/b.bal"), 1u);
}

TEST(Interceptors, ModulesAndErrors) {
  CompileOutput mod =
      compileOne(oas3("", "      x-wso2-request-interceptor: wso2/utils:1.0.0:fn\n"));
  EXPECT_TRUE(mentions(mod, "malformed interceptor 'wso2/utils:1.0.0:fn'")) << dump(mod);
  CompileOutput ok =
      compileOne(oas3("", "      x-wso2-request-interceptor: wso2/utils/1.0.0:check\n"));
  EXPECT_CLEAN(ok);
  EXPECT_EQ(firstResource(ok).request_interceptors.at(0).kind, InterceptorKind::Module);
  EXPECT_TRUE(
      mentions(ok, "warning: Ballerina module interceptor 'wso2/utils/1.0.0:check' cannot run"));
  for (const char* bad : {"\"bad fn\"", "\"java:\"", "\"java:a..b;\"", "\"/x:y\"", "\"a/b:\""}) {
    CompileOutput out =
        compileOne(oas3("", std::string("      x-wso2-response-interceptor: ") + bad + "\n"));
    EXPECT_EQ(out.errorCount(), 1u) << bad << "\n" << dump(out);
    EXPECT_TRUE(mentions(out, "malformed")) << bad << "\n" << dump(out);
  }
  CompileOutput unknown = compileOne(oas3("x-wso2-request-interceptor: nope\n"));
  EXPECT_TRUE(hasLine(unknown,
                      "api_definitions/api.yaml:9:29: /x-wso2-request-interceptor: unknown "
                      "interceptor 'nope': no function of that name in "
                      "interceptors/*.lua or interceptors/*.bal"))
      << dump(unknown);
}

}  // namespace
}  // namespace mgw::openapi::testing
